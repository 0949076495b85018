"""The syntax tree of an expression: what the parser builds and the evaluator walks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class At:
    """Where a node starts: 1-based character offset, line and column."""

    position: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Attribute:
    """`[name]`: a source attribute, null when the object does not have it."""

    at: At
    name: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A string or number constant."""

    at: At
    value: str | int | float


@dataclass(frozen=True, slots=True)
class Constant:
    """A bare name that is not a call: True, False, vbTextCompare, vbBinaryCompare."""

    at: At
    name: str


@dataclass(frozen=True, slots=True)
class Empty:
    """An optional argument left empty between commas."""

    at: At


@dataclass(frozen=True, slots=True)
class Compare:
    """`left op right` with =, <>, <, <=, >, >= (IIF and CBool conditions)."""

    at: At
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    """`Name(arg, …)`; a call written `Name()` has no arguments."""

    at: At
    name: str
    args: tuple[Node, ...]


Node = Attribute | Literal | Constant | Empty | Compare | Call


def attributes_read(node: Node) -> frozenset[str]:
    """Every `[attribute]` the tree reads."""
    if isinstance(node, Attribute):
        return frozenset({node.name})
    if isinstance(node, Compare):
        return attributes_read(node.left) | attributes_read(node.right)
    if isinstance(node, Call):
        found: frozenset[str] = frozenset()
        for arg in node.args:
            found |= attributes_read(arg)
        return found
    return frozenset()


def constant_value(node: Node) -> Any:
    """The value of a literal argument (to check it when parsing), else None."""
    return node.value if isinstance(node, Literal) else None
