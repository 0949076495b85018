"""`make demo`: the product's main job on the local sandbox, start to finish.

Starts Azurite and both simulators, seeds a tenant, runs an initial cycle with the real CLI
(`python -m provisioning sync`), changes the tenant (rename, disable, unassign, new group member,
hard delete), runs an incremental cycle, prints both summaries and the second cycle's audit lines,
then stops everything it started.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from provisioning.report import render_audit
from provisioning.state.tables import TableState
from sandbox.world import World, running_world


def _sync(world: World, title: str) -> None:
    print(f"\n=== {title}: python -m provisioning sync", flush=True)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "sync"],
        env={**os.environ, **world.env()},
        check=False,
        text=True,
    )
    print(f"(exit code {done.returncode}, {time.monotonic() - started:.1f}s wall)", flush=True)
    if done.returncode == 2:
        raise SystemExit("the cycle could not run; see the error above")


async def _last_cycle_audit(world: World) -> list[str]:
    async with TableState.from_connection_string(
        world.azurite.connection_string, prefix=world.table_prefix
    ) as s:
        cycle = (await s.list_cycles(limit=1))[0]
        return render_audit(await s.list_audit_records(cycle.id))


def main() -> int:
    print("starting Azurite (tables, in memory), the Graph simulator and the GoTo simulator ...", flush=True)
    with running_world() as world:
        seeded = world.seed_demo_tenant()
        tenant = world.graph.tenant
        print(
            f"tenant: {len(tenant.users())} users, {len(tenant.groups())} groups; "
            f"assigned: {len(seeded['assigned_groups'])} groups + {len(seeded['direct'])} users directly, "
            f"1 Default Access user, 1 disabled user; 1 GoTo account already exists",
            flush=True,
        )
        _sync(world, "initial cycle")

        renamed, disabled = seeded["in_scope"][1], seeded["in_scope"][2]
        unassigned, deleted = seeded["direct"][0], seeded["in_scope"][3]
        joiner = seeded["outside"][0]
        tenant.update_user(renamed, displayName="Renamed Person", surname="Person")
        tenant.disable_user(disabled)
        tenant.unassign(unassigned)
        tenant.add_member(seeded["assigned_groups"][0], joiner)
        tenant.hard_delete_user(deleted)
        print(
            "\nchanges in Entra: 1 rename, 1 disable, 1 direct assignment removed, "
            "1 new member of an assigned group, 1 hard delete",
            flush=True,
        )
        _sync(world, "incremental cycle")

        print("\n=== audit records of the incremental cycle")
        for line in asyncio.run(_last_cycle_audit(world)):
            print(line)
        accounts = world.goto.store.users()
        active = sum(1 for u in accounts if u.get("active", True))
        print(f"\nGoTo now holds {len(accounts)} accounts ({active} active). Stopping the sandbox.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
