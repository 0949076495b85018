"""Every error when parsing says where (1-based column, line when there are several) and what was
expected; unknown functions suggest the right spelling; argument counts are checked up front."""

from __future__ import annotations

import pytest

from provisioning.errors import ConfigError
from provisioning.mapping.expressions import ExpressionError, ExpressionSyntaxError, parse


@pytest.mark.parametrize(
    ("text", "column", "message", "expected"),
    [
        ('Join(" ", [a]', 14, "expected ')' or ',', found the end of the expression", ("')'", "','")),
        ('Append([a] "x")', 12, "expected a comparison (=, <>, <, <=, >, >=), ')' or ',', found '\"x\"'",
         ("a comparison (=, <>, <, <=, >, >=)", "')'", "','")),
        ('Append([a], "x"))', 17, "expected the end of the expression, found ')'", ("the end of the expression",)),  # noqa: E501 (verbatim)
        ('Append([a], "x', 13, 'unterminated string (a closing " is missing', None),
        ("[given name]", 1, "an [attribute] needs a name without spaces and a closing ']'", None),
        ("Append([a], ;)", 13, "unexpected character ';'", None),
        ("", 1, "expected a function name, an [attribute], a \"string\", a number or a &H number, found the end", None),  # noqa: E501 (verbatim)
        ("[a] = = [b]", 7, "found '='", None),
    ],
)  # fmt: skip
def test_syntax_errors(text: str, column: int, message: str, expected: tuple[str, ...] | None) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.position, error.column) == (column, column)
    assert message in error.reason
    assert str(error).startswith(f"expression: at column {column}: ")
    if expected is not None:
        assert error.expected == expected


def test_an_error_on_a_later_line_names_line_and_column() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse('Join(" ",\n  [a]\n  [b])')
    assert (caught.value.line, caught.value.column, caught.value.position) == (3, 3, 19)
    assert "at line 3, column 3: expected" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ('join(" ", [a])', 1, "unknown function 'join' (did you mean 'Join'?)"),
        ('Appendd([a], "x")', 1, "unknown function 'Appendd' (did you mean 'Append'?)"),
        ("Frobnicate([a])", 1, "unknown function 'Frobnicate'"),
        ('Join(" ", toupper([a]))', 11, "unknown function 'toupper' (did you mean 'ToUpper'?)"),
        ("Append([a])", 1, "Append(source, suffix) takes 2 arguments, got 1"),
        ('Left([a], 1, "x")', 1, "Left(String, NumChars) takes 2 arguments, got 3"),
        ('Join(" ")', 1, "Join(separator, source, source…) takes at least 2 arguments, got 1"),
        ('ToLower([a], "en-US", "x")', 1, "ToLower(source, [culture]) takes 1 to 2 arguments, got 3"),
        ('Guid("x")', 1, "Guid() takes 0 arguments, got 1"),
        ("Append([a], )", 12, "Append: argument 2 (suffix) cannot be empty"),
        ('Switch([a], "d", "k")', 1, "takes at least 4 arguments, got 3"),
        ('Switch([a], "d", "k", "v", "k2")', 28, "Switch: keys and values come in pairs"),
        ('SelectUniqueValue([a])', 1, "SelectUniqueValue(rule1, rule2, rule…) takes at least 2 arguments, got 1"),  # noqa: E501 (verbatim)
        ('Append(SelectUniqueValue([a], [b]), "x")', 8, "SelectUniqueValue must be the whole expression"),
        ("AppRoleAssignmentsComplex([appRoleAssignments])", 1, "AppRoleAssignmentsComplex is not supported by this target"),  # noqa: E501 (verbatim)
        ('InStr("a", "b", 1, vbSomething)', 20, "unknown name 'vbSomething'"),
        ('Join(" ", givenName)', 11, "unknown name 'givenName' (write [givenName] for an attribute"),
    ],
)  # fmt: skip
def test_function_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column
    assert message in str(caught.value)
    assert f"at column {column}: " in str(caught.value)


def test_errors_are_configuration_errors_named_by_their_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("Append([a])", setting="users.mappings[3].expression")
    assert caught.value.setting == "users.mappings[3].expression"
    assert str(caught.value).startswith("users.mappings[3].expression: at column 1: Append(")


def test_an_expression_must_be_text() -> None:
    with pytest.raises(ExpressionError, match="must be a string, got int"):
        parse(5)  # type: ignore[arg-type]


def test_an_error_while_evaluating_names_the_function_and_its_position() -> None:
    expression = parse('Join(" ", CDate([hired]))')
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({"hired": "not a date"})
    assert str(caught.value) == (
        "expression: at column 11: CDate: expression 'not a date' is not a date (ISO 8601 or M/d/yyyy h:mm:ss tt)"  # noqa: E501 (verbatim)
    )


def test_a_value_out_of_range_is_an_expression_error_not_a_crash() -> None:
    expression = parse('Join("", DateAdd("yyyy", 9000, CDate([hired])))')
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({"hired": "2020-01-01"})
    assert str(caught.value).startswith(
        "expression: at column 10: DateAdd: cannot compute the value (ValueError: year 11020 is out of range"
    )
