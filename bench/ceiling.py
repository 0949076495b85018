"""`python -m bench.ceiling --users 3000`: only the engine ceiling's initial cycle, CPU per created user.

The tenk scenario's first row without the other three (a quiet cycle, 1 % incremental), for quick
A/B runs: each round seeds a fresh tenant in fresh simulators and a fresh table prefix on one
Azurite, runs the initial cycle with GoTo unlimited (the product paced at 1,000 req/s) and reports
this process's CPU (user and system apart, from getrusage) per user GoTo saw created, and the
users created per second of the cycle's wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics

from bench.measure import run_cycle
from bench.scenarios import GROUPS, PRODUCT_MAX_RATE, UNLIMITED, _prefix
from bench.sims import SimulatorProcess
from sandbox.azurite import Azurite


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def one_round(connection_string: str, users: int) -> tuple[float, float, float, int, float]:
    """(ms CPU, of it ms user, ms system, per created user; created; wall seconds)."""
    with SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(connection_string, _prefix(), GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE)
        sims.call("seed", users, GROUPS, 42)
        sims.call("reset_counters")
        user0, system0 = _cpu()
        measured = asyncio.run(run_cycle(env))
        user1, system1 = _cpu()
        counters = sims.call("counters")
    created = counters["goto_routes"].get("POST /identity/v1/Users", 0) or 1
    if measured.failures:
        print(f"  ({measured.failures} failures)")
    return (
        1000 * measured.cpu_s / created,
        1000 * (user1 - user0) / created,
        1000 * (system1 - system0) / created,
        created,
        measured.wall_s,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1, help="cycles in turn on one Azurite; median")
    args = parser.parse_args(argv)
    figures = []
    with Azurite() as azurite:
        for _ in range(args.rounds):
            cpu, user, system, created, wall = one_round(azurite.connection_string, args.users)
            figures.append(cpu)
            print(
                f"  {cpu:.3f} ms CPU per created user (user {user:.3f}, system {system:.3f}; "
                f"{created:,} created; {created / wall if wall else 0:.0f} users/s wall)",
                flush=True,
            )
    print(f"median {statistics.median(figures):.3f} ms CPU per created user ({args.users:,} users)")


if __name__ == "__main__":
    main()
