"""The state store fixture: each state test runs on Azurite and on MemoryState alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provisioning.state.tables import TableState
from tests.fixtures.azurite import STORES, state_store


@pytest.fixture(params=STORES)
async def state(request: pytest.FixtureRequest, table_prefix: str) -> AsyncIterator[TableState]:
    async with state_store(request, request.param, prefix=table_prefix) as opened:
        yield opened
