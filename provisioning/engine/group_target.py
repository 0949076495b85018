"""What the engine needs from GoTo to provision groups (`target.group_target.ScimGroupTarget` over SCIM).

Groups are created empty and filled by PATCH, as Entra does; the adapter sends member changes in
chunks the target takes (GoTo: at most 100 values per request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """A GoTo group as the engine sees it: its id, name and direct members' GoTo ids."""

    id: str
    display_name: str
    members: tuple[str, ...] = ()


class GroupTarget(Protocol):
    async def create_group(self, values: Mapping[str, Any]) -> TargetGroup:
        """An empty group with these values (displayName, externalId). ConflictError: the name is taken."""
        ...

    async def find_group(self, *, display_name: str) -> TargetGroup | None:
        """The group named exactly `display_name` (case-sensitive), with its members; None if none."""
        ...

    async def update_group(self, target_id: str, values: Mapping[str, Any]) -> None:
        """Replace these attributes. NotFoundError: the group is gone."""
        ...

    async def add_members(self, target_id: str, member_ids: Sequence[str]) -> None: ...
    async def remove_members(self, target_id: str, member_ids: Sequence[str]) -> None: ...

    async def delete_group(self, target_id: str) -> bool:
        """False when the group was already gone."""
        ...
