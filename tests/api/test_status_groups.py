"""GET /api/status counts the groups managed in GoTo and names those pushed truncated."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioning.api.status import build_status
from provisioning.cli.render import render_status
from provisioning.config import Settings
from provisioning.model import Link, ObjectType
from provisioning.state.memory import MemoryState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _group(entra: str, name: str, pushed: int, total: int, *, active: bool = True) -> Link:
    written = {"displayName": name, "members": [f"m{i}" for i in range(pushed)], "memberTotal": total}
    return Link(entra, f"goto-{entra}", active, written, {"displayName": name}, ObjectType.GROUP)


async def test_status_shows_managed_groups_and_each_truncated_one() -> None:
    async with MemoryState() as state:
        await state.upsert_links(
            [
                _group("g1", "Sales", 100, 250),
                _group("g2", "Eng", 3, 3),
                _group("g3", "Old", 100, 400, active=False),  # left alone: not managed, not reported
            ]
        )
        status = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
    assert status["groups"] == {
        "managed": 2,
        "truncated": [{"id": "g1", "displayName": "Sales", "members": 250, "pushed": 100}],
        "truncatedCount": 1,
    }
    assert "groups:       2 managed in GoTo, 1 truncated: Sales 100 of 250" in render_status(status)


async def test_a_deployment_without_groups_says_none() -> None:
    async with MemoryState() as state:
        status = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
    assert status["groups"] == {"managed": 0, "truncated": [], "truncatedCount": 0}
