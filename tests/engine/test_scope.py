"""Scope rules: direct or direct-group assignment with a real role, enabled, not deleted."""

from __future__ import annotations

import pytest

from provisioning.engine.scope import (
    REASON_DEFAULT_ACCESS,
    REASON_DISABLED,
    REASON_HARD_DELETED,
    REASON_NOT_ASSIGNED,
    REASON_SOFT_DELETED,
    AssignmentIndex,
    decide_scope,
)
from provisioning.model import DEFAULT_ACCESS_ROLE_ID, Assignment

ROLE = "11111111-1111-1111-1111-111111111111"
ENABLED = {"accountEnabled": True}


def _index() -> AssignmentIndex:
    assignments = [
        Assignment("a1", "u-direct", "User", ROLE),
        Assignment("a2", "g-sales", "Group", ROLE, "Sales"),
        Assignment("a3", "u-default", "User", DEFAULT_ACCESS_ROLE_ID),
        Assignment("a4", "g-default", "Group", DEFAULT_ACCESS_ROLE_ID, "Everyone"),
        Assignment("a5", "u-both", "User", DEFAULT_ACCESS_ROLE_ID),
    ]
    members = {"g-sales": {"u-member", "u-both"}, "g-default": {"u-default-member"}, "g-unassigned": {"u-x"}}
    return AssignmentIndex(assignments, members)


@pytest.mark.parametrize(
    ("user", "source", "removed", "in_scope", "reason_part", "assigned"),
    [
        ("u-direct", ENABLED, None, True, "assigned directly", True),
        ("u-member", ENABLED, None, True, "member of assigned group 'Sales'", True),
        ("u-both", ENABLED, None, True, "member of assigned group 'Sales'", True),
        ("u-default", ENABLED, None, False, REASON_DEFAULT_ACCESS, True),
        ("u-default-member", ENABLED, None, False, REASON_DEFAULT_ACCESS, True),
        ("u-x", ENABLED, None, False, REASON_NOT_ASSIGNED, False),
        ("u-nobody", ENABLED, None, False, REASON_NOT_ASSIGNED, False),
        ("u-direct", {"accountEnabled": False}, None, False, REASON_DISABLED, True),
        ("u-direct", ENABLED, "changed", False, REASON_SOFT_DELETED, True),
        ("u-direct", None, "deleted", False, REASON_HARD_DELETED, True),
    ],
)
def test_decide_scope(
    user: str,
    source: dict[str, bool] | None,
    removed: str | None,
    in_scope: bool,
    reason_part: str,
    assigned: bool,
) -> None:
    decision = decide_scope(user, _index(), source=source, removed=removed)  # type: ignore[arg-type]
    assert decision.in_scope is in_scope
    assert reason_part in decision.reason
    assert decision.assigned is assigned


def test_nested_groups_are_not_expanded() -> None:
    index = AssignmentIndex([Assignment("a", "g-parent", "Group", ROLE)], {"g-parent": {"g-child"}})
    assert not index.is_assigned("u-in-child")
    assert index.assigned_group_ids == {"g-parent"}
