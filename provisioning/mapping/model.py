"""The whole mapping file as one validated value: users (rows + scoping), groups, licenses.

Built only by `mapping.file` after every check passed; `fingerprint` is what state stores to notice
that the effective mapping changed (and run a full cycle), whatever the file's layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioning.mapping.attributes import GroupMapping, UserMapping, fingerprint_of

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class MappingFile:
    """A loaded mapping file. `licenses`: app role value or id -> GoTo license keys (shape only)."""

    users: UserMapping
    groups: GroupMapping
    licenses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    origin: str = field(default="built-in default", compare=False)  # the file it came from

    def canonical(self) -> dict[str, Any]:
        """Plain data of what the file means: defaults spelled out, rows sorted, no layout."""
        return {
            "version": self.version,
            "users": self.users.canonical(),
            "groups": self.groups.canonical(),
            "licenses": {role: list(keys) for role, keys in sorted(self.licenses.items())},
        }

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical JSON: reformatting or reordering the file does not change it."""
        return fingerprint_of(self.canonical())

    def summary(self) -> str:
        return (
            f"{len(self.users.attributes)} user mappings, {len(self.groups.attributes)} group mappings, "
            f"{len(self.users.scoping)} scoping filters"
        )
