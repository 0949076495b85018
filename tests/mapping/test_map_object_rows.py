"""map_object reads direct rows inline (it runs per user): what it gives is still, row by row and in
the rows' order, what each row's own `value` gives, on create and on update."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.mapping.attributes import ApplyWhen
from provisioning.mapping.file import parse_mapping_text

MAPPING = parse_mapping_text(
    """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: externalId, source: objectId}
    - {target: title, source: jobTitle, default: Staff}
    - {target: costCenter, source: employeeOrgData.costCenter, default: none}
    - {target: locale, constant: en_US, apply: on-create}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: nickName, expression: 'IgnoreFlowIfNullOrEmpty([mailNickname])', apply: on-create}
    - {target: division, source: employeeOrgData.division}
""",
    kind="yaml",
    origin="test.yaml",
).users

USERS: list[dict[str, Any]] = [
    {"id": "u1", "userPrincipalName": "a@x", "jobTitle": "Eng", "employeeOrgData": {"costCenter": "7"}},
    {"id": "u2", "userPrincipalName": "", "jobTitle": None, "employeeOrgData": "not an object"},
    {"id": "u3", "givenName": "Cy", "mailNickname": "cy", "employeeOrgData": {"costCenter": ""}},
    {"id": "u4", "userPrincipalName": 0, "jobTitle": False, "employeeOrgData": {"division": []}},
]


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("user", USERS, ids=[u["id"] for u in USERS])
def test_map_object_is_each_rows_value(user: dict[str, Any], creating: bool) -> None:
    expected: list[tuple[str, Any]] = []
    for row in MAPPING.attributes:
        if row.apply is ApplyWhen.ON_CREATE and not creating:
            continue
        value, flows = row.value(user)
        if flows:
            expected.append((row.target, value))
    assert list(MAPPING.map_user(user, creating=creating).items()) == expected
