"""AuditLog: the provisioning logs in Table Storage: write them, query them newest first, prune them.

Rows live in `{prefix}audit`, one partition per cycle, RowKey = inverted timestamp + change id, so a
partition reads newest first (the format TableState has always written). `add` also writes a copy
of each row to `{prefix}auditbyobject`, all in one partition with RowKey = Entra id + "_" + the
audit RowKey, so "what happened to this user" is one RowKey range, and a page of records is one
transaction per 100 (a partition per user made it one transaction per record). Rows written before
that layout (partition = Entra id) are read after the new ones: they are all older. Every index row
has its audit row: `add` writes the audit rows first, `prune` deletes the index rows first.

A query by Entra id reads one RowKey range (and the old partition), a query by cycle one audit
partition. Any other
query walks the cycles table newest first and reads the audit partition of each cycle that can hold
a match, because the audit table's own order (by cycle id, a random GUID) is not time order. All
filters run server-side ($filter; the time range as a RowKey range). Continuation tokens are our
own: the position (cycle, last RowKey) after the last record returned, bound to the query.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioning.aio import gather_all
from provisioning.model import AuditRecord, AuditStatus, CycleStatus
from provisioning.state.codecs import (
    INDEX_LAYOUT,
    audit_from_entity,
    audit_to_entity,
    inverted_ticks,
    next_tick,
    table_key,
)
from provisioning.state.tablestore import TableSet

INDEX_TABLE = "auditbyobject"
INDEX_PARTITION = "object"  # every by-object row: a page of records is one transaction per 100 rows
_ONE_PARTITION = 2  # the INDEX_LAYOUT value of records indexed in INDEX_PARTITION
DEFAULT_TOP = 100
MAX_TOP = 1000  # Table Storage's own page cap
# A cycle stops at its time budget well inside the Functions timeout (10 min); a day is a safe bound
# on how long after its start a cycle can still write records (for time-range queries).
LONGEST_CYCLE = timedelta(days=1)
_WRITE_CONCURRENCY = 16  # transactions in flight at once (per-object index partitions, deletes)
_PRUNE_CYCLE_CONCURRENCY = 4
_TOKEN_VERSION = 1
_MAX_TOKEN_LENGTH = 1024
_ROW_KEY = re.compile(r"^\d{20}_[A-Za-z0-9._:-]{1,128}$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class ContinuationTokenError(ValueError):
    """A continuation token that this log did not issue for this query (malformed, forged, other query)."""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters, all optional and combined with AND; `since`/`until` are inclusive (UTC if naive)."""

    cycle_id: str | None = None
    entra_id: str | None = None
    goto_id: str | None = None
    action: str | None = None
    status: AuditStatus | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    continuation_token: str | None = None  # None: there is nothing more


@dataclass(frozen=True, slots=True)
class _Position:
    cycle_key: str | None  # the cycles-table RowKey of the cycle being read (cycle walk only)
    row_key: str  # the last RowKey returned


