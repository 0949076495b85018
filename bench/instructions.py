"""`python -m bench.instructions`: instructions per planned user of a dry run, counted by callgrind.

CPU seconds on a shared 2-core VM move by 30-50 % from one run to the next with the same code
(session 8 saw the same row 1.6x apart on two hosts); an instruction count does not. Valgrind's
callgrind counts every instruction this process executes (the simulators run in a spawned child
and Azurite is node: neither is traced), at two tenant sizes, and the difference divided by the
difference in users is the cost of one more user: start-up and imports cancel out. A change that
saves CPU per user shows here whatever the host is doing. About 2.5 minutes (valgrind runs Python
some 50x slower); needs valgrind (Debian's package).

    python -m bench.instructions [--small 2000] [--large 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys

from bench.measure import run_cycle
from bench.scenarios import GROUPS, PLANNING_BUDGET_SECONDS, PRODUCT_MAX_RATE, UNLIMITED, _prefix, _tables
from bench.sims import SimulatorProcess

_COLLECTED = re.compile(r"Collected : (\d+)")


def _dry_run(users: int) -> None:
    """The child under valgrind: one dry-run cycle of `users` users (the planning row's setup)."""
    with _tables(None) as tables, SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(
            tables,
            _prefix(),
            GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE,
            CYCLE_TIME_BUDGET_SECONDS=PLANNING_BUDGET_SECONDS,
        )
        sims.call("seed", users, GROUPS, 42)
        measured = asyncio.run(run_cycle(env, dry_run=True, store="planning"))
    if measured.status != "dry-run":
        raise SystemExit(f"the dry run ended {measured.status}")


def _count(users: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        str(users),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts run to run
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603 - fixed argv
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run of {users} users failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=6_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _dry_run(args.child)
        return
    if args.large <= args.small:
        parser.error("--large must be more users than --small")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    small, large = _count(args.small), _count(args.large)
    per_user = (large - small) / (args.large - args.small)
    print(
        f"dry run: {small:,} instructions at {args.small:,} users, {large:,} at {args.large:,}: "
        f"{per_user:,.0f} instructions per more user (callgrind, PYTHONHASHSEED=0)"
    )


if __name__ == "__main__":
    main()
