"""map_user on a loaded file: Direct, Constant and Expression rows, `default` on null (and on the
empty string, which Entra treats as null), on-create rows skipped on update, a row whose expression
flow is "ignored" left out, nested sources, and `existing` reaching SelectUniqueValue."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioning.mapping.file import parse_mapping_text

FILE = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: locale, constant: en_US, apply: on-create}
    - {target: title, source: jobTitle, default: Staff}
    - {target: nickName, expression: 'IgnoreFlowIfNullOrEmpty([mailNickname])'}
    - {target: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter',
       source: employeeOrgData.costCenter, default: none}
    - {target: externalId, source: objectId}
"""
MAPPING = parse_mapping_text(FILE, kind="yaml", origin="test.yaml").users
COST_CENTER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"


def test_every_kind_of_source_on_create() -> None:
    user = {
        "id": "u1",
        "userPrincipalName": "ada@contoso.com",
        "givenName": "Ada",
        "surname": "Lovelace",
        "jobTitle": "Engineer",
        "mailNickname": "ada",
        "employeeOrgData": {"costCenter": "CC-7", "division": None},
    }
    assert MAPPING.map_user(user, creating=True) == {
        "userName": "ada@contoso.com",
        "displayName": "Ada Lovelace",
        "locale": "en_US",
        "title": "Engineer",
        "nickName": "ada",
        COST_CENTER: "CC-7",
        "externalId": "u1",
    }


def test_on_update_on_create_rows_are_skipped_and_defaults_fill_nulls() -> None:
    user = {"id": "u2", "userPrincipalName": "bob@contoso.com", "jobTitle": "", "employeeOrgData": None}
    values = MAPPING.map_user(user, creating=False)
    assert "locale" not in values  # on-create only
    assert values["title"] == "Staff"  # "" is null in Entra's model: the default applies
    assert values[COST_CENTER] == "none"  # employeeOrgData itself is null
    assert values["displayName"] is None  # Join of nothing is empty, and empty clears


def test_an_ignored_flow_drops_the_row_instead_of_clearing_it() -> None:
    values = MAPPING.map_user({"id": "u3", "userPrincipalName": "cy@contoso.com"}, creating=True)
    assert "nickName" not in values
    assert MAPPING.map_user({"mailNickname": "cy"}, creating=True)["nickName"] == "cy"


def test_existing_values_reach_select_unique_value() -> None:
    mapping = parse_mapping_text(
        """
version: 1
users:
  mappings:
    - target: userName
      matching: 1
      expression: >-
        SelectUniqueValue(Join("@", [mailNickname], "contoso.com"),
        Join("@", Join("", [mailNickname], "2"), "contoso.com"))
""",
        kind="yaml",
        origin="unique.yaml",
    ).users
    taken = {"ada@contoso.com"}
    user = {"mailNickname": "ada"}
    assert mapping.map_user(user, creating=True) == {"userName": "ada@contoso.com"}
    assert mapping.map_user(user, creating=True, existing=taken.__contains__) == {
        "userName": "ada2@contoso.com"
    }


def test_now_is_passed_to_expressions() -> None:
    mapping = parse_mapping_text(
        "version: 1\nusers:\n  mappings:\n"
        "    - {target: userName, source: userPrincipalName, matching: 1}\n"
        "    - {target: nickName, expression: 'Now()'}\n",
        kind="yaml",
        origin="now.yaml",
    ).users
    moment = datetime(2020, 3, 16, 7, 0, tzinfo=UTC)
    assert mapping.map_user({}, creating=True, now=moment)["nickName"] == "3/16/2020 7:00:00 AM"


def test_entra_object_id_is_graph_id_in_sources_expressions_and_filters() -> None:
    mapping = parse_mapping_text(
        "version: 1\nusers:\n  mappings:\n"
        "    - {target: userName, source: userPrincipalName, matching: 1}\n"
        "    - {target: externalId, source: objectId}\n"
        '    - {target: nickName, expression: \'Join("-", "u", [objectId])\'}\n'
        "  scoping:\n    - - {attribute: objectId, operator: ENDS_WITH, value: '7'}\n",
        kind="yaml",
        origin="object-id.yaml",
    ).users
    user = {"id": "a7", "userPrincipalName": "ada@contoso.com"}
    assert mapping.map_user(user, creating=True) == {
        "userName": "ada@contoso.com",
        "externalId": "a7",
        "nickName": "u-a7",
    }
    assert mapping.in_scope(user)
    assert not mapping.in_scope({"id": "a8"})
    assert mapping.graph_select() == ["id", "userPrincipalName", "accountEnabled"]
