"""Text -> syntax tree with lark (LALR), then the checks Entra makes when a mapping is saved:
known function (case-sensitive), argument count, required arguments given, constant arguments valid.
Every error carries the 1-based position."""

from __future__ import annotations

import difflib
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from provisioning.mapping.expressions import functions as _functions  # noqa: F401 (fills FUNCTIONS)
from provisioning.mapping.expressions.errors import ExpressionError, ExpressionSyntaxError
from provisioning.mapping.expressions.grammar import GRAMMAR
from provisioning.mapping.expressions.nodes import (
    At,
    Attribute,
    Call,
    Compare,
    Constant,
    Empty,
    Literal,
    Node,
)
from provisioning.mapping.expressions.registry import FUNCTIONS

CONSTANTS: dict[str, Any] = {
    "True": True,
    "False": False,
    "vbBinaryCompare": "vbBinaryCompare",
    "vbTextCompare": "vbTextCompare",
}
_TERMINALS = {
    "NAME": "a function name",
    "ATTRIBUTE": "an [attribute]",
    "STRING": 'a "string"',
    "NUMBER": "a number",
    "HEX": "a &H number",
    "COMPARE": "a comparison (=, <>, <, <=, >, >=)",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "$END": "the end of the expression",
}
_LARK = Lark(GRAMMAR, parser="lalr", start="start")


def _at(text: str, offset: int) -> At:
    """The position of a 0-based offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return At(offset + 1, line, column)


class _Builder(Transformer[Token, Node]):
    """lark's tree -> our nodes, each with its position."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _pos(self, token: Token) -> At:
        return _at(self.text, token.start_pos or 0)

    def attribute(self, children: list[Token]) -> Node:
        return Attribute(self._pos(children[0]), str(children[0])[1:-1])

    def string(self, children: list[Token]) -> Node:
        raw = str(children[0])[1:-1]
        chars: list[str] = []
        escaped = False
        for char in raw:
            if escaped or char != "\\":
                chars.append(char)
                escaped = False
            else:
                escaped = True
        return Literal(self._pos(children[0]), "".join(chars))

    def number(self, children: list[Token]) -> Node:
        text = str(children[0])
        return Literal(self._pos(children[0]), float(text) if "." in text else int(text))

    def hex(self, children: list[Token]) -> Node:
        return Literal(self._pos(children[0]), int(str(children[0])[2:], 16))

    def constant(self, children: list[Token]) -> Node:
        return Constant(self._pos(children[0]), str(children[0]))

    def compare(self, children: list[Any]) -> Node:
        left, op, right = children
        return Compare(left.at, str(op), left, right)

    def arg(self, children: list[Node]) -> Node | None:
        return children[0] if children else None

    def args(self, children: list[Any]) -> list[Any]:
        return children

    def call(self, children: list[Any]) -> Node:
        name, lpar, parts, _rpar = children
        args: list[Node] = []
        delimiter: Token = lpar
        for part in parts:
            if isinstance(part, Token):
                delimiter = part
            elif part is None:
                args.append(Empty(_at(self.text, (delimiter.end_pos or 0))))
            else:
                args.append(part)
        if len(args) == 1 and isinstance(args[0], Empty):
            args = []  # Name() has no arguments, not one empty one
        return Call(self._pos(name), str(name), tuple(args))


def parse_tree(text: str, *, setting: str = "expression") -> Node:
    """The checked syntax tree of `text`; ExpressionSyntaxError / ExpressionError say where and why."""
    if not isinstance(text, str):
        raise ExpressionError(f"must be a string, got {type(text).__name__}", setting=setting)
    try:
        tree = _LARK.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc, setting) from None
    node = _Builder(text).transform(tree)
    if not isinstance(node, Node):  # a bare token (cannot happen with this grammar's aliases)
        raise ExpressionSyntaxError("not an expression", 1, setting=setting)
    _check(node, top_level=True, setting=setting)
    return node


