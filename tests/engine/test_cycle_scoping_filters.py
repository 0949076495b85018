"""The mapping file's scoping filters decide who, among assigned users, is provisioned: a user who
stops matching is deactivated (unless out-of-scope deletions are skipped) and counts against the
deletion threshold, as in Entra."""

from __future__ import annotations

from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from tests.engine.conftest import Bench

SALES_ONLY = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
  scoping:
    - - {attribute: department, operator: EQUALS, value: Sales}
    - - {attribute: jobTitle, operator: ENDS_WITH, value: Manager}
"""


def sales_only() -> UserMapping:
    return parse_mapping_text(SALES_ONLY, kind="yaml", origin="test").users


def seed(bench: Bench) -> list[str]:
    ids = bench.seed(8)
    for user_id in ids[:3]:
        bench.source.update_user(user_id, department="Sales")
    bench.source.update_user(ids[3], department="HR", jobTitle="Sales Manager")
    bench.source.update_user(ids[4], department="sales")  # case-sensitive: not a match
    return ids


async def test_only_users_the_filters_let_in_are_created(bench: Bench) -> None:
    ids = seed(bench)
    result = await bench.cycle(mapping=sales_only())
    assert result.counts["create", "success"] == 4
    created = {a["userName"] for a in bench.target.accounts.values()}
    assert created == {bench.source.users[u]["userPrincipalName"] for u in ids[:4]}
    assert bench.engine(mapping=sales_only()).select[:2] == ["id", "userPrincipalName"]
    assert {"department", "jobTitle", "accountEnabled"} <= set(bench.engine(mapping=sales_only()).select)


async def test_a_user_who_stops_matching_is_deactivated(bench: Bench) -> None:
    ids = seed(bench)
    await bench.cycle(mapping=sales_only())
    bench.source.update_user(ids[0], department="HR")
    result = await bench.cycle(mapping=sales_only())
    assert result.counts.to_dict() == {"disable/success": 1}
    account = next(
        a
        for a in bench.target.accounts.values()
        if a["userName"] == bench.source.users[ids[0]]["userPrincipalName"]
    )
    assert account["active"] is False


async def test_skip_out_of_scope_deletions_spares_a_filtered_user(bench: Bench) -> None:
    ids = seed(bench)
    await bench.cycle(mapping=sales_only())
    bench.source.update_user(ids[0], department="HR")
    result = await bench.cycle(mapping=sales_only(), skip_out_of_scope_deletions=True)
    assert result.counts["disable", "success"] == 0
    assert all(a["active"] for a in bench.target.accounts.values())


async def test_filtered_users_count_against_the_deletion_threshold(bench: Bench) -> None:
    ids = seed(bench)
    await bench.cycle(mapping=sales_only())
    for user_id in ids[:3]:
        bench.source.update_user(user_id, department="HR")
    held = await bench.cycle(mapping=sales_only(), deprovision_threshold=2)
    assert held.counts.to_dict() == {"stagedDelete/skipped": 3}
    assert all(a["active"] for a in bench.target.accounts.values())
