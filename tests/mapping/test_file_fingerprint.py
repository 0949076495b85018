"""mapping.fingerprint hashes the effective mapping, not the file's bytes: the same mapping written
as YAML or JSON, reordered, commented or with defaults spelled out hashes alike; any change to what
a row does, to scoping or to licenses changes it."""

from __future__ import annotations

import json
import re

import pytest

from provisioning.mapping.file import load_default, parse_mapping_text

YAML = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName], [surname])'}
    - {target: title, source: jobTitle, default: Staff}
  scoping:
    - - {attribute: department, operator: EQUALS, value: Sales}
licenses:
  Organizer: [G2M_ORGANIZER]
"""
SAME = {
    "licenses": {"Organizer": ["G2M_ORGANIZER"]},
    "users": {
        "scoping": [[{"value": "Sales", "operator": "EQUALS", "attribute": "department"}]],
        "mappings": [
            {"source": "jobTitle", "target": "title", "default": "Staff", "apply": "always"},
            {"target": "userName", "matching": 1, "source": "userPrincipalName"},
            {"target": "displayName", "expression": 'Join(" ", [givenName], [surname])'},
        ],
    },
    "version": 1,
}
BASE = parse_mapping_text(YAML, kind="yaml", origin="base.yaml")


def test_the_same_mapping_written_differently_hashes_alike() -> None:
    other = parse_mapping_text(json.dumps(SAME, indent=4), kind="json", origin="same.json")
    assert re.fullmatch(r"[0-9a-f]{64}", BASE.fingerprint)
    assert other.fingerprint == BASE.fingerprint
    assert other.users.fingerprint == BASE.users.fingerprint
    commented = "# reviewed in PR 12\n" + YAML.replace("source: jobTitle,", "source: 'jobTitle',  ")
    assert parse_mapping_text(commented, kind="yaml", origin="c.yaml").fingerprint == BASE.fingerprint


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("source: jobTitle", "source: department"),
        ("default: Staff", "default: Team"),
        ("default: Staff", "default: Staff, apply: on-create"),
        ("[surname])", "[surname], [mail])"),
        ("value: Sales", "value: Support"),
        ("[G2M_ORGANIZER]", "[G2M_ORGANIZER, G2W]"),
        ("source: jobTitle, default: Staff", "constant: Staff"),
    ],
)
def test_any_change_of_meaning_changes_the_fingerprint(old: str, new: str) -> None:
    assert old in YAML
    changed = parse_mapping_text(YAML.replace(old, new), kind="yaml", origin="changed.yaml")
    assert changed.fingerprint != BASE.fingerprint


def test_the_default_fingerprint_is_stable_across_loads() -> None:
    load_default.cache_clear()
    first = load_default().fingerprint
    load_default.cache_clear()
    assert load_default().fingerprint == first
    assert load_default().users.fingerprint != first  # the file's hash covers groups and licenses too
