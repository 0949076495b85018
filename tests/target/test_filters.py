"""Filter literals: quotes and backslashes escaped as RFC 7644 §3.4.2.2 wants, read back by scim2-models."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import ScimFilter, User

from provisioning.target import ScimDialect, eq_filter, filter_literal

RAW = ScimDialect.goto()
ASCII = ScimDialect(filter_escape_non_ascii=True)


@pytest.mark.parametrize(
    ("value", "dialect", "literal"),
    [
        ("a@contoso.com", RAW, '"a@contoso.com"'),
        ('o"brien@contoso.com', RAW, '"o\\"brien@contoso.com"'),
        ("back\\slash", RAW, '"back\\\\slash"'),
        ('x" or userName pr "', RAW, '"x\\" or userName pr \\""'),
        ("josé@contoso.com", RAW, '"josé@contoso.com"'),
        ("josé@contoso.com", ASCII, '"jos\\u00e9@contoso.com"'),
        ("tab\there", RAW, '"tab\\there"'),
        (True, RAW, "true"),
        (42, RAW, "42"),
        (None, RAW, "null"),
    ],
)
def test_filter_literal(value: Any, dialect: ScimDialect, literal: str) -> None:
    assert filter_literal(value, dialect=dialect) == literal


@pytest.mark.parametrize("dialect", [RAW, ASCII], ids=["raw utf-8", "ascii escapes"])
@pytest.mark.parametrize("value", ['a"b\\c@contoso.com', 'x" or userName pr "', "josé", '\\"\\'])
def test_a_scim_parser_reads_the_value_back_unchanged(dialect: ScimDialect, value: str) -> None:
    parsed = ScimFilter[User](eq_filter("userName", value, dialect=dialect))
    assert parsed.ast.value == value  # type: ignore[attr-defined]
    assert parsed.ast.attr_path.attr == "userName"  # type: ignore[attr-defined]


def test_eq_filter_refuses_a_non_path_and_non_scalar_values() -> None:
    with pytest.raises(ValueError):
        eq_filter('userName eq "x" or userName', "y")
    with pytest.raises(ValueError):
        filter_literal(["a"])
