"""preview USER_ID's decision (pure, no I/O): the SCIM body a create would send (build_user of the
create mapping, active true), scope decided as a cycle decides it, and for a linked user the update
the next cycle would send: the paths that differ from what was last written."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.engine.scope import AssignmentIndex
from provisioning.errors import ConfigError
from provisioning.mapping.file import load_default, parse_mapping_text
from provisioning.model import DEFAULT_ACCESS_ROLE_ID, Assignment, Link
from provisioning.preview import user_preview

ROLE = "11111111-1111-1111-1111-111111111111"
USER = "0f5c2b8e-1d2a-4b7e-9a51-3c2d1e0f9a11"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEFAULT = load_default().users
READ = {
    "id": USER,
    "userPrincipalName": "ada@contoso.com",
    "displayName": "Ada Lovelace",
    "givenName": "Ada",
    "surname": "Lovelace",
    "mail": "ada@contoso.com",
    "mailNickname": "ada",
    "department": "Research",
    "employeeId": None,
    "employeeOrgData": {"costCenter": "CC-7", "division": None},
    "accountEnabled": True,
}


def assigned(role: str = ROLE) -> AssignmentIndex:
    return AssignmentIndex([Assignment("a1", USER, "User", role)], {})


def linked(written: dict[str, Any], *, active: bool = True) -> Link:
    return Link(USER, "goto-1", active, written, {})


def test_an_unlinked_user_gets_the_create_payload() -> None:
    preview = user_preview(USER, READ, None, assigned(), DEFAULT).as_dict()
    assert preview["payload"] == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ada@contoso.com",
        "displayName": "Ada Lovelace",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"type": "work", "value": "ada@contoso.com", "primary": True}],
        "externalId": "ada",
        ENTERPRISE: {"department": "Research", "costCenter": "CC-7"},
        "active": True,
    }
    assert (preview["inScope"], preview["action"], preview["link"], preview["update"]) == (
        True,
        "create",
        None,
        None,
    )
    assert preview["scope"] == {"kind": "in-scope", "reason": f"assigned directly with app role {ROLE}"}


def test_a_linked_user_gets_the_changed_paths_against_what_was_last_written() -> None:
    written = {**DEFAULT.map_user(READ, creating=True), "active": True, "displayName": "Ada King"}
    preview = user_preview(USER, READ, linked(written), assigned(), DEFAULT).as_dict()
    assert preview["action"] == "update"
    assert preview["update"] == [{"attribute": "displayName", "old": "Ada King", "new": "Ada Lovelace"}]
    assert preview["link"] == {"targetId": "goto-1", "active": True}


def test_a_linked_user_in_step_has_nothing_to_send() -> None:
    written = {**DEFAULT.map_user(READ, creating=True), "active": True}
    preview = user_preview(USER, READ, linked(written), assigned(), DEFAULT).as_dict()
    assert (preview["action"], preview["update"]) == ("none", [])


def test_the_previewed_file_decides_payload_and_scope() -> None:
    text = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: title, expression: 'Join(" / ", [department], [givenName])'}
  scoping:
    - - {attribute: department, operator: EQUALS, value: Sales}
"""
    sales_only = parse_mapping_text(text, kind="yaml", origin="sales.yaml").users
    written = {**DEFAULT.map_user(READ, creating=True), "active": True}
    preview = user_preview(USER, READ, linked(written), assigned(), sales_only).as_dict()
    assert preview["payload"]["title"] == "Research / Ada" and "displayName" not in preview["payload"]
    assert preview["scope"]["kind"] == "filtered" and not preview["inScope"]
    assert preview["action"] == "disable"
    assert preview["update"] == [{"attribute": "active", "old": True, "new": False}]
    kept = user_preview(
        USER, READ, linked(written), assigned(), sales_only, skip_out_of_scope_deletions=True
    ).as_dict()
    assert (kept["action"], kept["update"]) == ("skip", [])


def test_default_access_and_unassigned_users_are_out_of_scope_with_the_reason() -> None:
    default_access = user_preview(USER, READ, None, assigned(DEFAULT_ACCESS_ROLE_ID), DEFAULT).as_dict()
    assert default_access["scope"]["kind"] == "default-access" and default_access["action"] == "skip"
    nobody = user_preview(USER, READ, None, AssignmentIndex([], {}), DEFAULT).as_dict()
    assert nobody["scope"]["kind"] == "not-assigned" and nobody["action"] == "none"


def test_a_row_that_cannot_map_this_user_is_named() -> None:
    text = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: title, expression: 'FormatDateTime([department], , "yyyyMMddHHmmss.fZ", "yyyy")'}
"""
    dated = parse_mapping_text(text, kind="yaml", origin="dated.yaml").users
    with pytest.raises(ConfigError) as raised:
        user_preview(USER, READ, None, assigned(), dated)
    assert str(raised.value) == (
        f"users.mappings[1] (title): cannot map user {USER}: expression: at column 1: "
        "FormatDateTime: 'Research' does not match the date format 'yyyyMMddHHmmss.fZ'"
    )