class AuditLog(TableSet):
    """The provisioning logs. Create with `from_connection_string` or `from_endpoint`; call `open()`.

    Reads and writes go through a TableStore (retried, errors as StorageError with a hint); a
    TableState's log shares its store.
    """

    TABLE_NAMES = ("audit", INDEX_TABLE, "cycles")

    # writing ---------------------------------------------------------------------------------------

    async def add(self, records: Sequence[AuditRecord]) -> None:
        """Write records and their index rows (upserts: a replay writes the same rows again).

        One transaction per partition and at most 100 rows; partitions are written concurrently.
        """
        if not records:
            return
        audit = [{**audit_to_entity(r), INDEX_LAYOUT: _ONE_PARTITION} for r in records]
        index = [
            {**e, "PartitionKey": INDEX_PARTITION, "RowKey": _index_key(r.source_id, str(e["RowKey"]))}
            for e, r in zip(audit, records, strict=True)
        ]
        gate = asyncio.Semaphore(_WRITE_CONCURRENCY)
        await self._t("audit").submit([("upsert", e) for e in audit], gate=gate)
        await self._t(INDEX_TABLE).submit([("upsert", e) for e in index], gate=gate)

    # reading ---------------------------------------------------------------------------------------

    async def query(
        self, query: AuditQuery, *, top: int = DEFAULT_TOP, continuation_token: str | None = None
    ) -> AuditPage:
        """Up to `top` records, newest first, and a token for the rest (None when there is no more)."""
        if not 1 <= top <= MAX_TOP:
            raise ValueError(f"top must be between 1 and {MAX_TOP}, got {top}")
        query = replace(query, since=_aware(query.since), until=_aware(query.until))
        walk = query.entra_id is None and query.cycle_id is None
        fingerprint = _fingerprint(query)
        after = None if continuation_token is None else _decode_token(continuation_token, fingerprint, walk)
        found: list[tuple[str | None, dict[str, Any]]] = []
        async for item in self._matches(query, after, page_size=min(top + 1, MAX_TOP)):
            found.append(item)
            if len(found) > top:  # one more than asked for: there is a next page
                break
        token = None
        if len(found) > top:
            cycle_key, entity = found[top - 1]
            token = _encode_token(fingerprint, _Position(cycle_key, str(entity["RowKey"])))
        return AuditPage([audit_from_entity(e) for _, e in found[:top]], token)

    def _matches(
        self, query: AuditQuery, after: _Position | None, *, page_size: int
    ) -> AsyncIterator[tuple[str | None, dict[str, Any]]]:
        if query.entra_id is not None:
            return self._by_object(query.entra_id, query, after, page_size)
        if query.cycle_id is not None:
            return self._partition("audit", query.cycle_id, query, after, page_size, by_object=False)
        return self._walk(query, after, page_size)

    async def _by_object(
        self, entra_id: str, query: AuditQuery, after: _Position | None, page_size: int
    ) -> AsyncIterator[tuple[str | None, dict[str, Any]]]:
        """The user's RowKey range in the one index partition, then the rows of the older layout
        (a partition per Entra id; every one of them predates every row of the new layout)."""
        prefix = _index_key(entra_id, "")
        ranged = self._partition(
            INDEX_TABLE, INDEX_PARTITION, query, after, page_size, by_object=True, prefix=prefix
        )
        async for cycle_key, entity in ranged:
            entity["RowKey"] = str(entity["RowKey"])[len(prefix) :]
            yield cycle_key, entity
        async for item in self._partition(INDEX_TABLE, entra_id, query, after, page_size, by_object=True):
            yield item

    async def _partition(
        self,
        table: str,
        partition: str,
        query: AuditQuery,
        after: _Position | None,
        page_size: int,
        *,
        by_object: bool,
        cycle_key: str | None = None,
        prefix: str = "",
    ) -> AsyncIterator[tuple[str | None, dict[str, Any]]]:
        """One partition's rows newest first; with `prefix`, only RowKeys that start with it."""
        clauses, parameters = ["PartitionKey eq @pk"], {"pk": table_key(partition)}
        if prefix:
            clauses.append("RowKey gt @start and RowKey lt @stop")
            parameters["start"], parameters["stop"] = prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
        if by_object and query.cycle_id is not None:
            clauses.append("cycle_id eq @cycle")
            parameters["cycle"] = query.cycle_id
        for prop, value in (
            ("action", query.action),
            ("status", None if query.status is None else query.status.value),
            ("target_id", query.goto_id),
        ):
            if value is not None:
                clauses.append(f"{prop} eq @{prop}")
                parameters[prop] = value
        if query.until is not None:  # at or before `until`: the inverted timestamp is at least its own
            clauses.append("RowKey ge @newest")
            parameters["newest"] = prefix + inverted_ticks(query.until)
        if query.since is not None:  # at or after `since`: below the next inverted tick
            clauses.append("RowKey lt @oldest")
            parameters["oldest"] = prefix + next_tick(inverted_ticks(query.since))
        if after is not None:
            clauses.append("RowKey gt @after")
            parameters["after"] = prefix + after.row_key
        entities = self._t(table).query(" and ".join(clauses), parameters=parameters, page_size=page_size)
        async for entity in entities:
            yield cycle_key, dict(entity)

    async def _walk(
        self, query: AuditQuery, after: _Position | None, page_size: int
    ) -> AsyncIterator[tuple[str | None, dict[str, Any]]]:
        """Every cycle newest first; read the partitions of those that can hold a match."""
        clauses, parameters = ["PartitionKey eq 'cycle'"], dict[str, str]()
        lower = [after.cycle_key] if after is not None and after.cycle_key else []
        if query.until is not None:  # a cycle that started after `until` wrote nothing before it
            lower.append(inverted_ticks(query.until))
        if lower:
            clauses.append("RowKey ge @first")
            parameters["first"] = max(lower)
        if query.since is not None:  # a cycle that started long before `since` ended before it
            clauses.append("RowKey lt @last")
            parameters["last"] = next_tick(inverted_ticks(query.since - LONGEST_CYCLE))
        cycles = self._t("cycles").query(
            " and ".join(clauses),
            parameters=parameters,
            select=["RowKey", "id", "status", "ended", "counts"],
            page_size=MAX_TOP,
        )
        async for cycle in cycles:
            if not _may_hold(cycle, query.since):
                continue
            resume = after if after is not None and cycle["RowKey"] == after.cycle_key else None
            async for item in self._partition(
                "audit",
                str(cycle["id"]),
                query,
                resume,
                page_size,
                by_object=False,
                cycle_key=str(cycle["RowKey"]),
            ):
                yield item

    # retention -------------------------------------------------------------------------------------

    async def prune(self, older_than: datetime) -> int:
        """Delete the records of cycles that started before `older_than`, their index rows and the
        cycle rows themselves (the newest successful cycle row stays, so status can still name it).

        Returns how many audit records were deleted. Safe to repeat after a crash part-way.
        """
        bound = next_tick(inverted_ticks(older_than))  # RowKeys at or above it started before
        old = [
            dict(e)
            async for e in self._t("cycles").query(
                "PartitionKey eq 'cycle' and RowKey ge @bound",
                parameters={"bound": bound},
                select=["RowKey", "id", "status"],
                page_size=MAX_TOP,
            )
        ]
        keep = await self._newest_success_to_keep(old, bound)
        gate = asyncio.Semaphore(_WRITE_CONCURRENCY)
        cycle_gate = asyncio.Semaphore(_PRUNE_CYCLE_CONCURRENCY)

        async def one(cycle: dict[str, Any]) -> int:
            async with cycle_gate:
                deleted = await self._prune_cycle(str(cycle["id"]), gate)
                if cycle["RowKey"] != keep:
                    await self._t("cycles").delete("cycle", cycle["RowKey"])
                return deleted

        return sum(await gather_all(one(cycle) for cycle in old))

    async def _newest_success_to_keep(self, old: list[dict[str, Any]], bound: str) -> str | None:
        first_old_success = next((c["RowKey"] for c in old if c.get("status") == "succeeded"), None)
        if first_old_success is None:
            return None
        newer = self._t("cycles").query(
            "PartitionKey eq 'cycle' and RowKey lt @bound and status eq 'succeeded'",
            parameters={"bound": bound},
            select=["RowKey"],
            page_size=1,
        )
        async for _ in newer:
            return None
        return str(first_old_success)

    async def _prune_cycle(self, cycle_id: str, gate: asyncio.Semaphore) -> int:
        rows = [
            dict(e)
            async for e in self._t("audit").query(
                "PartitionKey eq @pk",
                parameters={"pk": table_key(cycle_id)},
                select=["RowKey", "source_id", INDEX_LAYOUT],
                page_size=MAX_TOP,
            )
        ]
        index_rows = [
            {"PartitionKey": INDEX_PARTITION, "RowKey": _index_key(str(r["source_id"]), str(r["RowKey"]))}
            if r.get(INDEX_LAYOUT) == _ONE_PARTITION
            else {"PartitionKey": str(r["source_id"]), "RowKey": r["RowKey"]}
            for r in rows
            if r.get("source_id")
        ]
        # A row already gone (a crash part-way, records without index rows) is fine: see Table.submit.
        await self._t(INDEX_TABLE).submit([("delete", r) for r in index_rows], gate=gate)
        audit_rows = [{"PartitionKey": cycle_id, "RowKey": r["RowKey"]} for r in rows]
        await self._t("audit").submit([("delete", r) for r in audit_rows], gate=gate)
        return len(rows)


