"""MAPPINGS_FILE on the wire: the Graph $select the simulator receives is derived from the file,
the payloads GoTo receives follow it, and a changed file makes the next cycle a full read that
rewrites only the accounts whose mapped values changed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from provisioning.mapping.file import load_mapping_file
from tests.e2e.conftest import Harness

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: 'emails[type eq "work"].value', source: mail}
    - {target: externalId, source: mailNickname}
"""
WITH_TITLE = BASE + "    - {target: title, source: jobTitle, default: Staff}\n"


def first_delta_select(harness: Harness) -> list[str]:
    queries = harness.world.graph.counters.queries("GET /v1.0/users/delta")
    first = next(q for q in queries if "%24select" in q or "$select" in q)
    return parse_qs(first)["$select"][0].split(",")


async def test_select_payloads_and_a_changed_file(harness: Harness, tmp_path: Path) -> None:
    world = harness.world
    seeded = world.seed_demo_tenant(users=20, groups=2)
    path = tmp_path / "mappings.yaml"
    path.write_text(BASE, encoding="utf-8")
    first = await harness.cycle(MAPPINGS_FILE=str(path))
    assert first.cycle.kind == "initial" and first.cycle.status == "succeeded"
    assert first_delta_select(harness) == load_mapping_file(path).users.graph_select()
    assert "jobTitle" not in first_delta_select(harness)
    in_scope = seeded["in_scope"]
    user = harness.entra_user(in_scope[0])
    account = harness.goto_users()[user["userPrincipalName"].lower()]
    assert account["displayName"] == f"{user['givenName']} {user['surname']}"
    assert ENTERPRISE not in account  # the file maps no extension attribute

    world.graph.counters.reset()
    path.write_text(WITH_TITLE, encoding="utf-8")
    full = await harness.cycle(MAPPINGS_FILE=str(path))
    assert full.cycle.kind == "full" and full.cycle.status == "succeeded"
    assert "jobTitle" in first_delta_select(harness)
    assert full.counts["update", "success"] == len(in_scope)  # every title was unset before
    assert full.counts["create", "success"] == 0 and full.counts.failures() == 0
    for user_id in in_scope:
        entra = harness.entra_user(user_id)
        account = harness.goto_users()[entra["userPrincipalName"].lower()]
        assert account.get("title") == (entra.get("jobTitle") or "Staff")  # the default on null

    quiet = await harness.cycle(MAPPINGS_FILE=str(path))
    assert quiet.cycle.kind == "incremental" and quiet.counts.to_dict() == {}
