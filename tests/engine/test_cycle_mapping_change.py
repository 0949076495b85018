"""A changed mapping is noticed (its fingerprint is kept in state) and makes the next cycle a full
read that writes only the accounts whose mapped values changed; the cycle record says why."""

from __future__ import annotations

from provisioning.engine.checkpoint import MAPPING_CHANGED
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from tests.engine.conftest import Bench

BASE = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
    - {target: name.givenName, source: givenName}
    - {target: name.familyName, source: surname}
    - {target: 'emails[type eq "work"].value', source: mail}
    - {target: externalId, source: mailNickname}
"""
# Only users with a department get a new value: the others' mapped values stay the same.
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WITH_DEPARTMENT = BASE + f"    - {{target: '{ENTERPRISE}:department', source: department}}\n"


def mapping(text: str) -> UserMapping:
    return parse_mapping_text(text, kind="yaml", origin="test").users


async def test_a_changed_mapping_rewrites_only_the_accounts_it_changes(bench: Bench) -> None:
    ids = bench.seed(8)
    for user_id in ids[:3]:
        bench.source.update_user(user_id, department="Sales")
    first = await bench.cycle(mapping=mapping(BASE))
    assert first.cycle.kind == "initial" and first.counts.to_dict() == {"create/success": 8}
    quiet = await bench.cycle(mapping=mapping(BASE))
    assert quiet.cycle.kind == "incremental" and quiet.counts.to_dict() == {}
    bench.target.calls.clear()
    reads = bench.source.calls["users_delta"]

    full = await bench.cycle(mapping=mapping(WITH_DEPARTMENT))
    assert full.cycle.kind == "full" and full.cycle.detail == MAPPING_CHANGED
    assert full.cycle.status == "succeeded"
    assert full.counts.to_dict() == {"update/success": 3}
    assert bench.target.writes == 3
    assert bench.source.calls["users_delta"] == reads + 1  # one read of every user, from the start

    after = await bench.cycle(mapping=mapping(WITH_DEPARTMENT))
    assert after.cycle.kind == "incremental" and after.counts.to_dict() == {}


async def test_the_same_mapping_written_differently_is_no_change(bench: Bench) -> None:
    bench.seed(4)
    await bench.cycle(mapping=mapping(BASE))
    reordered = (
        BASE.replace("    - {target: displayName, source: displayName}\n", "")
        + "    - {target: displayName, source: displayName}\n"
    )
    again = await bench.cycle(mapping=mapping(reordered))
    assert again.cycle.kind == "incremental" and again.cycle.detail is None


async def test_a_dry_run_does_not_remember_the_new_mapping(bench: Bench) -> None:
    bench.seed(4)
    await bench.cycle(mapping=mapping(BASE))
    preview = await bench.cycle(mapping=mapping(WITH_DEPARTMENT), dry_run=True)
    assert preview.cycle.kind == "full"
    real = await bench.cycle(mapping=mapping(WITH_DEPARTMENT))
    assert real.cycle.kind == "full"


async def test_a_full_read_cut_by_the_budget_resumes_with_the_new_mapping(bench: Bench) -> None:
    ids = bench.seed(9)
    for user_id in ids:
        bench.source.update_user(user_id, department="Sales")
    await bench.cycle(mapping=mapping(BASE))
    stopped = await bench.cycle(mapping=mapping(WITH_DEPARTMENT), time_budget_seconds=0.0)
    assert stopped.cycle.kind == "full" and stopped.cycle.status == "stopped"
    resumed = await bench.cycle(mapping=mapping(WITH_DEPARTMENT))
    assert resumed.cycle.kind == "full" and resumed.cycle.status == "succeeded"
    assert stopped.counts["update", "success"] + resumed.counts["update", "success"] == 9
    assert all(
        a.get(ENTERPRISE, {}).get("department") == "Sales" or a.get(f"{ENTERPRISE}:department") == "Sales"
        for a in bench.target.accounts.values()
    )
