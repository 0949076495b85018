"""The engine's view of GoTo groups (engine.group_target.GroupTarget) over the SCIM client.

Names are matched exactly: GoTo (and some other peers) filter `displayName eq` without case, and
a group merely spelled alike is another group, never one to fill with members.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import aclosing
from typing import Any

from provisioning.engine.group_target import TargetGroup
from provisioning.target.payload import build_group, eq_filter, get_value, member_ids
from provisioning.target.scim import Resource, ScimClient

log = logging.getLogger(__name__)

# A group lookup reads this many per page: a peer that ignores the filter is paged through whole.
_FIND_PAGE = 100


class ScimGroupTarget:
    """Implements engine.group_target.GroupTarget. Member changes go in the client's chunks (the
    dialect's members_per_request, 100 for GoTo); a peer without PATCH gets PUTs of the whole group."""

    def __init__(self, client: ScimClient) -> None:
        self.client = client

    async def create_group(self, values: Mapping[str, Any]) -> TargetGroup:
        """Empty, as Entra creates groups; a taken name raises ConflictError (409) from the peer."""
        return _view(await self.client.create_group(build_group(values)))

    async def find_group(self, *, display_name: str) -> TargetGroup | None:
        """The first group whose displayName is exactly `display_name`, with its members' ids."""
        query = eq_filter("displayName", display_name, dialect=self.client.dialect)
        exact: list[Resource] = []
        seen = 0
        async with aclosing(self.client.list_groups(filter=query, page_size=_FIND_PAGE)) as groups:
            async for resource in groups:
                seen += 1
                if get_value(resource, "displayName") == display_name:
                    exact.append(resource)
                    if len(exact) > 1:
                        break
        if len(exact) > 1:
            log.warning(
                "find group: the peer holds more than one group with the same displayName; "
                "the first it listed (%s) is taken",
                exact[0].get("id"),
            )
        elif not exact and seen:
            log.info("find group: %d group(s) listed for the name, none spelled exactly so", seen)
        if not exact:
            return None
        found = exact[0]
        if _lacks_members(found):  # a list answer may leave members out: read the group itself
            found = await self.client.get_group(str(found["id"])) or found
        return _view(found)

    async def update_group(self, target_id: str, values: Mapping[str, Any]) -> None:
        """Replace these attributes; NotFoundError when the group is gone (also GoTo's 401 for it)."""
        await self.client.update_group_values(target_id, values)

    async def add_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        await self.client.add_members(target_id, member_ids)

    async def remove_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        await self.client.remove_members(target_id, member_ids)

    async def delete_group(self, target_id: str) -> bool:
        """False when the group was already gone (404, or GoTo's 401 for a missing group)."""
        return await self.client.delete_group(target_id)


def _lacks_members(resource: Resource) -> bool:
    return not any(key.lower() == "members" for key in resource)


def _view(resource: Resource) -> TargetGroup:
    name = get_value(resource, "displayName")
    return TargetGroup(
        id=str(resource["id"]),
        display_name=name if isinstance(name, str) else "",
        members=tuple(member_ids(resource)),
    )
