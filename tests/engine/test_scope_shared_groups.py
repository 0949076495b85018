"""Users who share a set of groups share its best assignment (worked out once per set): the decision
is still the one assignments_of's order gives, whatever else the user holds."""

from __future__ import annotations

from provisioning.engine.scope import AssignmentIndex, decide_scope
from provisioning.model import DEFAULT_ACCESS_ROLE_ID, Assignment

REAL, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
ENABLED = {"accountEnabled": True}


def _index() -> AssignmentIndex:
    assignments = [
        Assignment("a-9", "g-sales", "Group", REAL, "Sales"),
        Assignment("a-3", "g-ops", "Group", OTHER, "Ops"),
        Assignment("a-5", "g-all", "Group", DEFAULT_ACCESS_ROLE_ID, "All"),
        Assignment("a-7", "u-direct-default", "User", DEFAULT_ACCESS_ROLE_ID),
        Assignment("a-8", "u-direct", "User", OTHER),
    ]
    members = {
        "g-sales": {"u-1", "u-2", "u-direct-default", "u-direct"},
        "g-ops": {"u-1", "u-2"},
        "g-all": {"u-1", "u-2", "u-3", "u-direct-default"},
    }
    return AssignmentIndex(assignments, members)


def test_the_best_assignment_is_the_first_of_assignments_of() -> None:
    index = _index()
    for user in ("u-1", "u-2", "u-3", "u-direct-default", "u-direct", "u-nobody"):
        found = index.assignments_of(user)
        assert index.best_of(user) == (found[0] if found else None), user


def test_users_sharing_groups_get_the_same_decision() -> None:
    index = _index()
    first, second = (decide_scope(u, index, source=ENABLED) for u in ("u-1", "u-2"))
    assert first == second
    assert first.in_scope and first.app_role_id == OTHER  # a-3 sorts before a-9
    assert first.reason == f"member of assigned group 'Ops' with app role {OTHER}"


def test_a_direct_assignment_still_comes_before_groups() -> None:
    index = _index()
    direct = decide_scope("u-direct", index, source=ENABLED)
    assert direct.reason == f"assigned directly with app role {OTHER}"
    # Default Access given directly loses to a real role through a group
    mixed = decide_scope("u-direct-default", index, source=ENABLED)
    assert mixed.in_scope and mixed.reason == f"member of assigned group 'Sales' with app role {REAL}"


def test_groups_holding_only_default_access_leave_the_user_out() -> None:
    decision = decide_scope("u-3", _index(), source=ENABLED)
    assert not decision.in_scope and decision.assigned and decision.app_role_id == DEFAULT_ACCESS_ROLE_ID
