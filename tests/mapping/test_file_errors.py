"""Each kind of mapping-file error, its message asserted: one broken fixture per kind (in
tests/mapping/fixtures/), every problem of a file reported at once, path first, YAML line last."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioning.errors import ConfigError
from provisioning.mapping.file import MappingFileError, load_mapping_file

FIXTURES = Path(__file__).parent / "fixtures"
OPERATORS = (
    "EQUALS, NOT EQUALS, Includes, ENDS_WITH, REGEX MATCH, NOT REGEX MATCH, Greater_Than, "
    "Greater_Than_OR_EQUALS, &, !&, IS TRUE, IS FALSE, IS NULL, IS NOT NULL"
)
ENTRY_KEYS = "target, source, constant, expression, apply, default, matching"
M1 = "users.mappings[1]"
NO_MATCHING = "no matching attribute: give the entry that pairs existing GoTo objects `matching: 1`"

CASES = {
    "yaml-syntax.yaml": [
        "(file): not valid YAML at line 6, column 6: expected <block end>, but found '<block mapping start>'"
    ],
    "json-syntax.json": ["(file): not valid JSON at line 3, column 95: Expecting value"],
    "empty.yaml": [
        f"(file): {FIXTURES / 'empty.yaml'} is empty: it needs at least `version: 1` and `users.mappings`"
    ],
    "top-level-list.yaml": ["(file): expected object, got array (line 1)"],
    "version-wrong.yaml": ["version: must be 1 (got 2): the only format this release reads (line 1)"],
    "version-missing.json": ["version: required, but missing"],
    "unknown-top-key.yaml": [
        "user: unknown key; did you mean 'users'? expected one of: version, users, groups, licenses (line 2)",
        "users: required, but missing (line 1)",
    ],
    "unknown-entry-key.yaml": [
        f"{M1}: no source: give one of source (an Entra attribute), constant or expression (line 5)",
        f"{M1}.sorce: unknown key; did you mean 'source'? expected one of: {ENTRY_KEYS} (line 5)",
    ],
    "two-sources.yaml": [
        f"{M1}: source and constant given: use exactly one of source, constant, expression (line 5)"
    ],
    "constant-with-default.yaml": [
        f"{M1}.default: a constant is never null, so a default has no use: drop one of them (line 5)"
    ],
    "bad-apply.yaml": ['users.mappings[1].apply: "sometimes" is not one of: always, on-create (line 5)'],
    "matching-not-positive.yaml": [
        "users.mappings[1].matching: must be a whole number from 1 up (got 0); 1 is tried first (line 5)"
    ],
    "matching-not-integer.yaml": ['users.mappings[0].matching: expected integer, got string "1" (line 4)'],
    "bad-source-name.yaml": [
        'users.mappings[0].source: "user principal name" is not an Entra attribute name: letters, digits '
        "and _, with at most one `.name` for a property inside a complex one (employeeOrgData.costCenter)"
        " (line 4)"
    ],
    "blank-target.yaml": ["users.mappings[1].target: must not be blank (line 5)"],
    "bad-target.yaml": [
        f'{M1}.target: "emails[type co \\"work\\"].value" is not a SCIM attribute path: use attr, '
        'attr.sub or attr[type eq "work"].sub, optionally behind an extension URN (line 5)'
    ],
    "reserved-target.yaml": [
        "users.mappings[1].target: active follows the lifecycle (true while in scope, false once out of "
        "scope); it cannot be mapped (line 5)"
    ],
    "duplicate-target.yaml": [
        'users.mappings[2].target: "UserName" is already the target of users.mappings[0] (line 6)'
    ],
    "duplicate-precedence.yaml": [
        "users.mappings[1].matching: precedence 1 is already taken by users.mappings[0] (line 5)"
    ],
    "no-matching.yaml": [f"users.mappings: {NO_MATCHING} (line 3)"],
    "groups-no-matching.yaml": [f"groups.mappings: {NO_MATCHING} (line 6)"],
    "constant-matching.yaml": [
        f"{M1}.matching: a constant cannot be a matching attribute: every object would match (line 5)"
    ],
    "expression-syntax.yaml": [
        f"{M1}.expression: at column 23: expected a comparison (=, <>, <, <=, >, >=), ')' or ',', "
        "found '[surname]' (line 6)"
    ],
    "expression-unknown-function.yaml": [
        "users.mappings[1].expression: at column 1: unknown function 'Joyn' (did you mean 'Join'?) (line 6)"
    ],
    "scoping-clause-shape.yaml": ["users.scoping[0][0].operator: required, but missing (line 6)"],
    "scoping-operator.yaml": [
        f"users.scoping[0][1].operator: unknown operator 'LIKE' (known: {OPERATORS}) (line 7)"
    ],
    "licenses-shape.yaml": ['licenses.Organizer: expected array, got string "G2M_ORGANIZER" (line 6)'],
    "duplicate-key.yaml": ["users.mappings[0].source: given twice (lines 5 and 6); keep one (line 5)"],
    "unknown-extension.txt": [
        f"{FIXTURES / 'unknown-extension.txt'}: unknown file type: use .yaml, .yml or .json"
    ],
}
MANY = [
    "users.mappings[1].expression: at column 33: expected ')' or ',', found the end of the expression",
    'users.mappings[2].apply: "sometimes" is not one of: always, on-create',
    'users.mappings[3].target: "username" is already the target of users.mappings[0]',
    "users.mappings[4].matching: precedence 1 is already taken by users.mappings[0]",
]


def _problems(name: str) -> list[str]:
    with pytest.raises(MappingFileError) as caught:
        load_mapping_file(FIXTURES / name)
    return [problem.render() for problem in caught.value.errors]


@pytest.mark.parametrize(("name", "expected"), list(CASES.items()), ids=list(CASES))
def test_each_kind_of_error_is_reported_with_its_path(name: str, expected: list[str]) -> None:
    assert _problems(name) == expected


def test_every_fixture_has_its_case() -> None:
    names = {p.name for p in FIXTURES.iterdir()} - {"many-errors.yaml", "many-errors.json"}
    assert names == set(CASES)


def test_every_error_of_a_yaml_file_at_once_in_file_order_with_lines() -> None:
    assert _problems("many-errors.yaml") == [
        f"{line} (line {n})" for line, n in zip(MANY, [9, 12, 13, 17], strict=True)
    ]


def test_every_error_of_a_json_file_at_once_in_file_order() -> None:
    assert _problems("many-errors.json") == MANY


def test_a_missing_file_is_named() -> None:
    missing = FIXTURES / "no-such-file.yaml"
    assert _problems("no-such-file.yaml") == [
        f"{missing}: cannot read the mapping file: No such file or directory"
    ]


def test_the_error_is_a_config_error_naming_the_setting_and_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load_mapping_file(FIXTURES / "many-errors.json")
    assert caught.value.setting == "MAPPINGS_FILE"
    origin = str(FIXTURES / "many-errors.json")
    assert caught.value.problems == [("MAPPINGS_FILE", f"{origin}: {line}") for line in MANY]
    assert str(caught.value).startswith(
        f"MAPPINGS_FILE: {origin}: 4 problem(s): users.mappings[1].expression"
    )