def _syntax_error(text: str, exc: UnexpectedInput, setting: str) -> ExpressionSyntaxError:
    expected: list[str] = []
    if isinstance(exc, UnexpectedToken):
        names = sorted(exc.expected, key=list(_TERMINALS).index) if exc.expected <= set(_TERMINALS) else []
        expected = [_TERMINALS[n] for n in names]
        if exc.token.type == "$END":
            at, found = _at(text, len(text)), "the end of the expression"
        else:
            at, found = _at(text, exc.token.start_pos or 0), f"'{exc.token}'"
        message = f"expected {_alternatives(expected)}, found {found}"
    elif isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        at = _at(text, offset)
        char = text[offset]
        allowed = [n for n in _TERMINALS if n in (exc.allowed or set())]
        expected = [_TERMINALS[n] for n in allowed]
        if char == '"':
            message = 'unterminated string (a closing " is missing; write \\" for a quote inside)'
        elif char == "[":
            message = "an [attribute] needs a name without spaces and a closing ']'"
        else:
            message = f"unexpected character '{char}'" + (
                f", expected {_alternatives(expected)}" if expected else ""
            )
    else:  # pragma: no cover - lark raises only the two above for LALR
        at, message = _at(text, 0), str(exc)
    return ExpressionSyntaxError(
        message, at.position, expected, line=at.line, column=at.column, setting=setting
    )


def _alternatives(names: list[str]) -> str:
    if not names:
        return "something else"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _fail(message: str, at: At, setting: str) -> ExpressionError:
    return ExpressionError(message, at.position, line=at.line, column=at.column, setting=setting)


def _check(node: Node, *, top_level: bool, setting: str) -> None:
    if isinstance(node, Constant) and node.name not in CONSTANTS:
        hint = f"write [{node.name}] for an attribute or {node.name}(…) for a function"
        raise _fail(
            f"unknown name '{node.name}' ({hint}; constants: {', '.join(CONSTANTS)})", node.at, setting
        )
    if isinstance(node, Compare):
        _check(node.left, top_level=False, setting=setting)
        _check(node.right, top_level=False, setting=setting)
    if not isinstance(node, Call):
        return
    spec = FUNCTIONS.get(node.name)
    if spec is None:
        raise _fail(f"unknown function '{node.name}'{_suggestion(node.name)}", node.at, setting)
    if spec.unsupported:
        raise _fail(f"{node.name} is not supported by this target: {spec.unsupported}", node.at, setting)
    if spec.top_level_only and not top_level:
        raise _fail(f"{node.name} must be the whole expression (it cannot be nested)", node.at, setting)
    _check_arguments(node, spec.signature, setting)
    if spec.check is not None:
        problem = spec.check(node.args)
        if problem is not None:
            message, where = problem
            raise _fail(f"{node.name}: {message}", (where or node).at, setting)
    for arg in node.args:
        _check(arg, top_level=False, setting=setting)


def _check_arguments(node: Call, signature: str, setting: str) -> None:
    spec = FUNCTIONS[node.name]
    fixed, repeating = spec.fixed, spec.repeating
    count = len(node.args)
    low = len(fixed)
    while low > 0 and fixed[low - 1].optional:
        low -= 1  # trailing optional parameters may be left out entirely
    if count < low or (repeating is None and count > len(fixed)):
        wanted = (
            f"{low}"
            if repeating is None and low == len(fixed)
            else (f"at least {low}" if repeating is not None else f"{low} to {len(fixed)}")
        )
        plural = "" if wanted == "1" else "s"
        raise _fail(f"{signature} takes {wanted} argument{plural}, got {count}", node.at, setting)
    for index, arg in enumerate(node.args):
        expected = fixed[index] if index < len(fixed) else repeating
        if isinstance(arg, Empty) and expected is not None and not expected.optional:
            raise _fail(
                f"{node.name}: argument {index + 1} ({expected.name}) cannot be empty", arg.at, setting
            )


def _suggestion(name: str) -> str:
    same = [known for known in FUNCTIONS if known.lower() == name.lower()]
    close = same or difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
