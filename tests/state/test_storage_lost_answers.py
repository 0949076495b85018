"""A write that landed but whose answer was lost (the connection reset after the server acted) is
not turned into a false failure when it is retried.

The fault proxy forwards the request to Azurite and resets the client's connection instead of
passing the answer back, once; the retry then meets its own write: 409 for a create, 412 for an
ETag-guarded replace, 404 inside a batch of deletes. Each must count as done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.state.tables import TableState
from sandbox.tcp_proxy import FaultProxy

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def state(proxied_connection_string: str, table_prefix: str) -> AsyncIterator[TableState]:
    async with TableState.from_connection_string(proxied_connection_string, prefix=table_prefix) as s:
        yield s


async def test_a_lease_created_before_the_reset_is_ours(state: TableState, azurite_proxy: FaultProxy) -> None:
    await state.get_lease()  # warm the connection: the next answer lost is the create's
    table = state.store.table(state._prefix + "state")
    azurite_proxy.lose_answers(1)
    etag = await table.create({"PartitionKey": "control", "RowKey": "lease", "Holder": "me", "Expires": "x"})
    assert azurite_proxy.answers_lost == 1
    assert etag is not None, "our own create, landed before the reset, was reported as someone else's"


async def test_acquire_lease_survives_a_lost_answer(state: TableState, azurite_proxy: FaultProxy) -> None:
    """Lost answers on the read and on the create: the lease is still ours, and only ours."""
    azurite_proxy.lose_answers(2)
    assert await state.acquire_lease("me", seconds=60, now=NOW)
    assert azurite_proxy.answers_lost == 2
    assert await state.get_lease() == ("me", NOW + timedelta(seconds=60))
    assert not await state.acquire_lease("someone-else", seconds=60, now=NOW)


async def test_a_renewal_replaced_before_the_reset_is_ours(
    state: TableState, azurite_proxy: FaultProxy
) -> None:
    assert await state.acquire_lease("me", seconds=60, now=NOW)
    table = state.store.table(state._prefix + "state")
    current = await table.get("control", "lease")
    assert current is not None
    renewed = {"PartitionKey": "control", "RowKey": "lease", "Holder": "me", "Expires": "later"}
    azurite_proxy.lose_answers(1)
    etag = await table.replace_if(renewed, str(current.metadata["etag"]))
    assert azurite_proxy.answers_lost == 1
    assert etag is not None, "our own guarded replace, landed before the reset, was reported as lost"
    renewed_row = await table.get("control", "lease")
    assert renewed_row is not None and renewed_row["Expires"] == "later"


async def test_a_guarded_replace_lost_to_another_writer_is_still_refused(state: TableState) -> None:
    """The retry rule must not make a real conflict look like our own write."""
    assert await state.acquire_lease("me", seconds=60, now=NOW)
    table = state.store.table(state._prefix + "state")
    current = await table.get("control", "lease")
    assert current is not None
    await table.upsert({"PartitionKey": "control", "RowKey": "lease", "Holder": "other", "Expires": "y"})
    mine = {"PartitionKey": "control", "RowKey": "lease", "Holder": "me", "Expires": "z"}
    assert await table.replace_if(mine, str(current.metadata["etag"])) is None


async def test_a_batch_of_deletes_whose_answer_is_lost_is_done(
    state: TableState, azurite_proxy: FaultProxy
) -> None:
    await state.update_members(added={"g1": [f"u{i}" for i in range(30)]}, removed={})
    members = (await state.list_members(["g1"]))["g1"]
    azurite_proxy.lose_answers(1)
    await state.update_members(added={}, removed={"g1": sorted(members)})  # lands, answer lost, retried: 404
    assert azurite_proxy.answers_lost == 1
    assert (await state.list_members(["g1"]))["g1"] == set()
