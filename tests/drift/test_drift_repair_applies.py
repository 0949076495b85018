"""`--repair --apply` fixes the edited accounts and the users without one through the normal apply
path, on 1,000 users: PATCHes of the differing values, a create, an adoption of the account that
matches (no duplicate), one recorded run with an audit record per object and links written, so the
next cycle sends none of it again. Orphans are left alone when not asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provisioning.drift.run import Request, run_drift
from provisioning.service import run_sync
from sandbox.azurite import Azurite
from tests.drift.conftest import Planted, planted_world


@pytest.fixture
def repaired(azurite: Azurite) -> Iterator[Planted]:
    with planted_world(azurite) as world:
        yield world


async def test_the_repair_applies_through_the_normal_path(repaired: Planted) -> None:
    planted, ids, goto = repaired, repaired.ids, repaired.goto
    tenant, store = planted.world.graph.tenant, planted.world.goto.store

    document = await run_drift(planted.settings(), Request(repair=True, apply=True))
    repair = document["repair"]
    assert repair["dryRun"] is False and repair["failures"] == 0
    assert repair["counts"] == {"create/success": 2, "update/success": 3}  # the adoption is an update

    renamed, entra = planted.account("renamed"), tenant.user(ids["renamed"])
    assert renamed["displayName"] == entra["displayName"]
    assert renamed["name"]["familyName"] == entra["surname"]
    assert planted.account("deactivated")["active"] is True
    for plant in ("deleted", "new", "matching"):
        upn = tenant.user(ids[plant])["userPrincipalName"].lower()
        assert len([u for u in store.users() if u["userName"].lower() == upn]) == 1  # never a duplicate

    async with planted.state() as state:
        records = await state.list_audit_records(repair["cycleId"])
        cycles = {c.id: c for c in await state.list_cycles(limit=10)}
        links = {i: await state.get_link(ids[i]) for i in ("renamed", "deleted", "new", "matching")}
    assert sorted((r.source_id, r.action, r.status.value) for r in records) == sorted(
        [
            (ids["renamed"], "update", "success"),
            (ids["deactivated"], "update", "success"),
            (ids["deleted"], "create", "success"),
            (ids["new"], "create", "success"),
            (ids["matching"], "update", "success"),
        ]
    )
    assert {r.initiated_by for r in records} == {"drift"} and not any(r.dry_run for r in records)
    run = cycles[repair["cycleId"]]
    assert (run.kind, run.status.value, run.initiated_by) == ("on-demand", "succeeded", "drift")
    assert all(link is not None and link.active for link in links.values())
    assert links["matching"] is not None and links["matching"].target_id == goto["matching"]  # adopted
    assert links["renamed"] is not None and links["renamed"].written["displayName"] == entra["displayName"]

    after = await run_drift(planted.settings(), Request())
    assert after["counts"] == {"orphan": 4, "edited": 0, "missing": 0}  # orphans: only when asked

    cycle = await run_sync(planted.settings(), initiated_by="test")
    assert cycle.counts.to_dict() == {"disable/success": 1}  # the unassigned user; no repair sent again
