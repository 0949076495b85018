"""Orphans are deactivated only when asked (`--deactivate-orphans --apply`), never past
DEPROVISION_THRESHOLD (none at all then), never under DRY_RUN, never the signed-in GoTo admin; the
linked one through the recorder (its link goes inactive), every one with an audit record. Edited
and missing accounts are left alone without `--repair`. A small tenant: this is about orphans."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provisioning.drift.run import Request, run_drift
from sandbox.azurite import Azurite
from tests.drift.conftest import Planted, planted_world

DEACTIVATE = Request(deactivate_orphans=True, apply=True)


@pytest.fixture
def small(azurite: Azurite) -> Iterator[Planted]:
    with planted_world(azurite, users_count=40) as world:
        yield world


async def test_orphans_deactivated_when_asked_within_the_threshold(small: Planted) -> None:
    ids, goto = small.ids, small.goto
    before = small.snapshot()

    dry = await run_drift(small.settings(DRY_RUN="true"), DEACTIVATE)  # DRY_RUN wins over --apply
    assert dry["repair"]["dryRun"] is True and "DRY_RUN is true" in dry["repair"]["notApplied"]
    assert len(dry["repair"]["operations"]) == 3 and small.snapshot() == before

    held = await run_drift(small.settings(DEPROVISION_THRESHOLD="2"), DEACTIVATE)
    refused = "no orphan deactivated: 3 disables/deletes exceed DEPROVISION_THRESHOLD=2"
    assert held["repair"]["refused"] == refused
    assert held["repair"]["operations"] == [] and held["repair"]["cycleId"] is None
    assert small.snapshot() == before

    done = await run_drift(small.settings(DEPROVISION_THRESHOLD="3"), DEACTIVATE)
    repair = done["repair"]
    assert repair["refused"] is None and repair["counts"] == {"disable/success": 3}
    for plant in ("stray", "unassigned", "unlinked"):
        assert small.account(plant)["active"] is False, plant
    assert small.account("admin")["active"] is True
    assert small.account("renamed")["displayName"] == "Renamed By Hand"  # no --repair: left alone

    async with small.state() as state:
        records = await state.list_audit_records(repair["cycleId"])
        link = await state.get_link(ids["unassigned"])
    assert sorted((r.target_id, r.source_id, r.action) for r in records) == sorted(
        [
            (goto["stray"], "", "disable"),
            (goto["unassigned"], ids["unassigned"], "disable"),
            (goto["unlinked"], "", "disable"),
        ]
    )
    assert link is not None and link.active is False

    after = await run_drift(small.settings(), Request())
    assert after["counts"] == {"orphan": 1, "edited": 2, "missing": 3}
    assert [o["gotoId"] for o in after["drift"] if o["kind"] == "orphan"] == [goto["admin"]]
    assert after["inactiveUnaccounted"] == 3
