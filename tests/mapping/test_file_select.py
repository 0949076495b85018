"""graph_select derived from a file: id first, then sources, attributes read by expressions and by
scoping filters, then accountEnabled, in file order without repeats; `a.b` selects `a`."""

from __future__ import annotations

from provisioning.mapping.file import parse_mapping_text

FILE = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: title, source: jobTitle}
    - {target: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter',
       source: employeeOrgData.costCenter}
    - {target: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division',
       expression: 'ToUpper([employeeOrgData.division])'}
    - {target: externalId, source: objectId}
    - {target: nickName, expression: 'Coalesce([mailNickname], [givenName])'}
  scoping:
    - - {attribute: department, operator: EQUALS, value: Sales}
      - {attribute: jobTitle, operator: IS NOT NULL}
    - - {attribute: country, operator: EQUALS, value: FR}
"""


def test_select_covers_sources_expressions_and_scoping_once_each() -> None:
    mapping = parse_mapping_text(FILE, kind="yaml", origin="select.yaml").users
    assert mapping.graph_select() == [
        "id",
        "userPrincipalName",
        "givenName",
        "surname",
        "jobTitle",
        "employeeOrgData",
        "mailNickname",
        "department",
        "country",
        "accountEnabled",
    ]


def test_scoping_filters_are_compiled_from_the_file() -> None:
    mapping = parse_mapping_text(FILE, kind="yaml", origin="select.yaml").users
    assert mapping.in_scope({"department": "Sales", "jobTitle": "Rep"})
    assert not mapping.in_scope({"department": "Sales", "jobTitle": None})
    assert mapping.in_scope({"country": "FR"})
    assert not mapping.in_scope({"department": "sales", "jobTitle": "Rep"})  # case-sensitive, as Entra
