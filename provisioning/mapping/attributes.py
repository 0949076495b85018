"""Attribute mappings as data: Entra (Graph) property -> GoTo SCIM attribute path.

Kept as data so a later release can load editable mappings (expressions, constants) without the
planner knowing which attributes exist. `active` is not mapped here: it follows the object's
lifecycle (true while in scope, false once disabled or out of scope), which is what Entra's default
`Switch([IsSoftDeleted], ...)` mapping plus its scoping achieve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

WORK_EMAIL = 'emails[type eq "work"].value'


class ApplyWhen(StrEnum):
    ALWAYS = "always"
    ON_CREATE = "on_create"


@dataclass(frozen=True, slots=True)
class AttributeMapping:
    """One row of the mapping table, like a row in Entra's attribute-mapping blade."""

    target: str  # SCIM attribute path on GoTo
    source: str  # Graph property name
    apply: ApplyWhen = ApplyWhen.ALWAYS
    matching_precedence: int | None = None  # set on matching attributes; 1 is tried first


@dataclass(frozen=True, slots=True)
class UserMapping:
    """The whole user mapping; derived facts (Graph $select, matching order) come from the rows."""

    attributes: tuple[AttributeMapping, ...]

    def __post_init__(self) -> None:
        targets = [a.target for a in self.attributes]
        duplicates = sorted({t for t in targets if targets.count(t) > 1})
        if duplicates:
            raise ValueError(f"mapping targets appear more than once: {duplicates}")
        if not self.matching:
            raise ValueError("a mapping needs at least one matching attribute (matching_precedence)")

    @property
    def matching(self) -> tuple[AttributeMapping, ...]:
        rows = [a for a in self.attributes if a.matching_precedence is not None]
        return tuple(sorted(rows, key=lambda a: a.matching_precedence or 0))

    def graph_select(self, extra: Iterable[str] = ("accountEnabled",)) -> list[str]:
        """Graph properties to $select: what the mapping reads plus what scoping needs."""
        names: list[str] = ["id"]
        for name in [a.source for a in self.attributes] + list(extra):
            if name not in names:
                names.append(name)
        return names

    def map_user(self, source: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """Target values for one user; on-create rows only when `creating`."""
        values: dict[str, Any] = {}
        for row in self.attributes:
            if row.apply is ApplyWhen.ON_CREATE and not creating:
                continue
            values[row.target] = _normalise(source.get(row.source))
        return values

    def targets(self, *, creating: bool) -> Sequence[str]:
        return [a.target for a in self.attributes if creating or a.apply is ApplyWhen.ALWAYS]


def _normalise(value: Any) -> Any:
    """Empty strings clear an attribute in Entra's model; GoTo sees them as absent."""
    if isinstance(value, str) and value == "":
        return None
    return value


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
