"""Who holds a GoTo account, for adoption: the links read once per run, on its first adoption.

Moving off Microsoft's connector means every account already exists, so every user of the first
cycle is adopted: one query per adoption would scan the links partition N times (N² reads). The
run's first adoption reads the links once (pages of 1,000); accounts linked or taken later in the
run are in the run's Claims (engine.apply), which the same run shares across its pages.
"""

from __future__ import annotations

import asyncio

from provisioning.engine.ports import StateStore
from provisioning.model import Link, ObjectType


class LinkIndex:
    """A run's view of the links by GoTo id, loaded lazily (a run without adoptions reads nothing)."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self._by_target: dict[ObjectType, dict[str, Link]] = {}
        self._lock = asyncio.Lock()

    async def get_link_by_target(
        self, target_id: str, *, object_type: ObjectType = ObjectType.USER
    ) -> Link | None:
        async with self._lock:
            index = self._by_target.get(object_type)
            if index is None:
                index = {
                    link.target_id: link async for link in self.state.list_links(object_type=object_type)
                }
                self._by_target[object_type] = index
        return index.get(target_id)
