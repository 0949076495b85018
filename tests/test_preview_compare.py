"""preview --diff's comparison (pure, no I/O): for each assigned user, the deployed and the new mapping
on the same Entra values; counts per target of values changed / set / cleared, users leaving or
entering scope through the scoping filters, at most five examples, and targets no longer written."""

from __future__ import annotations

from typing import Any

from provisioning.engine.plan import Change
from provisioning.engine.scope import AssignmentIndex
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from provisioning.model import Assignment, Link
from provisioning.preview import TenantDiff, change_kind, compare_user, union_select

ROLE = "11111111-1111-1111-1111-111111111111"
DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
BASE_ROWS = """
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
    - {target: externalId, source: mailNickname}
"""


def mapping(rows: str = "", scoping: str = "[]", base: str = BASE_ROWS) -> UserMapping:
    text = f"version: 1\nusers:\n  mappings:{base}{rows}\n  scoping: {scoping}\n"
    return parse_mapping_text(text, kind="yaml", origin="test.yaml").users


DEPLOYED = mapping()
WITH_DEPARTMENT = mapping(f"    - {{target: '{DEPARTMENT}', source: department}}\n")


def user(n: int, **attributes: Any) -> dict[str, Any]:
    values = {
        "userPrincipalName": f"u{n}@contoso.com",
        "displayName": f"User {n}",
        "mailNickname": f"u{n}",
        "accountEnabled": True,
    }
    return {**values, **attributes}


def index(*user_ids: str) -> AssignmentIndex:
    return AssignmentIndex([Assignment(f"a-{u}", u, "User", ROLE) for u in user_ids], {})


def link(user_id: str, source: dict[str, Any], written: dict[str, Any] | None = None) -> Link:
    """A link as a cycle under DEPLOYED leaves it: what it wrote is the deployed mapping's values."""
    values = written if written is not None else {**DEPLOYED.map_user(source, creating=True), "active": True}
    return Link(user_id, f"goto-{user_id}", True, values, source)


