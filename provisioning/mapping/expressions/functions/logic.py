"""Conditions and flow: BitAnd, CBool, Coalesce, IgnoreFlowIfNullOrEmpty, IIF, IsNull, IsNullOrEmpty,
IsPresent, IsString, Not, Redact, Switch."""

from __future__ import annotations

from typing import Any

from provisioning.mapping.expressions.nodes import Empty, Node
from provisioning.mapping.expressions.registry import Context, IgnoreFlow, function
from provisioning.mapping.expressions.values import MISSING, is_null_or_empty, to_int, to_str, truthy


@function("BitAnd", "value1", "value2")
def bit_and(_: Context, args: list[Any]) -> int | None:
    if args[0] is None or args[1] is None:
        return None
    return to_int(args[0], "value1") & to_int(args[1], "value2")


@function("CBool", "Expression")
def cbool(_: Context, args: list[Any]) -> bool:
    return truthy(args[0])


@function("Coalesce", "source", "?source*")
def coalesce(_: Context, args: list[Any]) -> Any:
    """The first argument that is not null; the last one doubles as Microsoft's defaultValue."""
    return next((value for value in args if value is not None and value is not MISSING), None)


@function("IgnoreFlowIfNullOrEmpty", "expression")
def ignore_flow_if_null_or_empty(_: Context, args: list[Any]) -> Any:
    if is_null_or_empty(args[0]):
        raise IgnoreFlow
    return args[0]


@function("IIF", "condition", "valueIfTrue", "valueIfFalse", lazy=True)
def iif(_: Context, args: list[Any]) -> Any:
    """Only the chosen branch is evaluated (an IgnoreFlow in the other one does not fire)."""
    return args[1]() if truthy(args[0]()) else args[2]()


@function("IsNull", "Expression")
def is_null(_: Context, args: list[Any]) -> bool:
    return args[0] is None


@function("IsNullOrEmpty", "Expression")
def is_null_or_empty_fn(_: Context, args: list[Any]) -> bool:
    return is_null_or_empty(args[0])


@function("IsPresent", "Expression")
def is_present(_: Context, args: list[Any]) -> bool:
    return not is_null_or_empty(args[0])


@function("IsString", "Expression")
def is_string(_: Context, args: list[Any]) -> bool:
    return isinstance(args[0], str)


@function("Not", "source")
def not_(_: Context, args: list[Any]) -> bool:
    """True unless the source is True (or "True", any case)."""
    return not (args[0] is True or (isinstance(args[0], str) and args[0].strip().lower() == "true"))


@function("Redact", "value")
def redact(context: Context, args: list[Any]) -> Any:
    """The value flows unchanged; the evaluation is marked so logs show "[Redact]" instead."""
    context.redacted = True
    return args[0]


def _check_switch(args: tuple[Node, ...]) -> tuple[str, Node | None] | None:
    if len(args) % 2:
        return "keys and values come in pairs (source, defaultValue, key1, value1, …)", args[-1]
    for key in args[2::2]:
        if isinstance(key, Empty):
            return 'a key cannot be empty (write "" to match an empty source)', key
    return None


@function("Switch", "source", "?defaultValue", "key", "value", "?key/value*", check=_check_switch)
def switch(_: Context, args: list[Any]) -> Any:
    """Case-sensitive: the value of the first key equal to the source, else defaultValue.
    A null source compares as "" (the reference: use "" as a key to catch an empty source)."""
    source = to_str(args[0]) or ""
    for key, value in zip(args[2::2], args[3::2], strict=True):
        if to_str(key) == source:
            return None if value is MISSING else value
    return None if args[1] is MISSING else args[1]
