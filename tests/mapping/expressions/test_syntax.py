"""The grammar: what parses (attributes, escapes, numbers, empty optional arguments, comparisons,
several lines) and the attributes an expression reads."""

from __future__ import annotations

import pytest

from provisioning.mapping.expressions import parse
from provisioning.mapping.expressions.nodes import Call, Empty, Literal
from tests.mapping.expressions.evaluate import value


@pytest.mark.parametrize(
    "name",
    ["extension_9d98ed114c4840d298fad781915f27e4_employeeID", "manager", "IsSoftDeleted", "appRoleAssignments",  # noqa: E501
     "onPremisesExtensionAttributes.extensionAttribute1", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],  # noqa: E501 (verbatim)
)  # fmt: skip
def test_attribute_names(name: str) -> None:
    expression = parse(f"[{name}]")
    assert expression.attributes == frozenset({name})
    assert expression.evaluate({name: "v"}).value == "v"


def test_a_dotted_attribute_reads_inside_a_complex_property() -> None:
    attributes = {"onPremisesExtensionAttributes": {"extensionAttribute1": "42"}}
    assert value("[onPremisesExtensionAttributes.extensionAttribute1]", attributes) == "42"


def test_attributes_lists_every_attribute_read() -> None:
    expression = parse('IIF([country]="USA", Join(" ", [givenName], [surname]), Coalesce([mail], "x"))')
    assert expression.attributes == frozenset({"country", "givenName", "surname", "mail"})
    assert parse('"constant"').attributes == frozenset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Company name: \\"Contoso\\""', 'Company name: "Contoso"'),  # the reference's escaping example
        ('"back\\\\slash"', "back\\slash"),
        ('"a,b)c"', "a,b)c"),
        ('""', ""),
        ("42", 42),
        ("-10", -10),
        ("2.5", 2.5),
        ("&HFF", 255),
    ],
)
def test_literals(text: str, expected: object) -> None:
    assert value(text) == expected


def test_empty_optional_arguments_keep_their_place() -> None:
    root = parse('Replace([x], , "a", , "b", , )').root
    assert isinstance(root, Call)
    assert [type(a).__name__ for a in root.args] == [
        "Attribute",
        "Empty",
        "Literal",
        "Empty",
        "Literal",
        "Empty",
        "Empty",
    ]
    assert isinstance(root.args[1], Empty) and root.args[1].at.column == 13  # just after its comma


def test_a_call_without_arguments_has_none() -> None:
    root = parse("Guid( )").root
    assert isinstance(root, Call) and root.args == ()


def test_positions_over_several_lines() -> None:
    root = parse('Join(" ",\n  [givenName],\n  "x")').root
    assert isinstance(root, Call)
    last = root.args[2]
    assert isinstance(last, Literal) and (last.at.line, last.at.column, last.at.position) == (3, 3, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('IIF([a] = "x", 1, 2)', 1),
        ('IIF([a] <> "x", 1, 2)', 2),
        ("IIF([n] >= 3, 1, 2)", 1),
        ("IIF([n] <= 2, 1, 2)", 2),
        ("IIF([n] > 3, 1, 2)", 2),
        ("IIF([n] < 4, 1, 2)", 1),
        ('IIF([a]="X", 1, 2)', 2),  # case-sensitive
        ("IIF(True, 1, 2)", 1),
        ("IIF(False, 1, 2)", 2),
    ],
)
def test_comparisons(text: str, expected: int) -> None:
    assert value(text, {"a": "x", "n": 3}) == expected
