"""Small reads shared by the notification tests (GoTo's state and write counts, the subscriptions)."""

from __future__ import annotations

from typing import Any

from sandbox.world import World


def goto_writes(world: World) -> int:
    """GoTo requests that change something (everything but GET)."""
    return sum(n for key, n in world.goto.counters.snapshot().items() if not key.startswith("GET"))


def goto_user(world: World, upn: str) -> dict[str, Any]:
    (found,) = [u for u in world.goto.store.users() if u["userName"] == upn]
    return dict(found)


def upn_of(world: World, user_id: str) -> str:
    return str(world.graph.tenant.user(user_id)["userPrincipalName"])
