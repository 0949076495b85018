"""Graph reads shared by the ids of one message: the ids that arrived together are one moment.

OnDemand reads the app's assignments and every assigned group's members for each user it
provisions, and the user itself; for a message of 200 ids that is 200 times the same listing.
`BatchReads` reads each once per message (assignments, a group's members, a user), so a burst costs
Graph about one read per id. It lives as long as one message: nothing is cached across messages,
so a later notification always sees Graph as it is then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from provisioning.engine.ports import Source
from provisioning.model import Assignment, DeltaPage, GroupChange, MemberChange, ServicePrincipal, UserChange


class BatchReads:
    """A Source that remembers the reads of one message; delta queries pass straight through."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._assignments: dict[str, list[Assignment]] = {}
        self._members: dict[str, list[MemberChange]] = {}
        self._users: dict[tuple[str, tuple[str, ...]], dict[str, Any] | None] = {}

    async def list_assignments(self, sp_id: str) -> list[Assignment]:
        if sp_id not in self._assignments:
            self._assignments[sp_id] = await self.source.list_assignments(sp_id)
        return list(self._assignments[sp_id])

    async def list_group_members(self, group_id: str) -> list[MemberChange]:
        if group_id not in self._members:
            self._members[group_id] = await self.source.list_group_members(group_id)
        return list(self._members[group_id])

    async def get_user(self, user_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        key = (user_id, tuple(select))
        if key not in self._users:
            self._users[key] = await self.source.get_user(user_id, select=select)
        found = self._users[key]
        return None if found is None else dict(found)

    def iter_users_delta(
        self, *, link: str | None, select: Sequence[str]
    ) -> AsyncIterator[DeltaPage[UserChange]]:
        return self.source.iter_users_delta(link=link, select=select)

    def iter_groups_delta(
        self, *, link: str | None, select: Sequence[str] = ("displayName", "members"), latest: bool = False
    ) -> AsyncIterator[DeltaPage[GroupChange]]:
        return self.source.iter_groups_delta(link=link, select=select, latest=latest)

    async def get_group(self, group_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        return await self.source.get_group(group_id, select=select)

    async def get_service_principal(self, sp_id: str) -> ServicePrincipal:
        return await self.source.get_service_principal(sp_id)
