"""Multi-valued attributes, roles and generated values: Count, Item, RemoveDuplicates,
SingleAppRoleAssignment, SelectUniqueValue, Guid, RandomString (shape only: they are random)."""

from __future__ import annotations

import string
import uuid

import pytest

from provisioning.mapping.expressions import ExpressionError, parse
from provisioning.mapping.expressions.functions.lists import SPECIAL_CHARACTERS
from tests.mapping.expressions.evaluate import value

PROXIES = {"proxyAddresses": ["SMTP:a@contoso.com", "smtp:b@contoso.com", "SMTP:a@contoso.com"]}
_RULE = 'Join("@", NormalizeDiacritics(StripSpaces(Join(".",  {first}, [PreferredLastName]))), "contoso.com")'
UPN_RULES = (  # the reference's example, one rule a line
    "SelectUniqueValue(\n    "
    + ",\n    ".join(
        _RULE.format(first=first)
        for first in (
            "[PreferredFirstName]",
            "Mid([PreferredFirstName], 1, 1)",
            "Mid([PreferredFirstName], 1, 2)",
        )
    )
    + "\n)"
)
JOHN = {"PreferredFirstName": "John", "PreferredLastName": "Smith"}


def test_count_item_and_remove_duplicates() -> None:
    assert value("Count([proxyAddresses])", PROXIES) == 3
    assert value("Count([missing])") == 0
    assert value("Item([proxyAddresses], 1)", PROXIES) == "SMTP:a@contoso.com"  # 1-based
    assert value("Item([proxyAddresses], 0)", PROXIES) is None  # "Index 0 shouldn't be used"
    assert value("Item([proxyAddresses], 4)", PROXIES) is None
    assert value("RemoveDuplicates([proxyAddresses])", PROXIES) == [
        "SMTP:a@contoso.com",
        "smtp:b@contoso.com",
    ]
    assert value("RemoveDuplicates([missing])") is None


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        (set(), "John.Smith@contoso.com"),
        ({"John.Smith@contoso.com"}, "J.Smith@contoso.com"),
        ({"John.Smith@contoso.com", "J.Smith@contoso.com"}, "Jo.Smith@contoso.com"),
    ],
)
def test_select_unique_value_reference_example(existing: set[str], expected: str) -> None:
    asked: list[str] = []

    def exists(candidate: str) -> bool:
        asked.append(candidate)
        return candidate in existing

    assert value(UPN_RULES, JOHN, existing=exists) == expected
    assert (
        asked[-1] == expected and len(asked) == len(existing) + 1
    )  # tried in order, stopped at the first free


def test_select_unique_value_when_every_value_exists() -> None:
    taken = {"John.Smith@contoso.com", "J.Smith@contoso.com", "Jo.Smith@contoso.com"}
    with pytest.raises(
        ExpressionError, match="SelectUniqueValue: every value its 3 rules generate already exists"
    ):
        value(UPN_RULES, JOHN, existing=taken.__contains__)


def test_select_unique_value_without_a_check_takes_the_first_rule() -> None:
    assert value(UPN_RULES, JOHN) == "John.Smith@contoso.com"


def test_single_app_role_assignment_reads_the_role_value() -> None:
    assert (
        value("SingleAppRoleAssignment([appRoleAssignments])", {"appRoleAssignments": ["Organizer"]})
        == "Organizer"
    )
    assert (
        value("SingleAppRoleAssignment([appRoleAssignments])", {"appRoleAssignments": [{"value": "Admin"}]})
        == "Admin"
    )
    assert value("SingleAppRoleAssignment([appRoleAssignments])", {"appRoleAssignments": []}) is None
    assert value("SingleAppRoleAssignment([appRoleAssignments])") is None


def test_guid_is_a_fresh_uuid() -> None:
    first, second = value("Guid()"), value("Guid()")
    assert str(uuid.UUID(first)) == first and first != second


@pytest.mark.parametrize(
    ("expression", "length", "digits", "special", "capital", "lower", "avoid"),
    [
        ("RandomString(6,3,0,0,3)", 6, 3, 0, 0, 3, ""),
        ('RandomString(10,2,2,2,1,"?,")', 10, 2, 2, 2, 1, "?,"),
    ],
)
def test_random_string_shape(
    expression: str, length: int, digits: int, special: int, capital: int, lower: int, avoid: str
) -> None:
    for _ in range(20):
        text = value(expression)
        assert len(text) == length
        assert sum(c in string.digits for c in text) >= digits
        assert sum(c in SPECIAL_CHARACTERS for c in text) >= special
        assert sum(c in string.ascii_uppercase for c in text) >= capital
        assert sum(c in string.ascii_lowercase for c in text) >= lower
        assert not set(text) & set(avoid)


def test_random_string_limits_are_checked_when_parsing() -> None:
    with pytest.raises(
        ExpressionError, match="Length must be at most 256 and at least the sum of the minimums"
    ):
        parse("RandomString(3,2,2,0,0)")
    with pytest.raises(ExpressionError, match="Length must be at most 256"):
        parse("RandomString(300,0,0,0,0)")
