"""Errors of Entra's expression language: configuration errors (exit 2, HTTP 400) that say where."""

from __future__ import annotations

from collections.abc import Sequence

from provisioning.errors import ConfigError


def _where(line: int | None, column: int | None) -> str:
    if column is None:
        return ""
    if line is not None and line > 1:
        return f"at line {line}, column {column}: "
    return f"at column {column}: "


class ExpressionError(ConfigError):
    """An expression that cannot be used: unknown function, wrong arguments, or a value it cannot take."""

    def __init__(
        self,
        message: str,
        position: int | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        setting: str = "expression",
    ) -> None:
        self.reason = message
        self.position = position  # 1-based character offset in the whole expression
        self.line = line if line is not None else (1 if position is not None else None)
        self.column = column if column is not None else position
        super().__init__(setting, _where(self.line, self.column) + message)


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression: `expected` lists what would have been accepted at `position`."""

    def __init__(
        self,
        message: str,
        position: int,
        expected: Sequence[str] = (),
        *,
        line: int | None = None,
        column: int | None = None,
        setting: str = "expression",
    ) -> None:
        self.expected = tuple(expected)
        super().__init__(message, position, line=line, column=column, setting=setting)
