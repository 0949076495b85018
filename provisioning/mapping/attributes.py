"""Attribute mappings as data: Entra (Graph) property, constant or expression -> GoTo SCIM attribute path.

Kept as data so the planner never knows which attributes exist; `mapping/file.py` loads the same rows
from a reviewed file (MAPPINGS_FILE, else the packaged `default-mappings.yaml`). `active` is not mapped
here: it follows the object's lifecycle (true while in scope, false once disabled or out of scope),
which is what Entra's default `Switch([IsSoftDeleted], ...)` mapping plus its scoping achieve.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provisioning.mapping.expressions import Expression
    from provisioning.mapping.scoping import ScopingFilters

WORK_EMAIL = 'emails[type eq "work"].value'
SOURCE_ALIASES = {"objectId": "id"}  # Entra's blade says objectId; Graph calls it id
Scalar = str | int | float | bool
Existing = Callable[[str], bool] | None  # whether GoTo already holds a value (SelectUniqueValue)
_Step = tuple[str, str, str, "Scalar | None", "AttributeMapping | None"]


class ApplyWhen(StrEnum):
    ALWAYS = "always"
    ON_CREATE = "on-create"


@dataclass(frozen=True, slots=True)
class AttributeMapping:
    """One row of the mapping table, like a row in Entra's attribute-mapping blade.

    Exactly one of `source` (Direct), `constant` (Constant) or `expression` (Expression) is set;
    `default` stands in when the value is null (or the empty string, which Entra treats as null).
    """

    target: str  # SCIM attribute path on GoTo
    source: str | None = None  # Graph property name; `a.b` reads b inside the complex property a
    apply: ApplyWhen = ApplyWhen.ALWAYS
    matching_precedence: int | None = None  # set on matching attributes; 1 is tried first
    constant: Scalar | None = field(default=None, kw_only=True)
    expression: str | None = field(default=None, kw_only=True)
    default: Scalar | None = field(default=None, kw_only=True)
    _compiled: Expression | None = field(default=None, init=False, repr=False, compare=False)
    _reads: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _path: tuple[str, str] = field(default=("", ""), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        given = [n for n in ("source", "constant", "expression") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"mapping for {self.target!r} needs exactly one of source, constant, expression")
        if self.source is not None:
            head, _, sub = SOURCE_ALIASES.get(self.source, self.source).partition(".")
            object.__setattr__(self, "_path", (head, sub))  # split once: map_user runs per user
        if self.expression is not None:
            from provisioning.mapping.expressions import parse  # the parser loads only when used

            compiled = parse(self.expression)  # raises ExpressionError, with the position
            object.__setattr__(self, "_compiled", compiled)
            object.__setattr__(self, "_reads", tuple(sorted(compiled.attributes)))

    @property
    def kind(self) -> str:
        """Entra's mapping type: direct, constant or expression."""
        return (
            "direct" if self.source is not None else "constant" if self.constant is not None else "expression"
        )

    def reads(self) -> list[str]:
        """Graph attributes this row reads (as written: `a.b` stays `a.b`)."""
        if self.source is not None:
            return [self.source]
        if self._compiled is not None:
            return list(self._reads)
        return []

    def value(
        self, source: Mapping[str, Any], *, existing: Existing = None, now: datetime | None = None
    ) -> tuple[Any, bool]:
        """(value, flows): `flows` is False when an expression's flow is "ignored" (drop the row)."""
        if self.source is not None:
            head, sub = self._path
            value = source.get(head)
            if sub:
                value = value.get(sub) if isinstance(value, Mapping) else None
        elif self._compiled is not None:
            result = self._compiled.evaluate(with_aliases(source, self._reads), existing=existing, now=now)
            if result.flow == "ignored":
                return None, False
            value = result.value
        else:
            value = self.constant
        if value is None or value == "":  # Entra treats the empty string as null: GoTo sees it absent
            return self.default, True
        return value, True

    def canonical(self) -> dict[str, Any]:
        """The row's meaning as plain data (every default spelled out), for fingerprints."""
        return {
            "target": self.target,
            "kind": self.kind,
            "source": self.source,
            "constant": self.constant,
            "expression": self.expression.strip() if self.expression is not None else None,
            "apply": self.apply.value,
            "default": self.default,
            "matching": self.matching_precedence,
        }


