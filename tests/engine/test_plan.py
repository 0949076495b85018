"""The planner, table-style: each situation gives exactly one operation (or none) with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.engine.plan import Action, Candidate, Link, plan_user
from provisioning.engine.scope import ScopeDecision, ScopeKind
from provisioning.mapping.attributes import DEFAULT_USER_MAPPING, WORK_EMAIL

IN = ScopeDecision(True, "assigned directly with app role r", True, "r")
UNASSIGNED = ScopeDecision(False, "not assigned", False, kind=ScopeKind.NOT_ASSIGNED)
DEFAULT_ACCESS = ScopeDecision(False, "default access", True, kind=ScopeKind.DEFAULT_ACCESS)
DISABLED = ScopeDecision(False, "disabled in Entra", True, kind=ScopeKind.DISABLED)
DELETED = ScopeDecision(False, "hard-deleted in Entra", True, kind=ScopeKind.HARD_DELETED)

ALICE: dict[str, Any] = {
    "userPrincipalName": "alice@contoso.com",
    "displayName": "Alice Adams",
    "givenName": "Alice",
    "surname": "Adams",
    "mail": "alice@contoso.com",
    "mailNickname": "alice",
    "accountEnabled": True,
}
WRITTEN = {
    "userName": "alice@contoso.com",
    "displayName": "Alice Adams",
    "name.givenName": "Alice",
    "name.familyName": "Adams",
    WORK_EMAIL: "alice@contoso.com",
    "externalId": "alice",
    "active": True,
}


def _link(active: bool = True, **written: Any) -> Link:
    return Link("u1", "goto-1", active, {**WRITTEN, **written}, dict(ALICE))


def test_create_carries_every_mapped_value_and_active() -> None:
    op = plan_user(Candidate("u1", ALICE, IN, None), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.CREATE
    assert dict(op.values) == WRITTEN
    assert op.reason == IN.reason
    assert op.display_name == "alice@contoso.com"


def test_no_change_gives_no_operation() -> None:
    assert plan_user(Candidate("u1", ALICE, IN, _link()), DEFAULT_USER_MAPPING) is None


def test_update_sends_only_changed_attributes_with_old_and_new() -> None:
    source = {**ALICE, "displayName": "Alice Brown", "surname": "Brown"}
    op = plan_user(Candidate("u1", source, IN, _link()), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.UPDATE
    assert dict(op.values) == {"displayName": "Alice Brown", "name.familyName": "Brown"}
    assert {(c.path, c.old, c.new) for c in op.changes} == {
        ("displayName", "Alice Adams", "Alice Brown"),
        ("name.familyName", "Adams", "Brown"),
    }
    assert op.target_id == "goto-1"


def test_cleared_attribute_is_an_update_to_none() -> None:
    op = plan_user(Candidate("u1", {**ALICE, "mail": None}, IN, _link()), DEFAULT_USER_MAPPING)
    assert op is not None and dict(op.values) == {WORK_EMAIL: None}


def test_disabled_link_back_in_scope_is_reenabled() -> None:
    link = _link(active=False)
    link.written["active"] = False
    op = plan_user(Candidate("u1", ALICE, IN, link), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.UPDATE
    assert dict(op.values) == {"active": True}
    assert op.reason.startswith("re-enabled")


@pytest.mark.parametrize("scope", [UNASSIGNED, DEFAULT_ACCESS, DISABLED])
def test_out_of_scope_with_active_link_is_disabled(scope: ScopeDecision) -> None:
    op = plan_user(Candidate("u1", ALICE, scope, _link()), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.DISABLE
    assert dict(op.values) == {"active": False}
    assert op.reason == scope.reason


def test_soft_deleted_is_disabled_not_deleted() -> None:
    scope = ScopeDecision(False, "soft-deleted in Entra", True, kind=ScopeKind.SOFT_DELETED)
    op = plan_user(Candidate("u1", None, scope, _link(), removed="changed"), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.DISABLE


def test_already_disabled_link_needs_nothing() -> None:
    link = _link(active=False)
    assert plan_user(Candidate("u1", ALICE, DISABLED, link), DEFAULT_USER_MAPPING) is None


def test_hard_delete_deactivates_by_default_keeping_meeting_history() -> None:
    op = plan_user(Candidate("u1", None, DELETED, _link(), removed="deleted"), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is Action.DISABLE and op.target_id == "goto-1"
    assert op.values == {"active": False} and "HARD_DELETE_ACTION=disable" in op.reason
    gone = Candidate("u1", None, DELETED, _link(active=False), removed="deleted")
    assert plan_user(gone, DEFAULT_USER_MAPPING) is None  # already inactive: nothing to send
    assert plan_user(Candidate("u1", None, DELETED, None, removed="deleted"), DEFAULT_USER_MAPPING) is None


def test_hard_delete_deletes_linked_account_only_when_opted_in() -> None:
    for link in (_link(), _link(active=False)):
        candidate = Candidate("u1", None, DELETED, link, removed="deleted")
        op = plan_user(candidate, DEFAULT_USER_MAPPING, hard_delete_action="delete")
        assert op is not None and op.action is Action.DELETE and op.target_id == "goto-1"
    unlinked = Candidate("u1", None, DELETED, None, removed="deleted")
    assert plan_user(unlinked, DEFAULT_USER_MAPPING, hard_delete_action="delete") is None


@pytest.mark.parametrize(("scope", "expected"), [(DEFAULT_ACCESS, Action.SKIP), (DISABLED, Action.SKIP)])
def test_assigned_but_not_provisionable_is_skipped_with_reason(
    scope: ScopeDecision, expected: Action
) -> None:
    op = plan_user(Candidate("u1", ALICE, scope, None), DEFAULT_USER_MAPPING)
    assert op is not None and op.action is expected and op.reason == scope.reason


def test_unassigned_unknown_user_is_ignored() -> None:
    assert plan_user(Candidate("u1", ALICE, UNASSIGNED, None), DEFAULT_USER_MAPPING) is None


def test_in_scope_without_attributes_is_refused() -> None:
    with pytest.raises(ValueError, match="u1"):
        plan_user(Candidate("u1", None, IN, None), DEFAULT_USER_MAPPING)


@pytest.mark.parametrize(("scope", "expected"), [(UNASSIGNED, Action.SKIP), (DEFAULT_ACCESS, Action.SKIP)])
def test_skip_out_of_scope_deletions_spares_unassigned(scope: ScopeDecision, expected: Action) -> None:
    op = plan_user(
        Candidate("u1", ALICE, scope, _link()), DEFAULT_USER_MAPPING, skip_out_of_scope_deletions=True
    )
    assert op is not None and op.action is expected and "SKIP_OUT_OF_SCOPE_DELETIONS" in op.reason


def test_skip_out_of_scope_deletions_still_disables_disabled_users() -> None:
    op = plan_user(
        Candidate("u1", ALICE, DISABLED, _link()), DEFAULT_USER_MAPPING, skip_out_of_scope_deletions=True
    )
    assert op is not None and op.action is Action.DISABLE