def diff_of(
    users: dict[str, dict[str, Any]],
    new: UserMapping,
    *,
    deployed: UserMapping = DEPLOYED,
    unlinked: tuple[str, ...] = (),
    unassigned: tuple[str, ...] = (),
    written: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    diff = TenantDiff.between(deployed, new, origins=("deployed.yaml", "new.yaml"))
    assigned = index(*(u for u in users if u not in unassigned))
    for user_id, source in users.items():
        if user_id in unassigned:
            continue
        linked = None if user_id in unlinked else link(user_id, source, (written or {}).get(user_id))
        diff.add(compare_user(user_id, source, linked, assigned, deployed, new))
    return diff.as_dict()


def test_an_added_department_row_counts_only_users_who_have_one() -> None:
    users = {
        "u1": user(1, department="Sales"),
        "u2": user(2, department=None),  # null stays absent: nothing written
        "u3": user(3, department="Support"),
        "u4": user(4, department="Sales"),  # not linked yet: created by the next cycle anyway
    }
    result = diff_of(users, WITH_DEPARTMENT, unlinked=("u4",))
    assert result["usersWithPayloadChanges"] == 2
    assert result["attributes"] == {DEPARTMENT: {"changed": 0, "set": 2, "cleared": 0}}
    assert (result["assignedUsers"], result["linkedUsersCompared"]) == (4, 3)
    assert result["examples"] == [
        {"user": "u1@contoso.com", "attribute": DEPARTMENT, "old": None, "new": "Sales"},
        {"user": "u3@contoso.com", "attribute": DEPARTMENT, "old": None, "new": "Support"},
    ]
    assert result["leaveScope"] == result["enterScope"] == {"count": 0, "examples": []}
    assert not result["sameMapping"] and result["noLongerWritten"] == []


def test_changed_and_cleared_values_are_told_apart() -> None:
    new = mapping(
        base="""
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: externalId, source: employeeId}
"""
    )
    users = {
        "u1": user(1, givenName="Ada", surname="Lovelace", employeeId=None),
        "u2": user(2, givenName="Alan", surname="Turing", employeeId="u2"),  # externalId unchanged
    }
    result = diff_of(users, new)
    assert result["attributes"] == {
        "displayName": {"changed": 2, "set": 0, "cleared": 0},
        "externalId": {"changed": 0, "set": 0, "cleared": 1},
    }
    assert result["usersWithPayloadChanges"] == 2
    assert result["examples"][:2] == [
        {"user": "u1@contoso.com", "attribute": "displayName", "old": "User 1", "new": "Ada Lovelace"},
        {"user": "u1@contoso.com", "attribute": "externalId", "old": "u1", "new": None},
    ]


def test_a_target_the_deployed_mapping_does_not_write_is_compared_with_what_was_last_written() -> None:
    source = user(1, department="Sales")
    written = {**DEPLOYED.map_user(source, creating=True), DEPARTMENT: "Sales", "active": True}
    assert diff_of({"u1": source}, WITH_DEPARTMENT, written={"u1": written})["usersWithPayloadChanges"] == 0
    written[DEPARTMENT] = "Old name"
    result = diff_of({"u1": source}, WITH_DEPARTMENT, written={"u1": written})
    assert result["attributes"] == {DEPARTMENT: {"changed": 1, "set": 0, "cleared": 0}}


def test_a_dropped_row_is_not_written_rather_than_cleared() -> None:
    new = mapping(base="\n    - {target: userName, source: userPrincipalName, matching: 1}\n")
    result = diff_of({"u1": user(1)}, new)
    assert result["noLongerWritten"] == ["displayName", "externalId"]
    assert result["usersWithPayloadChanges"] == 0 and result["attributes"] == {}


def test_an_on_create_row_rewrites_no_existing_account() -> None:
    new = mapping(f"    - {{target: '{DEPARTMENT}', source: department, apply: on-create}}\n")
    assert diff_of({"u1": user(1, department="Sales")}, new)["usersWithPayloadChanges"] == 0


def test_scoping_filters_move_users_out_of_and_into_scope() -> None:
    sales_only = "[[{attribute: department, operator: EQUALS, value: Sales}]]"
    users = {
        "u1": user(1, department="Sales"),
        "u2": user(2, department="Support"),
        "u3": user(3, department=None),
        "u4": user(4, department="Support", accountEnabled=False),  # out either way: disabled
        "u5": user(5, department="Support"),  # not assigned: out either way
    }
    narrowed = diff_of(users, mapping(scoping=sales_only), unassigned=("u5",))
    assert narrowed["leaveScope"] == {"count": 2, "examples": ["u2@contoso.com", "u3@contoso.com"]}
    assert narrowed["enterScope"]["count"] == 0
    assert narrowed["usersWithPayloadChanges"] == 0  # leaving is a disable, not an attribute rewrite
    widened = diff_of(users, DEPLOYED, deployed=mapping(scoping=sales_only), unassigned=("u5",))
    assert widened["enterScope"] == {"count": 2, "examples": ["u2@contoso.com", "u3@contoso.com"]}
    assert widened["leaveScope"]["count"] == 0


def test_examples_stop_at_five_and_the_counts_do_not() -> None:
    users = {f"u{n}": user(n, department=f"D{n}") for n in range(8)}
    result = diff_of(users, WITH_DEPARTMENT)
    assert result["usersWithPayloadChanges"] == 8
    assert result["attributes"][DEPARTMENT]["set"] == 8
    assert [e["user"] for e in result["examples"]] == [f"u{n}@contoso.com" for n in range(5)]


def test_the_same_mapping_written_differently_rewrites_nothing() -> None:
    reordered = mapping(
        base="""
    - {target: externalId, source: mailNickname}
    - {target: displayName, source: displayName}
    - {target: userName, source: userPrincipalName, matching: 1}
"""
    )
    result = diff_of({"u1": user(1)}, reordered)
    assert result["sameMapping"] and result["usersWithPayloadChanges"] == 0


def test_the_read_selects_what_either_mapping_reads() -> None:
    scoped = mapping(scoping="[[{attribute: jobTitle, operator: IS NOT NULL}]]")
    assert union_select(scoped, WITH_DEPARTMENT) == [
        "id",
        "userPrincipalName",
        "displayName",
        "mailNickname",
        "jobTitle",
        "accountEnabled",
        "department",
    ]


def test_change_kinds() -> None:
    assert [change_kind(Change("p", o, n)) for o, n in ((None, 1), (1, None), (1, 2))] == [
        "set",
        "cleared",
        "changed",
    ]


def test_a_user_the_new_file_cannot_map_is_counted_not_fatal() -> None:
    dated = '    - {target: title, expression: \'FormatDateTime([hired], , "yyyyMMddHHmmss.fZ", "yyyy")\'}\n'
    users = {"u1": user(1, hired="garbage"), "u2": user(2, hired="20240131120000.0Z")}
    result = diff_of(users, mapping(dated))
    assert result["unmappable"]["count"] == 1
    failure = result["unmappable"]["examples"][0]
    assert (
        failure["user"] == "u1@contoso.com" and "'garbage' does not match the date format" in failure["error"]
    )
    assert result["attributes"] == {"title": {"changed": 0, "set": 1, "cleared": 0}}
    fixed = diff_of(users, DEPLOYED, deployed=mapping(dated))  # the deployed file fails u1 today
    assert fixed["unmappable"]["count"] == 0 and fixed["usersWithPayloadChanges"] == 0
