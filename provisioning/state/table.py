"""One table of a TableStore: each method is one retried call, and a write that may have landed
before a dropped connection is recognised instead of being reported as lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableEntity, TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from provisioning.aio import gather_all
from provisioning.state.batch import submit_transaction
from provisioning.state.storage_errors import BATCH_LIMIT, Claim, error_code

if TYPE_CHECKING:
    from provisioning.state.tablestore import TableStore

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """A property as the SDK hands it back, comparable with what we wrote."""
    inner = getattr(value, "value", None)
    if inner is not None and hasattr(value, "edm_type"):
        return inner
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def holds(current: Mapping[str, Any] | None, written: Mapping[str, Any]) -> bool:
    """The row holds every property we wrote (so a write we could not confirm did land)."""
    if current is None:
        return False
    return all(
        _plain(current.get(k)) == _plain(v) for k, v in written.items() if k not in ("PartitionKey", "RowKey")
    )


Operation = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], Mapping[str, Any]]


def partition_batches(operations: Sequence[Operation]) -> list[list[Operation]]:
    """Transactions: one partition each, at most BATCH_LIMIT operations, in the order given."""
    by_partition: dict[str, list[Operation]] = {}
    for op in operations:
        by_partition.setdefault(str(op[1]["PartitionKey"]), []).append(op)
    return [
        ops[start : start + BATCH_LIMIT]
        for ops in by_partition.values()
        for start in range(0, len(ops), BATCH_LIMIT)
    ]


def _normal(op: Operation) -> tuple[str, dict[str, Any], dict[str, Any]]:
    options: Mapping[str, Any] = op[2] if len(op) > 2 else {}
    return op[0], dict(op[1]), dict(options)


class Table:
    """One table; each method is one retried call (a query: one retried call per page)."""

    def __init__(self, store: TableStore, client: TableClient) -> None:
        self._store = store
        self.client = client
        self.name = client.table_name

    async def get(
        self, partition_key: str, row_key: str, *, select: list[str] | None = None
    ) -> TableEntity | None:
        async def once(_: int) -> TableEntity | None:
            try:
                return await self.client.get_entity(
                    partition_key, row_key, select=select, **self._store.call_options
                )
            except ResourceNotFoundError:
                return None

        return await self._store.run(f"read from {self.name}", once)

    async def query(
        self,
        query_filter: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        select: list[str] | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[TableEntity]:
        """Every matching entity, a page at a time; a page that fails is fetched again from its own
        continuation token, so a blink mid-query neither repeats nor skips entities."""
        token: Any = None
        while True:

            async def page(_: int, token: Any = token) -> tuple[list[TableEntity], Any]:
                pages: Any = self.client.query_entities(
                    query_filter,
                    parameters=dict(parameters) if parameters else None,
                    select=select,
                    results_per_page=page_size,
                    **self._store.call_options,
                ).by_page(continuation_token=token)
                try:
                    entities = [e async for e in await pages.__anext__()]
                except StopAsyncIteration:
                    return [], None
                return entities, pages.continuation_token

            entities, token = await self._store.run(f"query of {self.name}", page)
            for entity in entities:
                yield entity
            if not token:
                return

    async def upsert(self, entity: Mapping[str, Any], *, mode: UpdateMode = UpdateMode.MERGE) -> None:
        async def once(_: int) -> None:
            await self.client.upsert_entity(dict(entity), mode=mode, **self._store.call_options)

        await self._store.run(f"write to {self.name}", once)

    async def delete(self, partition_key: str, row_key: str) -> None:
        """Gone afterwards, whether it was there or not."""

        async def once(_: int) -> None:
            await self.client.delete_entity(partition_key, row_key, **self._store.call_options)

        await self._store.run(f"delete in {self.name}", once)

    async def create(self, entity: Mapping[str, Any]) -> str | None:
        """Insert a row that must not exist yet: its ETag, or None if another writer's row is there.

        A conflict may be our own create, landed before the connection dropped (and retried): then
        the row holds exactly what we sent, and it counts as ours. So `entity` must carry something
        only this writer writes (a holder id, a timestamp, a nonce).
        """

        async def once(_: int) -> str | None:
            try:
                written = await self.client.create_entity(dict(entity), **self._store.call_options)
                return str(written["etag"])
            except ResourceExistsError:
                return await self._ours(entity)

        return await self._store.run(f"create in {self.name}", once)

    async def replace_if(self, entity: Mapping[str, Any], etag: str) -> str | None:
        """Replace the row only if it is still the version `etag` names: the new ETag, or None if
        someone else changed or deleted it first.

        A 412 may answer our own replace sent again (by us, or by aiohttp itself, which silently
        re-sends an idempotent PUT on a dropped keep-alive connection): if the row now holds exactly
        what we wrote, it is ours. So `entity` must carry something only this writer writes.
        """

        async def once(_: int) -> str | None:
            try:
                written = await self.client.update_entity(
                    dict(entity),
                    mode=UpdateMode.REPLACE,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                    **self._store.call_options,
                )
                return str(written["etag"])
            except ResourceNotFoundError:
                return None
            except ResourceModifiedError:
                return await self._ours(entity)

        return await self._store.run(f"guarded write to {self.name}", once)

    async def delete_if(self, partition_key: str, row_key: str, etag: str) -> bool:
        """Delete the row only if it is still the version `etag` names; True if it is gone now."""

        async def once(_: int) -> bool:
            try:
                await self.client.delete_entity(
                    partition_key,
                    row_key,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                    **self._store.call_options,
                )
            except ResourceModifiedError:
                return False
            return True  # the SDK reports a missing row (e.g. our own delete, landed) as success

        return await self._store.run(f"guarded delete in {self.name}", once)

    async def claim(
        self, entity: Mapping[str, Any], *, may_take: Callable[[TableEntity], bool]
    ) -> Claim | None:
        """Win the row or not: create it if absent, else replace it if `may_take(current)` and nobody
        changed it since we read it (ETag). Two writers racing cannot both win."""
        current = await self.get(str(entity["PartitionKey"]), str(entity["RowKey"]))
        if current is None:
            etag = await self.create(entity)
            return None if etag is None else Claim(etag, None)
        if not may_take(current):
            return None
        etag = await self.replace_if(entity, str(current.metadata["etag"]))
        return None if etag is None else Claim(etag, current)

    async def submit(
        self,
        operations: Sequence[Operation],
        *,
        concurrency: int = 1,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        """Upserts and deletes as transactions (one partition, ≤ 100 each), each retried as a whole;
        a transaction refused because a row to delete is already gone is done one by one. Up to
        `concurrency` partitions are written at once, each partition's transactions in order."""
        if not operations:
            return
        limit = gate or asyncio.Semaphore(concurrency)
        chains: dict[str, list[list[Operation]]] = {}
        for batch in partition_batches(operations):
            chains.setdefault(str(batch[0][1]["PartitionKey"]), []).append(batch)

        async def one(batch: list[Operation]) -> None:
            async with limit:
                await self._store.run(f"transaction on {self.name}", lambda _: self._transaction(batch))

        async def send(batches: list[list[Operation]]) -> None:
            for batch in batches:
                await one(batch)

        await gather_all(send(batches) for batches in chains.values())

    async def _transaction(self, batch: list[Operation]) -> None:
        ops = [_normal(op) for op in batch]
        if len(ops) == 1 and ops[0][0] in ("upsert", "delete"):
            await self._single(*ops[0])  # one row needs no multipart batch (a third of its CPU)
            return
        try:
            await submit_transaction(self.client, ops, **self._store.call_options)
        except TableTransactionError as exc:
            if error_code(exc) != "ResourceNotFound" or any(
                kind not in ("delete", "upsert") for kind, _, _ in ops
            ):
                raise
            if not any(kind == "delete" for kind, _, _ in ops):
                raise
            # Atomic: nothing of it landed. Deleting what is already gone is what we wanted anyway.
            for kind, entity, options in ops:
                if kind == "delete":
                    await self.client.delete_entity(
                        entity["PartitionKey"], entity["RowKey"], **self._store.call_options
                    )
                else:
                    await self.client.upsert_entity(entity, **options, **self._store.call_options)

    async def _single(self, kind: str, entity: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        if kind == "upsert":
            await self.client.upsert_entity(entity, **options, **self._store.call_options)
            return
        with contextlib.suppress(ResourceNotFoundError):  # already gone: what a delete wanted
            await self.client.delete_entity(
                entity["PartitionKey"], entity["RowKey"], **self._store.call_options
            )

    async def _ours(self, entity: Mapping[str, Any]) -> str | None:
        """The row's ETag if it holds exactly what we wrote (our write landed), else None."""
        try:
            current = await self.client.get_entity(
                str(entity["PartitionKey"]), str(entity["RowKey"]), **self._store.call_options
            )
        except ResourceNotFoundError:
            return None
        return str(current.metadata["etag"]) if holds(current, entity) else None
