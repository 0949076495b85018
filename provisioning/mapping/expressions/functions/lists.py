"""Multi-valued attributes, roles and generated values: AppRoleAssignmentsComplex, Count, Guid, Item,
RandomString, RemoveDuplicates, SelectUniqueValue, SingleAppRoleAssignment."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any

from provisioning.mapping.expressions.errors import ExpressionError
from provisioning.mapping.expressions.nodes import Literal, Node
from provisioning.mapping.expressions.registry import Context, function
from provisioning.mapping.expressions.values import MISSING, is_null_or_empty, to_int, to_str

# the password-complexity reference's special characters
SPECIAL_CHARACTERS = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
RANDOM_STRING_MAX = 256


@function(
    "AppRoleAssignmentsComplex",
    "appRoleAssignments",
    unsupported="GoTo takes no role list; map one role with SingleAppRoleAssignment([appRoleAssignments])",
)
def app_role_assignments_complex(_: Context, args: list[Any]) -> Any:  # pragma: no cover - refused at parse
    raise ExpressionError("not supported by this target")


@function("Count", "attribute")
def count(_: Context, args: list[Any]) -> int:
    value = args[0]
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


@function("Guid")
def guid(_: Context, args: list[Any]) -> str:
    return str(uuid.uuid4())


@function("Item", "attribute", "index")
def item(_: Context, args: list[Any]) -> Any:
    """The index-th value (1-based) of a multi-valued attribute; null when there is none."""
    values, index = args[0], to_int(args[1], "index")
    if values is None:
        return None
    values = values if isinstance(values, list) else [values]
    return values[index - 1] if 1 <= index <= len(values) else None


def _check_random(args: tuple[Node, ...]) -> tuple[str, Node | None] | None:
    numbers = [a.value for a in args[:5] if isinstance(a, Literal) and isinstance(a.value, int)]
    if len(numbers) == 5:
        length, *minimums = numbers
        if length > RANDOM_STRING_MAX or length < sum(minimums) or min(numbers) < 0:
            return f"Length must be at most {RANDOM_STRING_MAX} and at least the sum of the minimums", args[0]
    return None


@function(
    "RandomString",
    "Length",
    "MinimumNumbers",
    "MinimumSpecialCharacters",
    "MinimumCapital",
    "MinimumLowerCase",
    "?CharactersToAvoid",
    check=_check_random,
)
def random_string(_: Context, args: list[Any]) -> str:
    length, digits, special, capital, lower = (to_int(a, "RandomString's counts") for a in args[:5])
    avoid = set(to_str(args[5]) or "") if len(args) > 5 and args[5] is not MISSING else set()
    if length > RANDOM_STRING_MAX or length < digits + special + capital + lower:
        raise ExpressionError(
            f"Length must be at most {RANDOM_STRING_MAX} and at least the sum of the minimums"
        )
    pools = [
        [c for c in chars if c not in avoid]
        for chars in (string.digits, SPECIAL_CHARACTERS, string.ascii_uppercase, string.ascii_lowercase)
    ]
    if any(not pool and need for pool, need in zip(pools, (digits, special, capital, lower), strict=True)):
        raise ExpressionError("CharactersToAvoid leaves no character for a required kind")
    needs = (digits, special, capital, lower)
    chosen = [secrets.choice(pool) for pool, need in zip(pools, needs, strict=True) for _ in range(need)]
    everything = [c for pool in pools for c in pool]
    chosen += [secrets.choice(everything) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


@function("RemoveDuplicates", "attribute")
def remove_duplicates(_: Context, args: list[Any]) -> Any:
    value = args[0]
    if not isinstance(value, list):
        return value
    unique: list[Any] = []
    for element in value:
        if element not in unique:
            unique.append(element)
    return unique


@function("SelectUniqueValue", "rule1", "rule2", "rule*", lazy=True, top_level_only=True)
def select_unique_value(context: Context, args: list[Any]) -> Any:
    """Each rule in order; the first value the target does not have yet (rules that give null are
    skipped). Without an `existing` check nothing exists, so the first value wins."""
    exists: Callable[[str], bool] = context.existing or (lambda _value: False)
    tried = 0
    for rule in args:
        value = rule()
        if is_null_or_empty(value):
            continue
        tried += 1
        if not exists(to_str(value) or ""):
            return value
    raise ExpressionError(
        f"every value its {len(args)} rules generate already exists in the target ({tried} tried)"
    )


@function("SingleAppRoleAssignment", "appRoleAssignments")
def single_app_role_assignment(_: Context, args: list[Any]) -> Any:
    """The one role value of [appRoleAssignments] (a list of role values, or objects with `value`)."""
    roles = args[0]
    if roles is None:
        return None
    for role in roles if isinstance(roles, list) else [roles]:
        value = role.get("value") if isinstance(role, dict) else role
        if not is_null_or_empty(value):
            return value
    return None
