"""A malformed scoping filter is a configuration error that names the place and what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.errors import ConfigError
from provisioning.mapping.scoping import ScopingFilterError, parse_filters

GOOD = {"attribute": "department", "operator": "EQUALS", "value": "Sales"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"attribute": "a"}, "filters: must be a list of filters (lists of clauses), got dict"),
        ([GOOD], "filters[0]: must be a non-empty list of clauses, got dict"),
        ([[]], "filters[0]: must be a non-empty list of clauses, got list"),
        ([[GOOD, "x"]], "filters[0][1]: must be an object with attribute, operator, value, got str"),
        (
            [[GOOD, {**GOOD, "operator": "EQ"}]],
            "filters[0][1].operator: unknown operator 'EQ' (did you mean 'EQUALS'?)",
        ),
        ([[GOOD], [{**GOOD, "operator": "equals"}]], "filters[1][0].operator: unknown operator 'equals'"),
        ([[{**GOOD, "operator": "LIKE"}]], "filters[0][0].operator: unknown operator 'LIKE' (known: EQUALS,"),
        ([[{**GOOD, "attribute": ""}]], "filters[0][0].attribute: must be a non-empty attribute name"),
        ([[{**GOOD, "valu": "x"}]], "filters[0][0].valu: unknown key (known: attribute, operator, value)"),
        (
            [[{**GOOD, "value": None}]],
            "filters[0][0].value: EQUALS needs a string or integer value, got null",
        ),
        (
            [[{**GOOD, "value": True}]],
            "filters[0][0].value: EQUALS needs a string or integer value, got bool",
        ),
        (
            [[{**GOOD, "operator": "Greater_Than", "value": "ten"}]],
            "filters[0][0].value: Greater_Than needs an integer, got 'ten'",
        ),
        (
            [[{**GOOD, "operator": "&", "value": 1.5}]],
            "filters[0][0].value: & needs a string or integer value, got float",
        ),
        ([[{**GOOD, "operator": "IS NULL"}]], "filters[0][0].value: IS NULL takes no value, got 'Sales'"),
        (
            [[{**GOOD, "operator": "REGEX MATCH", "value": "(a"}]],
            "filters[0][0].value: not a valid regular expression",
        ),
    ],
)
def test_errors_name_the_field(data: Any, message: str) -> None:
    with pytest.raises(ScopingFilterError) as caught:
        parse_filters(data)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.setting == message.split(":")[0]


def test_the_setting_prefix_is_the_callers() -> None:
    with pytest.raises(ScopingFilterError, match=r"^users\.scoping\[0\]\[0\]\.operator: unknown operator"):
        parse_filters([[{**GOOD, "operator": "EQ"}]], setting="users.scoping")


def test_valueless_operators_accept_an_empty_value() -> None:
    filters = parse_filters([[{"attribute": "a", "operator": "IS TRUE", "value": ""}]])
    assert filters.matches({"a": True})
