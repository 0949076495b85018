"""Admin actions on the job itself: restart (like Entra's "Restart provisioning")."""

from __future__ import annotations

import uuid
from typing import Any

from provisioning.engine.checkpoint import CHECKPOINT, PENDING
from provisioning.engine.cycle import (
    GROUPS_WATERMARK,
    USERS_WATERMARK,
    SyncEngine,
)
from provisioning.engine.quarantine import QUARANTINE
from provisioning.engine.staged import STAGED, STAGED_DECISION


async def restart(engine: SyncEngine, *, reset_links: bool = False) -> dict[str, Any]:
    """Forget every watermark so the next cycle reads everything again and re-evaluates everyone.

    Links are kept (accounts are re-matched through them, nothing is recreated) unless `reset_links`,
    after which the next cycle matches GoTo accounts by userName again. The retry ladder, quarantine,
    checkpoint and staged deprovisions are cleared: the full cycle re-derives whatever still applies.
    """
    state = engine.state
    holder = f"restart-{uuid.uuid4()}"
    busy = "a provisioning cycle is running; restart when it has finished"
    async with engine.lease(holder, busy_message=busy) as lease:
        for name in (USERS_WATERMARK, GROUPS_WATERMARK):
            lease.check()
            await state.set_watermark(name, None)
        for control in (CHECKPOINT, QUARANTINE, STAGED_DECISION):
            await state.delete_control(control)
        staged = len(await state.list_held_operations(STAGED))
        for kind in (STAGED, PENDING):
            await state.clear_held_operations(kind)
        retries = list(await state.list_retries())
        await state.clear_retries(retries)
        assignments = await state.list_assignments()
        await state.replace_assignments(assignments, [])
        for group_id in {a.principal_id for a in assignments if a.principal_type == "Group"}:
            await state.drop_members(group_id)
        links_removed = 0
        if reset_links:
            lease.check()
            ids = [link.source_id async for link in state.list_links()]
            await state.delete_links(ids)
            links_removed = len(ids)
    return {
        "restarted": True,
        "linksKept": not reset_links,
        "linksRemoved": links_removed,
        "retriesCleared": len(retries),
        "stagedCleared": staged,
        "next": "the next cycle is a full one",
    }
