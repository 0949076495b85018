"""String functions with the examples of Microsoft's reference (and its null rules)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mapping.expressions.evaluate import value

REFERENCE_EXAMPLES = [
    (
        'Append([userPrincipalName], ".test")',
        {"userPrincipalName": "John.Doe@contoso.com"},
        "John.Doe@contoso.com.test",
    ),
    ('ConvertToBase64("Hello world!")', {}, "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
    ('ConvertToUTF8Hex("Hello world!")', {}, "48656C6C6F20776F726C6421"),
    ("CStr([dn])", {"dn": "cn=Joe,dc=contoso,dc=com"}, "cn=Joe,dc=contoso,dc=com"),
    ('InStr("The quick brown fox","quick")', {}, 5),
    ('InStr("repEated","e",3,vbBinaryCompare)', {}, 7),
    ('Join(", ", "", [surname], [givenName])', {"givenName": "John", "surname": "Doe"}, "Doe, John"),
    ('Left("John Doe", 3)', {}, "Joh"),
    (
        "Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))",
        {"givenName": "John", "surname": "Doe"},
        "JohDoe",
    ),
    ("NormalizeDiacritics([givenName])", {"givenName": "Zoë"}, "Zoe"),
    ("PCase([firstName])", {"firstName": "PABLO GONSALVES (SECOND)"}, "Pablo Gonsalves (Second)"),
    ('PCase([lastName]," \'-")', {"lastName": "PINTO-DE'SILVA"}, "Pinto-De'Silva"),
    (
        'PCase(Join(" ",[firstName],[lastName]))',
        {"firstName": "GREGORY", "lastName": "JAMES"},
        "Gregory James",
    ),
    (
        'Split([extensionAttribute5], ",")',
        {"extensionAttribute5": "PermissionSetOne, PermissionSetTwo"},
        ["PermissionSetOne", "PermissionSetTwo"],
    ),
    (
        'ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))),'  # noqa: E501 (verbatim)
        ' "contoso.com"))',
        {"PreferredFirstName": "John", "PreferredLastName": "Smith"},
        "john.smith@contoso.com",
    ),
    ('Word("The quick brown fox",3," ")', {}, "brown"),
    ('Word("This,string!has&many separators",3,",!&#")', {}, "has"),
]


@pytest.mark.parametrize(("expression", "attributes", "expected"), REFERENCE_EXAMPLES)
def test_reference_examples(expression: str, attributes: dict[str, Any], expected: Any) -> None:
    assert value(expression, attributes) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Left("John Doe", 0)', ""),  # numChars = 0: empty
        ('Left("John Doe", -1)', "John Doe"),  # numChars < 0: the input
        ('Left("Jo", 5)', "Jo"),  # fewer characters: all of them
        ("Left([missing], 2)", ""),  # null: empty
        ('Word([missing], 1, " ")', ""),
        ('Word("a b", 0, " ")', ""),  # number < 1
        ('Word("a b", 3, " ")', ""),  # fewer words
        ('Mid("abcdef", 5, 10)', "ef"),  # length past the end: up to the end
        ('InStr("abc", "z")', 0),
        ('InStr("repEated", "E", 1, vbTextCompare)', 2),
        ('StripSpaces(" a b  c ")', "abc"),
        ('ToUpper("straße")', "STRASSE"),
        ('ToUpper("istanbul", "tr-TR")', "İSTANBUL"),
        ('ToLower("ISTANBUL", "tr-TR")', "\u0131stanbul"),
        ('NormalizeDiacritics("Ærøskøbing Łódź Straße")', "AEroeskoebing Lodz Strasse"),
        ('PCase("o\'neil mcdonald-smith")', "O'Neil Mcdonald-Smith"),
        ('Join("; ", [proxyAddresses], "x")', "a; b; x"),  # a multi-valued source joins each value
        ('Join("", 1000, "7")', "10007"),
        ('Append("a", [missing])', "a"),
        ("CStr(True)", "True"),
        ("CStr(42)", "42"),
    ],
)
def test_documented_rules(expression: str, expected: Any) -> None:
    assert value(expression, {"proxyAddresses": ["a", "b"]}) == expected


@pytest.mark.parametrize(
    "expression",
    [
        'Append([missing], ".test")',
        "ConvertToBase64([missing])",
        "ConvertToUTF8Hex([missing])",
        "CStr([missing])",
        'InStr([missing], "a")',
        "Mid([missing], 1, 2)",
        "NormalizeDiacritics([missing])",
        "PCase([missing])",
        'Split([missing], ",")',
        "StripSpaces([missing])",
        "ToLower([missing])",
        "ToUpper([missing])",
    ],
)
def test_null_in_null_out(expression: str) -> None:
    assert value(expression) is None


def test_join_of_nothing_is_empty() -> None:
    assert value('Join(" ", [givenName], [surname])') == ""


def test_the_reference_id_example_keeps_only_the_digits_of_the_hex() -> None:
    """`Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))`: the hex of
    "0a-1" is 30612D31; removing the letters leaves 3061231, after 1000."""
    expression = 'Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))'
    assert value(expression, {"objectId": "0a-1"}) == "10003061231"


@pytest.mark.parametrize(
    ("accented", "plain"),
    [  # the first column of each row of the reference's table, lower and upper case
        ("äàâãåáąăāǟ", "aaaaaaaaaa"),
        ("ÄÀÂÃÅÁĄĂĀǞ", "AAAAAAAAAA"),
        ("æǣ", "aeae"),
        ("ÆǢ", "AEAE"),
        ("çčć", "ccc"),
        ("ďḏ", "dd"),
        ("ëèéêęěėēḗḕ", "eeeeeeeeee"),
        ("ğḡ", "gg"),
        ("ïîìí\u0131ī", "iiiiii"),
        ("ÏÎÌÍİĪ", "IIIIII"),
        ("ľłḹḻ", "llll"),
        ("ŁĽ", "LL"),
        ("ñńňṉ", "nnnn"),
        ("öòőõôóōṓṑȫǭȭȱ", "ooooooooooooo"),
        ("ø", "oe"),
        ("Ø", "OE"),
        ("řṟṝ", "rrr"),
        ("ß", "ss"),
        ("šśșş", "ssss"),
        ("ťț", "tt"),
        ("üùûúůűūǖṻ", "uuuuuuuuu"),
        ("ÿýȳ", "yyy"),
        ("źžżẕ", "zzzz"),
    ],
)
def test_normalize_diacritics_table(accented: str, plain: str) -> None:
    assert value("NormalizeDiacritics([n])", {"n": accented}) == plain
