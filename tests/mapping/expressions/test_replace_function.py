"""Replace in each of its forms, with the reference's examples (regex groups in .NET syntax)."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.mapping.expressions import ExpressionError, parse
from provisioning.mapping.expressions.functions.replace import translate_pattern
from tests.mapping.expressions.evaluate import value

PHONE = '"\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})"'  # \\+(?<isdCode>\\d* )… as written in a mapping

REFERENCE_EXAMPLES = [
    # 1: oldValue + replacementValue
    (
        'Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )',
        {"BusinessTitle": "Product Developer"},
        "Software Engineer",
    ),
    # 2: oldValue + template
    (
        'Replace([UserID],"<username>", , , , , "<username>@contoso.com")',
        {"UserID": "jsmith"},
        "jsmith@contoso.com",
    ),
    # 3: regexPattern + replacementValue with a group name
    (
        f'Replace([telephoneNumber], , {PHONE}, , "${{phoneNumber}}", , )',
        {"telephoneNumber": "+91 9998887777"},
        "9998887777",
    ),
    # 4: regexPattern + regexGroupName + replacementValue
    (
        'Replace([AddressLineData], ,"(?<streetNumber>^\\\\d*)","streetNumber", "888", , )',
        {"AddressLineData": "545 Tremont Street"},
        "888 Tremont Street",
    ),
    (
        'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
        {"userPrincipalName": "jsmith@contoso.com"},
        "jsmith",
    ),
    # 5: regexPattern + regexGroupName + replacementAttributeName, source empty
    (
        f'Replace([telephoneNumber], , {PHONE}, "phoneNumber" , , [mobile], )',
        {"telephoneNumber": "", "mobile": "+91 8887779999"},
        "8887779999",
    ),
    # 6: remove what matches
    ('Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', {"mailNickname": "john_doe72"}, "72"),
    # "Strip known domain name"
    ('Replace([mail], "@contoso.com", , ,"", ,)', {"mail": "john.doe@contoso.com"}, "john.doe"),
]


@pytest.mark.parametrize(("expression", "attributes", "expected"), REFERENCE_EXAMPLES)
def test_reference_examples(expression: str, attributes: dict[str, Any], expected: str) -> None:
    assert value(expression, attributes) == expected


def test_the_mobile_example_keeps_the_plus_its_pattern_does_not_match() -> None:
    """The reference prints 19998887777 for `[()\\s-]+` on "+1 (999) 888-7777", but that pattern has
    no '+' (in .NET either): parentheses, spaces and dashes go, the '+' stays."""
    assert (
        value('Replace([mobile], , "[()\\\\s-]+", , "", , )', {"mobile": "+1 (999) 888-7777"})
        == "+19998887777"
    )


def test_replacement_attribute_form_returns_a_present_source() -> None:
    expression = f'Replace([telephoneNumber], , {PHONE}, "phoneNumber" , , [mobile], )'
    assert (
        value(expression, {"telephoneNumber": "+1 5550001111", "mobile": "+91 8887779999"}) == "+1 5550001111"
    )
    assert value(expression, {"mobile": "no digits"}) is None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Replace([x], , "a", , "b", , )', "bbc"),  # the empty-argument form
        ('Replace([x], "A", , , "b", , )', "aac"),  # case-sensitive: no "A" in "aac"
        ('Replace([x], , "(a)(a)", , "$2-$1-$$-$&", , )', "a-a-$-aac"),  # .NET $n, $$, $&
        ('Replace([x], , "(?<first>a)", , "[${first}]", , )', "[a][a]c"),
    ],
)
def test_regex_replacements(expression: str, expected: str) -> None:
    assert value(expression, {"x": "aac"}) == expected


def test_null_source_gives_null() -> None:
    assert value('Replace([missing], "a", , , "b", , )') is None
    assert value('Replace([missing], , "a", , "b", , )') is None


def test_dotnet_groups_translate_without_touching_lookbehinds() -> None:
    assert (
        translate_pattern(r"(?<n>a)(?<=b)(?<!c)\k<n>(?'m'd)\(?<x")
        == r"(?P<n>a)(?<=b)(?<!c)(?P=n)(?P<m>d)\(?<x"
    )


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ('Replace([x], "a", , , , , )', 1, "Replace: give oldValue with replacementValue or template"),
        ('Replace([x], , "(", , "b", , )', 16, "Replace: regexPattern is not a valid regular expression"),
        ('Replace([x], , "(?<a>x)", "b", "c", , )', 27, "Replace: regexGroupName 'b' is not a named group"),
    ],
)
def test_bad_forms_are_refused_when_parsing(expression: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(expression)
    assert caught.value.column == column
    assert message in str(caught.value)
    assert f"at column {column}: " in str(caught.value)
