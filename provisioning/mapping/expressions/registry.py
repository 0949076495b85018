"""The table of functions: each one's parameters (checked when parsing) and implementation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provisioning.mapping.expressions.nodes import Node

Impl = Callable[["Context", list[Any]], Any]
Check = Callable[[tuple[Node, ...]], "tuple[str, Node | None] | None"]


class IgnoreFlow(Exception):
    """Raised by IgnoreFlowIfNullOrEmpty: the attribute is dropped from this flow."""


@dataclass(slots=True)
class Context:
    """What one evaluation can see: the object's attributes, the target's existing values, the clock."""

    attributes: Mapping[str, Any]
    existing: Callable[[str], bool] | None
    now: datetime
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    optional: bool = False  # may be left empty
    repeats: bool = False  # zero or more further arguments like this one


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A function as Microsoft documents it: parameters in order; `lazy` ones get thunks, not values."""

    name: str
    params: tuple[Param, ...]
    impl: Impl
    lazy: bool = False
    check: Check | None = None
    top_level_only: bool = False
    unsupported: str | None = None  # why this target cannot run it
    signature: str = field(default="")

    @property
    def fixed(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.repeats)

    @property
    def repeating(self) -> Param | None:
        return next((p for p in self.params if p.repeats), None)


FUNCTIONS: dict[str, FunctionSpec] = {}


def param(text: str) -> Param:
    """`name`, `?name` (optional) or `name*` (repeats), as in the reference's parameter tables."""
    optional = text.startswith("?")
    repeats = text.endswith("*")
    return Param(text.strip("?*"), optional=optional, repeats=repeats)


def function(
    name: str,
    *params: str,
    lazy: bool = False,
    check: Check | None = None,
    top_level_only: bool = False,
    unsupported: str | None = None,
) -> Callable[[Impl], Impl]:
    """Register an implementation under its (case-sensitive) Entra name."""
    parsed = tuple(param(p) for p in params)
    shown = ", ".join(
        ("[" + p.name + "]" if p.optional else p.name) + ("…" if p.repeats else "") for p in parsed
    )

    def register(impl: Impl) -> Impl:
        FUNCTIONS[name] = FunctionSpec(
            name, parsed, impl, lazy, check, top_level_only, unsupported, f"{name}({shown})"
        )
        return impl

    return register
