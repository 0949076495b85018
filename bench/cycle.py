"""Benchmark: an initial cycle of N users against GoTo's real rate limit, then a no-change cycle.

Prints requests (from the simulators' own counters), wall time, achieved GoTo request rate against
the limit, requests per created user, and 429s. Run: `python -m bench.cycle --users 1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from provisioning.config import load_settings
from provisioning.service import run_sync
from sandbox.graph import APP_ROLE_USER_ID
from sandbox.world import running_world


async def _measure(world: Any, env: dict[str, str], label: str) -> dict[str, Any]:
    world.graph.counters.reset()
    world.goto.counters.reset()
    world.goto.rate_limited.reset()
    started = time.perf_counter()
    result = await run_sync(load_settings(env), initiated_by="bench")
    wall = time.perf_counter() - started
    return {
        "label": label,
        "wall_s": wall,
        "graph": world.graph.counters.total(),
        "goto": world.goto.counters.total(),
        "goto_429": world.goto.rate_limited.total(),
        "counts": result.counts,
        "failures": result.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="GoTo's limit (requests/second)")
    args = parser.parse_args()

    with running_world(goto_rate=args.rate) as world:
        tenant = world.graph.tenant
        tenant.seed(args.users, args.groups, seed=42)
        for group in tenant.groups():
            tenant.assign(group["id"], app_role_id=APP_ROLE_USER_ID)
        env = world.env(GOTO_RATE_LIMIT_PER_SECOND=str(args.rate))
        initial = asyncio.run(_measure(world, env, "initial"))
        quiet = asyncio.run(_measure(world, env, "no change"))

    created = initial["counts"].get("create/success", 0)
    print(f"tenant: {args.users} users in {args.groups} assigned groups; GoTo limit {args.rate:g} req/s")
    for row in (initial, quiet):
        rate = row["goto"] / row["wall_s"] if row["wall_s"] else 0.0
        print(
            f"{row['label']:>9}: wall {row['wall_s']:7.2f} s | graph {row['graph']:5d} req | "
            f"goto {row['goto']:5d} req ({rate:5.2f} req/s = {100 * rate / args.rate:5.1f} % of the limit, "
            f"{row['goto_429']} answered 429) | failures {row['failures']} | {row['counts']}"
        )
    if created:
        print(f"GoTo requests per created user: {initial['goto'] / created:.3f}")


if __name__ == "__main__":
    main()
