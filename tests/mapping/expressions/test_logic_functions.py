"""Conditions and flow control: BitAnd, CBool, Coalesce, IgnoreFlowIfNullOrEmpty, IIF, IsNull,
IsNullOrEmpty, IsPresent, IsString, Not, Redact, Switch (the reference's examples and null rules)."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.mapping.expressions import FLOW_IGNORED, FLOW_NORMAL, ExpressionError
from tests.mapping.expressions.evaluate import run, value

REFERENCE_EXAMPLES = [
    ("BitAnd(&HF, &HF7)", {}, 7),
    ("CBool([attribute1] = [attribute2])", {"attribute1": "x", "attribute2": "x"}, True),
    ("CBool([attribute1] = [attribute2])", {"attribute1": "x", "attribute2": "y"}, False),
    (
        "Coalesce([mail],[userPrincipalName])",
        {"userPrincipalName": "John.Doe@contoso.com"},
        "John.Doe@contoso.com",
    ),
    ('IIF([country]="USA",[country],[department])', {"country": "USA", "department": "Sales"}, "USA"),
    ('IIF([country]="USA",[country],[department])', {"country": "FR", "department": "Sales"}, "Sales"),
    (
        'IIF([country]="USA",IIF([state]="CA","True","False"),"False")',
        {"country": "USA", "state": "CA"},
        "True",
    ),
    (
        'IIF([country]="USA",IIF([state]="CA","True","False"),"False")',
        {"country": "USA", "state": "NY"},
        "False",
    ),
    (
        'IIF([country]="USA","True",IIF([state]="CA","True","False"))',
        {"country": "FR", "state": "CA"},
        "True",
    ),
    ('Switch([country],[country],"","Other")', {}, "Other"),  # the recommended empty/null check
    ('Switch([country],[country],"","Other")', {"country": "FR"}, "FR"),
    ("IsNull([displayName])", {}, True),
    ("IsNull([displayName])", {"displayName": ""}, False),
    ("IsNullOrEmpty([displayName])", {"displayName": ""}, True),
    ("IsNullOrEmpty([displayName])", {"displayName": "Ada"}, False),
    ("IsPresent([displayName])", {"displayName": "Ada"}, True),
    ("IsPresent([displayName])", {}, False),
    (
        'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")',  # noqa: E501 (verbatim)
        {"state": "QLD"},
        "Australia/Brisbane",
    ),
    (
        'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")',  # noqa: E501 (verbatim)
        {"state": "WA"},
        "Australia/Sydney",
    ),
    ('Switch([statusFlag], "Default Value", "true", "1", "", "0")', {"statusFlag": ""}, "0"),
    ('Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', {"statusFlag": "TRUE"}, "1"),
]


@pytest.mark.parametrize(("expression", "attributes", "expected"), REFERENCE_EXAMPLES)
def test_reference_examples(expression: str, attributes: dict[str, Any], expected: Any) -> None:
    assert value(expression, attributes) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Switch([flag], "default", "true", "1")', "default"),  # case-sensitive: "True" is not "true"
        ('Switch([flag], , "true", "1")', None),  # no default given: null
        ('Switch([missing], "d", "", "empty")', "empty"),  # a null source matches the "" key
        ('IIF([missing] = "", "empty", "not")', "not"),  # a null side fails the condition
        ('IIF([n] > 5, "big", "small")', "big"),  # numbers compare as numbers ("10" > 5)
        ('IIF([n] < "9", "less", "more")', "more"),
        ('IIF([n] <> 10, "x", "ten")', "ten"),
        ("CBool(0)", False),
        ('CBool("2")', True),
        ("CBool([missing])", False),
        ('Not("True")', False),
        ('Not("False")', True),
        ("Not(IsPresent([missing]))", True),
        ('IsString("a")', True),
        ("IsString(5)", False),
        ("IsString([missing])", False),
        ('Coalesce([missing], [alsoMissing], "fallback")', "fallback"),
        ("Coalesce([missing], [alsoMissing])", None),
        ('Coalesce([missing], "", "x")', ""),  # only null is skipped
        ("BitAnd([missing], 1)", None),
    ],
)
def test_rules(expression: str, expected: Any) -> None:
    assert value(expression, {"flag": "True", "n": "10"}) == expected


@pytest.mark.parametrize(
    ("expression", "attributes"),
    [
        ("IgnoreFlowIfNullOrEmpty([department])", {}),
        ("IgnoreFlowIfNullOrEmpty([department])", {"department": ""}),
        (
            'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))',  # noqa: E501 (verbatim)
            {"prefix": "9999"},
        ),
    ],
)
def test_ignore_flow_drops_the_attribute(expression: str, attributes: dict[str, Any]) -> None:
    result = run(expression, attributes)
    assert (result.value, result.flow) == (None, FLOW_IGNORED)


def test_ignore_flow_passes_a_value_through() -> None:
    result = run(
        'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof."))', {"prefix": "3444"}
    )
    assert (result.value, result.flow) == ("Prof.", FLOW_NORMAL)


@pytest.mark.parametrize(("deleted", "active"), [(False, "True"), (True, "False"), ("False", "True")])
def test_entras_default_active_mapping(deleted: object, active: str) -> None:
    """Entra's default SCIM mapping for active, and the shorter Not([IsSoftDeleted])."""
    expression = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert value(expression, {"IsSoftDeleted": deleted}) == active
    assert value("Not([IsSoftDeleted])", {"IsSoftDeleted": deleted}) is (active == "True")


def test_iif_evaluates_only_the_branch_it_takes() -> None:
    result = run("IIF(IsPresent([a]), [a], IgnoreFlowIfNullOrEmpty([b]))", {"a": "x"})
    assert (result.value, result.flow) == ("x", FLOW_NORMAL)


def test_redact_keeps_the_value_and_marks_the_evaluation() -> None:
    result = run("Redact([userPrincipalName])", {"userPrincipalName": "ada@contoso.com"})
    assert (result.value, result.redacted) == ("ada@contoso.com", True)
    assert run("[userPrincipalName]", {"userPrincipalName": "x"}).redacted is False
    assert run('Redact("StringToBeRedacted")').value == "StringToBeRedacted"
    random = run("Redact(RandomString(6,3,0,0,3))")
    assert random.redacted and isinstance(random.value, str) and len(random.value) == 6


def test_an_error_under_redact_does_not_show_the_value() -> None:
    with pytest.raises(ExpressionError) as caught:
        run("Redact(CDate([secret]))", {"secret": "hunter2-not-a-date"})
    assert "hunter2" not in str(caught.value)
    assert str(caught.value) == (
        "expression: at column 8: CDate: a value could not be used (not shown: the expression uses Redact)"
    )
