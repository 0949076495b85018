"""The narrow filter grammar GoTo documents for list requests; anything else is `invalidFilter`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from sandbox.goto.errors import ScimError
from sandbox.goto.resource import get_dotted, strip_core_prefix

ResourceKind = Literal["User", "Group"]
Predicate = Callable[[dict[str, Any]], bool]

_FILTER = re.compile(r'^\s*([A-Za-z][\w.:\-]*)\s+([A-Za-z]{2})\s+("(?:[^"\\]|\\.)*")\s*$')

# attribute (lower-case) → (canonical name, operators allowed, case-exact?)
_SUPPORTED: dict[ResourceKind, dict[str, tuple[str, frozenset[str], bool]]] = {
    "User": {
        "username": ("userName", frozenset({"eq", "sw"}), False),
        "displayname": ("displayName", frozenset({"eq", "sw"}), False),
        "name.givenname": ("name.givenName", frozenset({"eq", "sw"}), False),
        "name.familyname": ("name.familyName", frozenset({"eq", "sw"}), False),
        "externalid": ("externalId", frozenset({"eq"}), True),
    },
    "Group": {
        "displayname": ("displayName", frozenset({"eq", "sw", "co"}), False),
        "externalid": ("externalId", frozenset({"eq"}), True),
    },
}


def _invalid(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def parse_filter(text: str, kind: ResourceKind) -> Predicate:
    """One `attribute op "string"` clause; no and/or/not, no presence, no other comparisons."""
    match = _FILTER.match(text)
    if match is None:
        raise _invalid(f'unsupported filter {text!r}: expected attribute eq|sw|co "value"')
    attribute, operator, literal = match.group(1), match.group(2).lower(), match.group(3)
    supported = _SUPPORTED[kind].get(strip_core_prefix(attribute).lower())
    if supported is None:
        raise _invalid(f"filtering {kind}s on {attribute!r} is not supported")
    canonical, operators, case_exact = supported
    if operator not in operators:
        raise _invalid(f"operator {operator!r} is not supported on {canonical}")
    try:
        wanted = json.loads(literal)
    except ValueError as exc:
        raise _invalid(f"bad string literal {literal}") from exc

    def norm(value: str) -> str:
        return value if case_exact else value.casefold()

    target = norm(wanted)

    def predicate(resource: dict[str, Any]) -> bool:
        value = get_dotted(resource, canonical)
        if not isinstance(value, str):
            return False
        actual = norm(value)
        if operator == "eq":
            return actual == target
        if operator == "sw":
            return actual.startswith(target)
        return target in actual

    return predicate
