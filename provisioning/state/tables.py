"""TableState: everything the product remembers between cycles, in Azure Table Storage.

Tables (one prefix per deployment): links (Entra id <-> GoTo id, last written values, Entra
snapshot), state (delta watermarks, the last assignment list, the retry list), members (direct
members of assigned groups), audit (one row per processed object, partitioned by cycle) and cycles.
Writes are batched: one transaction per partition, at most 100 entities (Table Storage's cap).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from provisioning.model import (
    Assignment,
    AuditRecord,
    AuditStatus,
    CycleRecord,
    Link,
    ModifiedProperty,
    ObjectType,
)

if TYPE_CHECKING:
    from provisioning.state.audit_log import AuditLog

BATCH_LIMIT = 100
# Entra's retry ladder: the next cycle, then about 6, 12, 24, 48, 96 and 168 hours, then given up.
RETRY_LADDER_HOURS: tuple[float, ...] = (0, 6, 12, 24, 48, 96, 168)
_MAX_TICKS = 10**19  # inverted timestamps sort newest first
_READ_CONCURRENCY = 16


def inverted_ticks(moment: datetime) -> str:
    micros = int(moment.timestamp() * 1_000_000)
    return f"{_MAX_TICKS - micros:020d}"


def _chunks(items: Sequence[Any], size: int = BATCH_LIMIT) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _key(value: str) -> str:
    """Row/partition keys may not hold / \\ # ? or control characters."""
    bad = set("/\\#?") | {chr(c) for c in range(32)}
    if any(ch in bad for ch in value):
        raise ValueError(f"{value!r} cannot be a Table Storage key")
    return value


