"""Adoption asks who holds an account; a run reads the links once for that, on its first adoption,
not once per adoption (a migration off Microsoft's connector adopts every user: N scans of N links
would be N² reads). What the run takes later is in its Claims, across pages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provisioning.model import Link, ObjectType
from tests.engine.conftest import Bench


def count_link_scans(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scans = [0]
    real = bench.state.list_links

    def counted(*, object_type: ObjectType = ObjectType.USER) -> AsyncIterator[Link]:
        scans[0] += 1
        return real(object_type=object_type)

    monkeypatch.setattr(bench.state, "list_links", counted)
    return scans


async def test_a_migration_reads_the_links_once_per_run(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(9)  # three Graph pages
    for user_id in ids:
        bench.target.add_existing(bench.source.users[user_id]["userPrincipalName"])
    scans = count_link_scans(bench, monkeypatch)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"update/success": 9}  # every account adopted
    assert scans[0] == 2  # is any link stored (the first cycle's probe), then the one index read


async def test_a_run_without_adoptions_reads_no_links_for_them(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.seed(6)
    scans = count_link_scans(bench, monkeypatch)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"create/success": 6} and scans[0] == 1  # the probe only


async def test_an_account_taken_on_an_earlier_page_stays_taken(bench: Bench) -> None:
    ids = bench.seed(6)  # pages of three: ids[0] on the first page, ids[5] on the second
    shared = "shared@contoso.example"
    bench.source.update_user(ids[0], userPrincipalName=shared)
    bench.source.update_user(ids[5], userPrincipalName=shared.upper())
    # an adoption on the first page reads the links before ids[0]'s new link is recorded
    bench.target.add_existing(bench.source.users[ids[1]]["userPrincipalName"])
    result = await bench.cycle()
    assert result.counts["create", "success"] == 4 and result.counts["update", "success"] == 1
    assert result.counts["create", "failure"] == 1
    records = await bench.state.list_audit_records(result.cycle.id)
    assert [r.error_code for r in records if r.status == "failure"] == ["MatchingConflict"]
