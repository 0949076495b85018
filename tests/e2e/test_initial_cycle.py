"""Initial cycle: every in-scope user created once with the mapped attributes; Default Access and
disabled users skipped with their reason; a pre-existing GoTo account adopted, not duplicated."""

from __future__ import annotations

from provisioning.model import AuditStatus
from tests.e2e.conftest import Harness


async def test_initial_cycle_creates_skips_and_adopts(harness: Harness) -> None:
    seeded = harness.world.seed_demo_tenant()
    result = await harness.cycle()

    goto = harness.goto_users()
    assert len(goto) == len(seeded["in_scope"])  # nobody else, no duplicate of the pre-existing one
    for user_id in seeded["in_scope"]:
        entra = harness.entra_user(user_id)
        account = goto[entra["userPrincipalName"].lower()]
        assert account["active"] is True
        assert account["displayName"] == entra["displayName"]
        assert account["name"]["givenName"] == entra["givenName"]
        assert account["name"]["familyName"] == entra["surname"]
        assert account["externalId"] == entra["mailNickname"]
        assert [e["value"] for e in account["emails"] if e.get("type") == "work"] == [entra["mail"]]

    records = {r.source_id: r for r in await harness.audit(result)}
    skipped_disabled = records[seeded["disabled"]]
    assert (skipped_disabled.action, skipped_disabled.status) == ("other", AuditStatus.SKIPPED)
    assert "disabled" in (skipped_disabled.reason or "")
    skipped_default = records[seeded["default_access"]]
    assert skipped_default.status is AuditStatus.SKIPPED
    assert "Default Access" in (skipped_default.reason or "")
    adopted = records[seeded["pre_existing"]]
    assert (adopted.action, adopted.status) == ("update", AuditStatus.SUCCESS)
    assert "adopted" in (adopted.reason or "")

    created = len(seeded["in_scope"]) - 1
    groups = len(seeded["assigned_groups"])  # created in GoTo after their members
    assert result.counts.to_dict() == {
        "create/success": created + groups,
        "update/success": 1,
        "other/skipped": 2,
    }
    assert result.cycle.kind == "initial" and result.cycle.status == "succeeded"
    assert len(records) == created + 3


async def test_second_identical_run_changes_nothing(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    await harness.cycle()
    before = harness.goto_users()
    again = await harness.cycle()
    assert again.counts.to_dict() == {}
    assert harness.goto_users() == before