@dataclass(frozen=True, slots=True)
class ObjectMapping:
    """The rows for one object type; derived facts ($select, matching order) come from the rows."""

    attributes: tuple[AttributeMapping, ...]
    # The rows map_object walks when creating / updating, each as (target, head, sub, default, row):
    # `row` is None for a direct row, read inline from (head, sub); map_object runs per user.
    _on_create: tuple[_Step, ...] = field(default=(), init=False, repr=False, compare=False)
    _on_update: tuple[_Step, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = [
            (a.target, *a._path, a.default, None if a.source is not None else a) for a in self.attributes
        ]
        object.__setattr__(self, "_on_create", tuple(steps))
        updated = [s for s, a in zip(steps, self.attributes, strict=True) if a.apply is ApplyWhen.ALWAYS]
        object.__setattr__(self, "_on_update", tuple(updated))
        targets = [a.target for a in self.attributes]
        duplicates = sorted({t for t in targets if targets.count(t) > 1})
        if duplicates:
            raise ValueError(f"mapping targets appear more than once: {duplicates}")
        if not self.matching:
            raise ValueError("a mapping needs at least one matching attribute (matching_precedence)")
        precedences = [a.matching_precedence for a in self.matching]
        if len(set(precedences)) != len(precedences):
            raise ValueError(f"matching precedences must be unique: {precedences}")

    @property
    def matching(self) -> tuple[AttributeMapping, ...]:
        rows = [a for a in self.attributes if a.matching_precedence is not None]
        return tuple(sorted(rows, key=lambda a: a.matching_precedence or 0))

    def _reads(self) -> list[str]:
        return [name for row in self.attributes for name in row.reads()]

    def graph_select(self, extra: Iterable[str] = ("accountEnabled",)) -> list[str]:
        """Graph properties to $select, `id` first, then in the rows' order; `a.b` selects `a`."""
        names: list[str] = ["id"]
        for name in [*self._reads(), *extra]:
            top = SOURCE_ALIASES.get(name, name).split(".", 1)[0]
            if top not in names:
                names.append(top)
        return names

    def map_object(
        self,
        source: Mapping[str, Any],
        *,
        creating: bool,
        existing: Existing = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Target values (None = clear) for one object; on-create rows only when `creating`, and no
        row whose expression flow is "ignored"."""
        values: dict[str, Any] = {}
        for target, head, sub, default, row in self._on_create if creating else self._on_update:
            if row is None:  # AttributeMapping.value for a direct row, inline
                value = source.get(head)
                if sub and value is not None:  # isinstance(x, Mapping), an ABC's check, is slow
                    value = value.get(sub) if type(value) is dict or isinstance(value, Mapping) else None
                values[target] = default if value is None or value == "" else value
                continue
            value, flows = row.value(source, existing=existing, now=now)
            if flows:
                values[target] = value
        return values

    def targets(self, *, creating: bool) -> Sequence[str]:
        return [a.target for a in self.attributes if creating or a.apply is ApplyWhen.ALWAYS]

    def canonical(self) -> dict[str, Any]:
        """Rows sorted by target: their order in a file changes no value."""
        return {"mappings": sorted((a.canonical() for a in self.attributes), key=lambda r: r["target"])}

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical JSON: the same effective mapping hashes alike however it is written."""
        return fingerprint_of(self.canonical())


@dataclass(frozen=True, slots=True)
class UserMapping(ObjectMapping):
    """The user mapping: rows plus scoping filters (none: every assigned user is in scope)."""

    scoping: tuple[tuple[Mapping[str, Any], ...], ...] = ()  # OR-ed filters of AND-ed clauses
    filters: ScopingFilters | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ObjectMapping.__post_init__(self)
        if self.scoping:
            from provisioning.mapping.scoping import parse_filters  # loads only when used

            compiled = parse_filters([[dict(c) for c in f] for f in self.scoping])  # raises ConfigError
            object.__setattr__(self, "filters", compiled)

    def _reads(self) -> list[str]:
        scoped = [str(clause.get("attribute")) for rule in self.scoping for clause in rule]  # file order
        return [*ObjectMapping._reads(self), *scoped]

    def in_scope(self, source: Mapping[str, Any]) -> bool:
        """Whether the scoping filters let this user in (True without filters)."""
        if self.filters is None:
            return True
        return bool(self.filters.matches(with_aliases(source, self.filters.attributes)))

    def map_user(
        self,
        source: Mapping[str, Any],
        *,
        creating: bool,
        existing: Existing = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Target values (None = clear) for one user; see `map_object`."""
        return self.map_object(source, creating=creating, existing=existing, now=now)

    def canonical(self) -> dict[str, Any]:
        filters = self.filters.filters if self.filters is not None else ()
        scoping = [[[c.attribute, c.operator, c.value] for c in rule] for rule in filters]
        return {**ObjectMapping.canonical(self), "scoping": scoping}


@dataclass(frozen=True, slots=True)
class GroupMapping(ObjectMapping):
    """The group mapping (used by group provisioning): displayName and externalId by default."""

    def map_group(self, source: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        return self.map_object(source, creating=creating)


def with_aliases(source: Mapping[str, Any], reads: Collection[str]) -> Mapping[str, Any]:
    """`source` plus Entra's names for Graph's (objectId = id) when an expression or filter reads them."""
    missing = {
        alias: graph for alias, graph in SOURCE_ALIASES.items() if alias in reads and alias not in source
    }
    if not missing:
        return source
    return {**source, **{alias: source.get(graph) for alias, graph in missing.items()}}


def fingerprint_of(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DEFAULT_USER_MAPPING = UserMapping(
    attributes=(
        AttributeMapping("userName", "userPrincipalName", matching_precedence=1),
        AttributeMapping("displayName", "displayName"),
        AttributeMapping("name.givenName", "givenName"),
        AttributeMapping("name.familyName", "surname"),
        AttributeMapping(WORK_EMAIL, "mail"),
        AttributeMapping("externalId", "mailNickname"),
    )
)
"""Today's six rows, as code; `mapping.file.load_default()` is the packaged file that replaces them."""
