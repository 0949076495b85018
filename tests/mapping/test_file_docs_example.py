"""The example in docs/mappings.md is a valid file that does what the page says it does."""

from __future__ import annotations

import re
from pathlib import Path

from provisioning.mapping.file import parse_mapping_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"


def _example() -> str:
    found = re.search(r"## Example\n\n```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert found is not None, "docs/mappings.md lost its example"
    return found.group(1)


def test_the_documented_example_loads_and_behaves_as_documented() -> None:
    mapping = parse_mapping_text(_example(), kind="yaml", origin="docs/mappings.md")
    assert mapping.summary() == "7 user mappings, 2 group mappings, 2 scoping filters"
    users = mapping.users
    assert [row.target for row in users.matching] == ["userName", "externalId"]
    assert users.graph_select() == [
        "id",
        "userPrincipalName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "jobTitle",
        "employeeOrgData",
        "department",
        "accountEnabled",
        "onPremisesExtensionAttributes",
    ]
    ada = {
        "userPrincipalName": "ada@contoso.com",
        "givenName": "Ada",
        "surname": "Lovelace",
        "jobTitle": "",
        "department": "Sales",
        "accountEnabled": True,
        "employeeOrgData": {"costCenter": "CC-7"},
    }
    values = users.map_user(ada, creating=False)
    assert values["displayName"] == "Ada Lovelace"
    assert values["title"] == "Staff"
    assert "locale" not in values
    assert values["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"] == "CC-7"
    assert users.in_scope(ada)
    assert not users.in_scope({**ada, "department": "Support"})
    other = {"onPremisesExtensionAttributes": {"extensionAttribute1": "paris-gotomeeting"}}
    assert users.in_scope(other)
    assert mapping.groups.map_group({"id": "g1", "displayName": "Sales"}, creating=True) == {
        "displayName": "Sales",
        "externalId": "g1",
    }
    assert mapping.licenses == {"Organizer": ("G2M_ORGANIZER",)}
