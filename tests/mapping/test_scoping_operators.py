"""Each scoping operator as Microsoft documents it, including what a null or empty attribute does:
"Scoping filters will return false if the value is null / empty" (IS NULL is the one that is true)."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.mapping.scoping import OPERATORS, Clause, parse_filters


def matches(operator: str, value: Any, actual: Any) -> bool:
    clause: dict[str, Any] = {"attribute": "a", "operator": operator}
    if value is not None:
        clause["value"] = value
    attributes = {} if actual is None else {"a": actual}
    return parse_filters([[clause]]).matches(attributes)


@pytest.mark.parametrize(
    ("operator", "value", "actual", "expected"),
    [
        ("EQUALS", "Sales", "Sales", True),
        ("EQUALS", "Sales", "sales", False),  # case-sensitive
        ("EQUALS", "1", 1, True),  # compared as text
        ("EQUALS", "True", True, True),  # a boolean reads as True/False, like .NET
        ("NOT EQUALS", "Sales", "Marketing", True),
        ("NOT EQUALS", "Sales", "Sales", False),
        ("NOT EQUALS", "Sales", "sales", True),
        ("IS TRUE", None, True, True),
        ("IS TRUE", None, "true", True),
        ("IS TRUE", None, False, False),
        ("IS FALSE", None, False, True),
        ("IS FALSE", None, "False", True),
        ("IS FALSE", None, True, False),
        ("IS NULL", None, "x", False),
        ("IS NOT NULL", None, "x", True),
        ("REGEX MATCH", ".*\\@domain.com", "ada@domain.com", True),  # the reference's common filter
        ("REGEX MATCH", ".*\\@domain.com", "ada@other.com", False),
        ("REGEX MATCH", "(1[0-9][0-9][0-9][0-9][0-9][0-9])", "1500000", True),
        ("REGEX MATCH", "([1-9][0-9])", "42", True),
        ("REGEX MATCH", "^[a-z]+$", "ABC", False),  # case-sensitive
        ("NOT REGEX MATCH", ".*\\@domain.com", "ada@other.com", True),
        ("NOT REGEX MATCH", ".*\\@domain.com", "ada@domain.com", False),
        ("Greater_Than", 1000000, 1500000, True),
        ("Greater_Than", "1000000", "1000000", False),
        ("Greater_Than", 5, "12", True),  # numeric, not text ("12" < "5" as text)
        ("Greater_Than", 5, "abc", False),  # not an integer: false
        ("Greater_Than_OR_EQUALS", 10, 10, True),
        ("Greater_Than_OR_EQUALS", 10, 9, False),
        ("Includes", "Eng", "Engineering", True),
        ("Includes", "eng", "Engineering", False),  # case-sensitive, like String.Contains
        ("ENDS_WITH", "@contoso.com", "ada@contoso.com", True),
        ("ENDS_WITH", "@CONTOSO.COM", "ada@contoso.com", False),
        ("&", 2, 514, True),  # bit 2 set (userAccountControl's ACCOUNTDISABLE)
        ("&", 2, 512, False),
        ("&", 6, 514, False),  # every bit of the value must be set
        ("!&", 2, 512, True),
        ("!&", 2, 514, False),
        ("&", 2, "514", True),
    ],
)
def test_operator(operator: str, value: Any, actual: Any, expected: bool) -> None:
    assert matches(operator, value, actual) is expected


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("actual", [None, ""])
def test_null_or_empty_attribute_makes_every_clause_false_but_is_null(operator: str, actual: Any) -> None:
    value = {"Greater_Than": 1, "Greater_Than_OR_EQUALS": 1, "&": 1, "!&": 1}.get(operator, "x")
    clause = Clause("a", operator, None if operator.startswith("IS ") else value)
    attributes = {} if actual is None else {"a": actual}
    assert clause.matches(attributes) is (operator == "IS NULL")


def test_multi_valued_attributes_never_match() -> None:
    """ "Filtering is not supported for multi-valued attributes."""
    assert not matches("EQUALS", "a", ["a"])
    assert not matches("Includes", "a", ["a", "b"])
    assert matches("IS NULL", None, [])