class TableState:
    """The product's memory. Create with `from_connection_string` or `from_endpoint`; call `open()`."""

    def __init__(self, service: TableServiceClient, *, prefix: str) -> None:
        self._service = service
        self._prefix = prefix
        self._tables: dict[str, TableClient] = {}
        self.audit_log: AuditLog | None = None

    @classmethod
    def from_connection_string(
        cls, connection_string: str, *, prefix: str, **client_options: Any
    ) -> TableState:
        """`client_options` go to the SDK client (e.g. `transport=`, to observe every call)."""
        return cls(
            TableServiceClient.from_connection_string(connection_string, **client_options), prefix=prefix
        )

    @classmethod
    def from_endpoint(
        cls, endpoint: str, *, credential: Any, prefix: str, **client_options: Any
    ) -> TableState:
        return cls(
            TableServiceClient(endpoint=endpoint, credential=credential, **client_options), prefix=prefix
        )

    async def open(self) -> TableState:
        from provisioning.state.audit_log import AuditLog  # the audit log shares this client

        for name in ("links", "state", "members", "audit", "cycles"):
            table = self._prefix + name
            self._tables[name] = await self._service.create_table_if_not_exists(table)
        self.audit_log = await AuditLog(self._service, prefix=self._prefix).open()
        return self

    async def close(self) -> None:
        for table in self._tables.values():
            await table.close()
        if self.audit_log is not None:
            await self.audit_log.close()  # closes the shared service client too
        else:
            await self._service.close()

    async def __aenter__(self) -> TableState:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _t(self, name: str) -> TableClient:
        try:
            return self._tables[name]
        except KeyError:
            raise RuntimeError("TableState.open() was not called") from None

    async def _submit(self, table: str, operations: Sequence[tuple[str, dict[str, Any]]]) -> None:
        by_partition: dict[str, list[Any]] = {}
        for op in operations:
            by_partition.setdefault(op[1]["PartitionKey"], []).append(op)
        for ops in by_partition.values():
            for chunk in _chunks(ops):
                await self._t(table).submit_transaction(list(chunk))

    # links ---------------------------------------------------------------------------------------

    async def get_link(self, source_id: str, *, object_type: ObjectType = ObjectType.USER) -> Link | None:
        try:
            entity = await self._t("links").get_entity(object_type.value, _key(source_id))
        except ResourceNotFoundError:
            return None
        return _link_from_entity(entity)

    async def get_links(
        self, source_ids: Iterable[str], *, object_type: ObjectType = ObjectType.USER
    ) -> dict[str, Link]:
        gate = asyncio.Semaphore(_READ_CONCURRENCY)

        async def one(source_id: str) -> Link | None:
            async with gate:
                return await self.get_link(source_id, object_type=object_type)

        found = await asyncio.gather(*(one(i) for i in set(source_ids)))
        return {link.source_id: link for link in found if link is not None}

    async def list_links(self, *, object_type: ObjectType = ObjectType.USER) -> AsyncIterator[Link]:
        query = self._t("links").query_entities("PartitionKey eq @pk", parameters={"pk": object_type.value})
        async for entity in query:
            yield _link_from_entity(entity)

    async def upsert_links(self, links: Sequence[Link]) -> None:
        await self._submit("links", [("upsert", _link_to_entity(link)) for link in links])

    async def delete_links(
        self, source_ids: Sequence[str], *, object_type: ObjectType = ObjectType.USER
    ) -> None:
        for source_id in source_ids:
            await self._t("links").delete_entity(object_type.value, _key(source_id))

    # watermarks ----------------------------------------------------------------------------------

    async def get_watermark(self, name: str) -> str | None:
        try:
            entity = await self._t("state").get_entity("watermark", _key(name))
        except ResourceNotFoundError:
            return None
        return str(entity["Link"]) if entity.get("Link") else None

    async def set_watermark(self, name: str, link: str | None) -> None:
        if link is None:
            await self._t("state").delete_entity("watermark", _key(name))
            return
        entity = {"PartitionKey": "watermark", "RowKey": _key(name), "Link": link, "Updated": _now()}
        await self._t("state").upsert_entity(entity)

    # the last assignment list --------------------------------------------------------------------

    async def list_assignments(self) -> list[Assignment]:
        query = self._t("state").query_entities("PartitionKey eq 'assignment'")
        return [
            Assignment(
                id=e["RowKey"],
                principal_id=e["PrincipalId"],
                principal_type=e["PrincipalType"],
                app_role_id=e["AppRoleId"],
                principal_display_name=e.get("PrincipalDisplayName") or None,
            )
            async for e in query
        ]

    async def replace_assignments(self, old: Iterable[Assignment], new: Iterable[Assignment]) -> None:
        new_by_id = {a.id: a for a in new}
        ops: list[Any] = [
            ("delete", {"PartitionKey": "assignment", "RowKey": _key(a.id)})
            for a in old
            if a.id not in new_by_id
        ]
        old_by_id = {a.id: a for a in old}
        for a in new_by_id.values():
            if old_by_id.get(a.id) != a:
                entity = {
                    "PartitionKey": "assignment",
                    "RowKey": _key(a.id),
                    "PrincipalId": a.principal_id,
                    "PrincipalType": a.principal_type,
                    "AppRoleId": a.app_role_id,
                    "PrincipalDisplayName": a.principal_display_name or "",
                }
                ops.append(("upsert", entity))
        await self._submit("state", ops)

    # members of assigned groups ------------------------------------------------------------------

    async def list_members(self, group_ids: Iterable[str]) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        for group_id in group_ids:
            query = self._t("members").query_entities(
                "PartitionKey eq @pk", parameters={"pk": _key(group_id)}, select=["RowKey"]
            )
            result[group_id] = {e["RowKey"] async for e in query}
        return result

    async def update_members(
        self, *, added: Mapping[str, Iterable[str]], removed: Mapping[str, Iterable[str]]
    ) -> None:
        ops: list[Any] = []
        for group_id, users in added.items():
            ops.extend(("upsert", {"PartitionKey": _key(group_id), "RowKey": _key(u)}) for u in users)
        await self._submit("members", ops)
        for group_id, users in removed.items():
            for user_id in users:
                with contextlib.suppress(ResourceNotFoundError):
                    await self._t("members").delete_entity(_key(group_id), _key(user_id))

    async def drop_members(self, group_id: str) -> None:
        members = await self.list_members([group_id])
        ops: list[Any] = [("delete", {"PartitionKey": group_id, "RowKey": u}) for u in members[group_id]]
        await self._submit("members", ops)

    # retry list: objects whose last attempt failed, re-tried in later cycles -----------------------

    async def list_retries(self) -> dict[str, dict[str, Any]]:
        query = self._t("state").query_entities("PartitionKey eq 'retry'")
        return {e["RowKey"]: dict(e) async for e in query}

    async def record_failures(self, failures: Mapping[str, str], *, now: datetime | None = None) -> None:
        """Climb each object's retry ladder: next cycle, then ~6, 12, 24, 48, 96, 168 h, then give up."""
        moment = now or datetime.now(UTC)
        existing = await self.list_retries()
        ops: list[Any] = []
        for source_id, error in failures.items():
            attempts = int(existing.get(source_id, {}).get("Attempts", 0)) + 1
            given_up = attempts > len(RETRY_LADDER_HOURS)
            wait = timedelta(hours=RETRY_LADDER_HOURS[min(attempts, len(RETRY_LADDER_HOURS)) - 1])
            entity = {
                "PartitionKey": "retry",
                "RowKey": _key(source_id),
                "Attempts": attempts,
                "Error": error[:1000],
                "LastFailure": moment.isoformat(),
                "NextAttempt": (moment + wait).isoformat(),
                "GivenUp": given_up,
            }
            ops.append(("upsert", entity))
        await self._submit("state", ops)

    async def due_retries(self, *, now: datetime | None = None) -> set[str]:
        """Objects whose next rung has come; given-up objects wait for on-demand provisioning or restart."""
        moment = (now or datetime.now(UTC)).isoformat()
        return {
            source_id
            for source_id, row in (await self.list_retries()).items()
            if not row.get("GivenUp") and str(row.get("NextAttempt", "")) <= moment
        }

    async def clear_retries(self, source_ids: Iterable[str]) -> None:
        existing = await self.list_retries()
        ops: list[Any] = [
            ("delete", {"PartitionKey": "retry", "RowKey": i}) for i in set(source_ids) if i in existing
        ]
        await self._submit("state", ops)

    # control rows: quarantine, checkpoint, lease ----------------------------------------------------

    async def get_control(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(await self._t("state").get_entity("control", _key(name)))
        except ResourceNotFoundError:
            return None

    async def set_control(self, name: str, values: Mapping[str, Any]) -> None:
        entity = {"PartitionKey": "control", "RowKey": _key(name), **values, "Updated": _now()}
        await self._t("state").upsert_entity({k: v for k, v in entity.items() if v is not None})

    async def delete_control(self, name: str) -> None:
        await self._t("state").delete_entity("control", _key(name))

    async def acquire_lease(self, holder: str, *, seconds: float, now: datetime | None = None) -> bool:
        """Single flight: take (or renew) the lease row unless another live holder has it.

        Creation is guarded by uniqueness, takeover of an expired lease by the row's ETag, so two
        instances racing for it cannot both win; a crashed holder's lease simply expires.
        """
        moment = now or datetime.now(UTC)
        row = {
            "PartitionKey": "control",
            "RowKey": "lease",
            "Holder": holder,
            "Expires": (moment + timedelta(seconds=seconds)).isoformat(),
        }
        table = self._t("state")
        try:
            current = await table.get_entity("control", "lease")
        except ResourceNotFoundError:
            try:
                await table.create_entity(row)
                return True
            except ResourceExistsError:
                return False
        if current.get("Holder") != holder and str(current.get("Expires", "")) > moment.isoformat():
            return False
        try:
            await table.update_entity(
                row,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    async def release_lease(self, holder: str) -> None:
        table = self._t("state")
        try:
            current = await table.get_entity("control", "lease")
        except ResourceNotFoundError:
            return
        if current.get("Holder") == holder:
            with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
                await table.delete_entity(
                    "control",
                    "lease",
                    etag=current.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )

    # operations held back: staged (awaiting an admin) or pending (carried over a checkpoint) --------

    async def add_held_operations(self, kind: str, rows: Sequence[Mapping[str, Any]]) -> None:
        ops = [
            ("upsert", {**row, "PartitionKey": _key(kind), "RowKey": _key(str(row["SourceId"]))})
            for row in rows
        ]
        await self._submit("state", ops)

    async def list_held_operations(self, kind: str) -> list[dict[str, Any]]:
        query = self._t("state").query_entities("PartitionKey eq @pk", parameters={"pk": _key(kind)})
        return [dict(e) async for e in query]

    async def clear_held_operations(self, kind: str) -> None:
        rows = await self.list_held_operations(kind)
        await self._submit("state", [("delete", {"PartitionKey": kind, "RowKey": r["RowKey"]}) for r in rows])

    # audit records and cycles --------------------------------------------------------------------

    async def add_audit_records(self, records: Sequence[AuditRecord]) -> None:
        """Through the audit log, so each record is also indexed by its Entra id."""
        if self.audit_log is None:
            raise RuntimeError("TableState.open() was not called")
        await self.audit_log.add(records)

    async def list_audit_records(self, cycle_id: str) -> list[AuditRecord]:
        query = self._t("audit").query_entities("PartitionKey eq @pk", parameters={"pk": _key(cycle_id)})
        return [_audit_from_entity(e) async for e in query]

    async def upsert_cycle(self, cycle: CycleRecord) -> None:
        started = datetime.fromisoformat(cycle.started)
        entity: dict[str, Any] = {
            "PartitionKey": "cycle",
            "RowKey": f"{inverted_ticks(started)}_{cycle.id}",
            **{k: v for k, v in asdict(cycle).items() if v is not None and k != "counts"},
            "counts": json.dumps(cycle.counts, sort_keys=True),
        }
        await self._t("cycles").upsert_entity(entity)

    async def list_cycles(self, *, limit: int = 20) -> list[CycleRecord]:
        query = self._t("cycles").query_entities("PartitionKey eq 'cycle'", results_per_page=limit)
        found: list[CycleRecord] = []
        async for e in query:
            data = {k: v for k, v in e.items() if k not in ("PartitionKey", "RowKey")}
            data["counts"] = json.loads(data.get("counts") or "{}")
            found.append(CycleRecord(**data))
            if len(found) >= limit:
                break
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _link_to_entity(link: Link) -> dict[str, Any]:
    return {
        "PartitionKey": link.object_type.value,
        "RowKey": _key(link.source_id),
        "TargetId": link.target_id,
        "Active": link.active,
        "Written": json.dumps(link.written, sort_keys=True),
        "Source": json.dumps(link.source, sort_keys=True),
        "Updated": _now(),
    }


def _link_from_entity(entity: Mapping[str, Any]) -> Link:
    return Link(
        source_id=entity["RowKey"],
        target_id=entity["TargetId"],
        active=bool(entity["Active"]),
        written=json.loads(entity.get("Written") or "{}"),
        source=json.loads(entity.get("Source") or "{}"),
        object_type=ObjectType(entity["PartitionKey"]),
    )


def _audit_to_entity(record: AuditRecord) -> dict[str, Any]:
    moment = datetime.fromisoformat(record.activity_date_time)
    data = asdict(record)
    data["modified_properties"] = json.dumps([asdict(p) for p in record.modified_properties])
    data["status"] = record.status.value
    data["object_type"] = record.object_type.value
    entity = {k: v for k, v in data.items() if v is not None}
    entity["PartitionKey"] = _key(record.cycle_id)
    entity["RowKey"] = f"{inverted_ticks(moment)}_{record.change_id}"
    return entity


def _audit_from_entity(entity: Mapping[str, Any]) -> AuditRecord:
    data = {k: v for k, v in entity.items() if k not in ("PartitionKey", "RowKey")}
    data["modified_properties"] = tuple(
        ModifiedProperty(**p) for p in json.loads(data["modified_properties"])
    )
    data["status"] = AuditStatus(data["status"])
    data["object_type"] = ObjectType(data["object_type"])
    return AuditRecord(**data)
