"""The packaged default-mappings.yaml replaces the six coded rows with no behaviour change: the same
rows first, then the enterprise extension rows Microsoft's GoTo connector maps, and for users with
none of the new attributes exactly today's payloads and no update of accounts written before."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from provisioning.engine.plan import Candidate, plan_user
from provisioning.engine.scope import ScopeDecision
from provisioning.mapping.attributes import ApplyWhen, AttributeMapping, UserMapping
from provisioning.mapping.file import load_default, mapping_schema
from provisioning.model import Link
from provisioning.target.paths import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from provisioning.target.payload import build_resource

# The expected: the six rows as they were coded before the file existed (copied, not imported).
TODAY = UserMapping(
    (
        AttributeMapping("userName", "userPrincipalName", matching_precedence=1),
        AttributeMapping("displayName", "displayName"),
        AttributeMapping("name.givenName", "givenName"),
        AttributeMapping("name.familyName", "surname"),
        AttributeMapping('emails[type eq "work"].value', "mail"),
        AttributeMapping("externalId", "mailNickname"),
    )
)
ENTERPRISE = f"{ENTERPRISE_USER_SCHEMA}:"
EXTENSION_ROWS = [
    (f"{ENTERPRISE}department", "department"),
    (f"{ENTERPRISE}employeeNumber", "employeeId"),
    (f"{ENTERPRISE}costCenter", "employeeOrgData.costCenter"),
    (f"{ENTERPRISE}division", "employeeOrgData.division"),
]
USERS: list[dict[str, Any]] = [
    {
        "id": "u1",
        "userPrincipalName": "ada@contoso.com",
        "displayName": "Ada Lovelace",
        "givenName": "Ada",
        "surname": "Lovelace",
        "mail": "ada@contoso.com",
        "mailNickname": "ada",
        "accountEnabled": True,
    },
    {"id": "u2", "userPrincipalName": "bob@contoso.com", "displayName": "Bob", "mail": "", "surname": None},
    {"id": "u3", "userPrincipalName": "cy@contoso.com", "givenName": "Cy", "employeeOrgData": None},
    {"id": "u4", "userPrincipalName": "di@contoso.com", "department": None, "employeeId": ""},
]
IN_SCOPE = ScopeDecision(True, "assigned directly with app role r", True, "r")


def test_default_file_holds_todays_rows_then_the_connector_extension_rows() -> None:
    rows = [(a.target, a.source, a.apply, a.matching_precedence) for a in load_default().users.attributes]
    assert rows[:6] == [(a.target, a.source, a.apply, a.matching_precedence) for a in TODAY.attributes]
    assert rows[6:] == [(target, source, ApplyWhen.ALWAYS, None) for target, source in EXTENSION_ROWS]
    assert [row.target for row in load_default().users.matching] == ["userName"]


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("user", USERS, ids=[u["id"] for u in USERS])
def test_default_file_reproduces_todays_payloads(user: dict[str, Any], creating: bool) -> None:
    new = load_default().users.map_user(user, creating=creating)
    old = TODAY.map_user(user, creating=creating)
    assert build_resource(new, schema=USER_SCHEMA) == build_resource(old, schema=USER_SCHEMA)
    assert {path: new[path] for path in old} == old
    assert {path: value for path, value in new.items() if path not in old} == {
        target: None for target, _ in EXTENSION_ROWS
    }


@pytest.mark.parametrize("user", USERS, ids=[u["id"] for u in USERS])
def test_an_account_written_with_todays_mapping_needs_no_update(user: dict[str, Any]) -> None:
    written = {**TODAY.map_user(user, creating=True), "active": True}
    link = Link(user["id"], f"goto-{user['id']}", True, written=written, source=user)
    assert plan_user(Candidate(user["id"], user, IN_SCOPE, link), load_default().users) is None


def test_extension_attributes_reach_the_enterprise_extension() -> None:
    user = {
        **USERS[0],
        "department": "Research",
        "employeeId": "E-42",
        "employeeOrgData": {"costCenter": "CC-7", "division": "Engines"},
    }
    body = build_resource(load_default().users.map_user(user, creating=True), schema=USER_SCHEMA)
    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]
    assert body[ENTERPRISE_USER_SCHEMA] == {
        "department": "Research",
        "employeeNumber": "E-42",
        "costCenter": "CC-7",
        "division": "Engines",
    }


def test_graph_select_of_the_default_file_selects_employee_org_data_once() -> None:
    assert load_default().users.graph_select() == [
        "id",
        "userPrincipalName",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "department",
        "employeeId",
        "employeeOrgData",
        "accountEnabled",
    ]


def test_default_group_mapping_is_display_name_and_object_id() -> None:
    groups = load_default().groups
    assert [(a.target, a.source, a.matching_precedence) for a in groups.attributes] == [
        ("displayName", "displayName", 1),
        ("externalId", "id", None),
    ]
    assert groups.map_group({"id": "g1", "displayName": "Sales"}, creating=True) == {
        "displayName": "Sales",
        "externalId": "g1",
    }
    assert load_default().licenses == {}
    assert load_default().users.scoping == ()


def test_shipped_schema_is_a_valid_2020_12_schema_that_accepts_the_default_file() -> None:
    jsonschema.Draft202012Validator.check_schema(mapping_schema())
    text = resources.files("provisioning.mapping").joinpath("default-mappings.yaml").read_text("utf-8")
    jsonschema.Draft202012Validator(mapping_schema()).validate(yaml.safe_load(text))
