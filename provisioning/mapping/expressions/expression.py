"""A parsed expression and its evaluation against one object's attributes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from provisioning.mapping.expressions.errors import ExpressionError
from provisioning.mapping.expressions.nodes import (
    Attribute,
    Call,
    Compare,
    Constant,
    Empty,
    Node,
    attributes_read,
)
from provisioning.mapping.expressions.nodes import Literal as LiteralNode
from provisioning.mapping.expressions.parser import CONSTANTS, parse_tree
from provisioning.mapping.expressions.registry import FUNCTIONS, Context, IgnoreFlow
from provisioning.mapping.expressions.values import MISSING, lookup, output, to_number, to_str

FLOW_NORMAL: Final = "normal"
FLOW_IGNORED: Final = "ignored"
Flow = Literal["normal", "ignored"]
Value = str | int | float | bool | list[Any] | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The value for the target attribute; flow "ignored" means leave the attribute out of this flow.

    `redacted` is set when the expression used Redact(): logs must show "[Redact]" for the value.
    """

    value: Value
    flow: Flow = FLOW_NORMAL
    redacted: bool = field(default=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked expression: `attributes` are the source attributes it reads (for Graph's $select)."""

    text: str
    root: Node
    setting: str = "expression"
    attributes: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", attributes_read(self.root))

    def evaluate(
        self,
        attributes: Mapping[str, Any],
        *,
        existing: Callable[[str], bool] | None = None,
        now: datetime | None = None,
    ) -> Evaluation:
        """Evaluate for one object. `existing(value)` says whether the target already has the value
        (SelectUniqueValue); `now` fixes the clock (UTC) for Now() and date arithmetic."""
        moment = now.astimezone(UTC) if now is not None and now.tzinfo else (now or datetime.now(UTC))
        context = Context(attributes, existing, moment.replace(tzinfo=UTC))
        try:
            value = _evaluate(self.root, context, self.setting)
        except IgnoreFlow:
            return Evaluation(None, FLOW_IGNORED, redacted=context.redacted)
        except ExpressionError as exc:
            if not _uses_redact(self.root):
                raise
            function = exc.reason.split(":", 1)[0]  # the error quoted a value Redact() is meant to hide
            raise ExpressionError(
                f"{function}: a value could not be used (not shown: the expression uses Redact)",
                exc.position,
                line=exc.line,
                column=exc.column,
                setting=self.setting,
            ) from None
        return Evaluation(output(value), FLOW_NORMAL, redacted=context.redacted)


def parse(text: str, *, setting: str = "expression") -> Expression:
    """Parse and check an expression; `setting` names it in errors (e.g. users.mappings[3].expression)."""
    return Expression(text, parse_tree(text, setting=setting), setting)


def _evaluate(node: Node, context: Context, setting: str) -> Any:
    if isinstance(node, Attribute):
        return lookup(context.attributes, node.name)
    if isinstance(node, LiteralNode):
        return node.value
    if isinstance(node, Empty):
        return MISSING
    if isinstance(node, Constant):
        return CONSTANTS[node.name]
    if isinstance(node, Compare):
        return compare(
            node.op, _evaluate(node.left, context, setting), _evaluate(node.right, context, setting)
        )
    assert isinstance(node, Call)
    spec = FUNCTIONS[node.name]
    if spec.lazy:
        args: list[Any] = [_thunk(arg, context, setting) for arg in node.args]
    else:
        args = [_evaluate(arg, context, setting) for arg in node.args]
    try:
        return spec.impl(context, args)
    except ExpressionError as exc:
        if exc.position is not None:
            raise
        reason = exc.reason
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. a date past year 9999
        reason = f"cannot compute the value ({type(exc).__name__}: {exc})"
    raise ExpressionError(
        f"{node.name}: {reason}",
        node.at.position,
        line=node.at.line,
        column=node.at.column,
        setting=setting,
    )


def _uses_redact(node: Node) -> bool:
    if isinstance(node, Call):
        return node.name == "Redact" or any(_uses_redact(arg) for arg in node.args)
    if isinstance(node, Compare):
        return _uses_redact(node.left) or _uses_redact(node.right)
    return False


def _thunk(node: Node, context: Context, setting: str) -> Callable[[], Any]:
    return lambda: _evaluate(node, context, setting)


def compare(op: str, left: Any, right: Any) -> bool:
    """=, <>, <, <=, >, >=: numerically when both sides are numbers, else as case-sensitive strings.
    A null side makes the condition false (the reference: the IIF condition check fails)."""
    if left is None or right is None or left is MISSING or right is MISSING:
        return False
    a: Any
    b: Any
    a, b = to_number(left), to_number(right)
    if a is None or b is None or isinstance(left, bool) != isinstance(right, bool):
        a, b = to_str(left), to_str(right)
    if op == "=":
        return bool(a == b)
    if op == "<>":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)