def _index_key(source_id: str, row_key: str) -> str:
    return f"{table_key(source_id)}_{row_key}"


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC (what every stored time is)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _may_hold(cycle: Mapping[str, Any], since: datetime | None) -> bool:
    """Skipped cycles and finished cycles that did nothing wrote no record (every record a cycle
    writes is counted in `counts`, saved when it ends); one that ended before `since` has none after."""
    if CycleStatus.read(str(cycle.get("status", "")))[0] is CycleStatus.SKIPPED:
        return False
    ended = cycle.get("ended")
    if not ended:
        return True  # running, or it crashed: whatever it wrote is there
    if json.loads(str(cycle.get("counts") or "{}")) == {}:
        return False
    return since is None or datetime.fromisoformat(str(ended)) >= since


# continuation tokens ------------------------------------------------------------------------------


def _fingerprint(query: AuditQuery) -> str:
    parts = [
        query.cycle_id,
        query.entra_id,
        query.goto_id,
        query.action,
        None if query.status is None else query.status.value,
        None if query.since is None else inverted_ticks(query.since),
        None if query.until is None else inverted_ticks(query.until),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _encode_token(fingerprint: str, position: _Position) -> str:
    data = {"v": _TOKEN_VERSION, "q": fingerprint, "c": position.cycle_key, "r": position.row_key}
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _decode_token(token: str, fingerprint: str, walk: bool) -> _Position:
    if len(token) > _MAX_TOKEN_LENGTH or not _TOKEN_CHARS.match(token):
        raise ContinuationTokenError("is not a continuation token issued by this API")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise ContinuationTokenError("is not a continuation token issued by this API") from None
    if not isinstance(data, dict) or set(data) != {"v", "q", "c", "r"} or data["v"] != _TOKEN_VERSION:
        raise ContinuationTokenError("is not a continuation token issued by this API")
    if data["q"] != fingerprint:
        raise ContinuationTokenError("was issued for a different query; repeat the query's filters")
    cycle_key, row_key = data["c"], data["r"]
    well_formed = isinstance(row_key, str) and bool(_ROW_KEY.match(row_key))
    if walk:
        well_formed = well_formed and isinstance(cycle_key, str) and bool(_ROW_KEY.match(cycle_key))
    else:
        well_formed = well_formed and cycle_key is None
    if not well_formed:
        raise ContinuationTokenError("is not a continuation token issued by this API")
    return _Position(cycle_key, row_key)


__all__ = [
    "DEFAULT_TOP",
    "INDEX_TABLE",
    "MAX_TOP",
    "AuditLog",
    "AuditPage",
    "AuditQuery",
    "ContinuationTokenError",
]
