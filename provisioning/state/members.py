"""The packed layout of the members table: each group's direct members in a few bucket rows.

Why: one row per (group, member) made an incremental cycle read every member of every assigned
group before its first GoTo request (20,000 rows for 10,000 users in 10 groups, 0.9-2.2 s on
Azurite) and an initial cycle write as many (200 transactions, a third of all Table calls).

Layout, in the group's partition (PartitionKey = group id):
- a member belongs to bucket `crc32(id) % BUCKETS` (zlib.crc32: stable across processes and
  versions, unlike hash()). 64 buckets: a group's whole set of bucket rows is at most 64
  operations, so it fits one transaction (≤ 100) and a group's write is atomic while its members
  fit 4 MiB (about 100,000 GUIDs); a 2,000-member group is 64 rows of ~31 ids, read in one page;
  a 500,000-member group is 64 rows of ~7,800 ids (290 KB each), so one changed member rewrites
  290 KB, not the group.
- a bucket is one row, RowKey `~bXX` (XX: the bucket in hex), plus spill rows `~bXX.1`, `~bXX.2`
  when it outgrows one entity. Its ids, sorted, joined by "/" (which a key-valid id cannot hold),
  fill the string properties M0, M1, ... `~` cannot start an Entra object id (a GUID), so a RowKey
  tells a packed row from a legacy row-per-member row (RowKey = the member's id).

Table Storage's limits (learn.microsoft.com: "Understanding the Table service data model",
"Performing entity group transactions", "Scalability targets for Table Storage"):
- a String property is UTF-16, at most 64 KiB: 32,768 code units. We fill 32,000.
- an entity is at most 1 MiB, with at most 252 custom properties (255 with PartitionKey, RowKey,
  Timestamp). We write at most 14 properties: 14 x 64,000 bytes = 0.85 MiB.
- a transaction is one partition, at most 100 operations (one per entity) and 4 MiB of payload.
  We send at most 3,500,000 bytes of entity JSON plus 1 KB per operation for its headers.
So one row holds 14 x 864 = 12,096 GUIDs, a bucket any number of rows, and a group up to the
size where one bucket's rows pass one transaction (~94,000 GUIDs a bucket: ~6 million members a
group); beyond that a write raises StorageError naming the group, rather than split a bucket
across transactions (a crash between them could resurrect removed members).

Migration from the row-per-member layout: a bucket with a row of its own is authoritative for its
ids; legacy rows count only for buckets without one. The first write to a group writes a row for
every bucket that holds a legacy member (an empty row where all of them left), then deletes the
legacy rows: a crash between the two leaves every legacy row shadowed, so a removal is not undone,
and the next write deletes the leftovers (and then the empty rows).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azure.data.tables import UpdateMode

from provisioning.errors import StorageError

BUCKETS = 64
SEPARATOR = "/"
PROPERTY_UNITS = 32_000  # UTF-16 code units per string property (≤ 32,768 = 64 KiB)
PROPERTIES_PER_ROW = 14  # 14 x 64,000 bytes + names and keys < 1 MiB per entity
BATCH_OPERATIONS = 100
BATCH_BYTES = 3_500_000  # entity JSON per transaction (≤ 4 MiB with the multipart headers)
OPERATION_BYTES = 1_000  # a sub-request's headers and URL, counted generously

_PACKED = re.compile(r"~b([0-9a-f]{2})(?:\.([1-9][0-9]*))?")
_PROPERTY = re.compile(r"M[0-9]+")
_REPLACE: Mapping[str, Any] = {"mode": UpdateMode.REPLACE}  # a shrunk row loses its old properties

Operation = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], Mapping[str, Any]]


def bucket_of(member_id: str) -> int:
    return zlib.crc32(member_id.encode("utf-8")) % BUCKETS


def row_key(bucket: int, chunk: int = 0) -> str:
    return f"~b{bucket:02x}" + (f".{chunk}" if chunk else "")


def packed_bucket(key: str) -> int | None:
    """The bucket a packed row's RowKey names; None for a legacy row (RowKey = member id)."""
    match = _PACKED.fullmatch(key)
    return None if match is None else int(match.group(1), 16)


def _units(text: str) -> int:
    """UTF-16 code units: what Table Storage counts a string's size in."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _wire(text: str) -> int:
    """Bytes of `text` in the request's JSON (the SDK escapes what is not ASCII)."""
    return len(text) if text.isascii() else len(json.dumps(text)) - 2


def encode_bucket(members: Iterable[str]) -> list[dict[str, str]]:
    """One bucket's ids as the properties of its rows (chunk 0, 1, ...); [] for no member."""
    rows: list[dict[str, str]] = []
    values: list[str] = []
    current: list[str] = []
    used = 0
    for member in sorted(members):
        size = _units(member) + 1
        if current and used + size > PROPERTY_UNITS:
            values.append(SEPARATOR.join(current))
            current, used = [], 0
            if len(values) == PROPERTIES_PER_ROW:
                rows.append({f"M{i}": v for i, v in enumerate(values)})
                values = []
        current.append(member)
        used += size
    if current:
        values.append(SEPARATOR.join(current))
    if values:
        rows.append({f"M{i}": v for i, v in enumerate(values)})
    return rows


def member_properties(entity: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in entity.items() if _PROPERTY.fullmatch(k) and v}


def decode_row(properties: Mapping[str, str]) -> list[str]:
    return [m for value in properties.values() for m in value.split(SEPARATOR) if m]


@dataclass
class GroupRows:
    """One group's partition as read: legacy member rows and packed rows by bucket."""

    legacy: set[str] = field(default_factory=set)
    packed: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict)  # bucket -> RowKey -> M*

    @classmethod
    def of(cls, entities: Iterable[Mapping[str, Any]]) -> GroupRows:
        rows = cls()
        for entity in entities:
            key = str(entity["RowKey"])
            bucket = packed_bucket(key)
            if bucket is None:
                rows.legacy.add(key)
            else:
                rows.packed.setdefault(bucket, {})[key] = member_properties(entity)
        return rows

    def bucket_members(self, bucket: int) -> set[str]:
        if bucket in self.packed:
            return {m for props in self.packed[bucket].values() for m in decode_row(props)}
        return {m for m in self.legacy if bucket_of(m) == bucket}

    def members(self) -> set[str]:
        """Packed rows, and legacy rows of the buckets that have none (see the module's note)."""
        found = {m for rows in self.packed.values() for props in rows.values() for m in decode_row(props)}
        found.update(m for m in self.legacy if bucket_of(m) not in self.packed)
        return found

    def row_keys(self) -> list[str]:
        return sorted(self.legacy) + sorted(k for rows in self.packed.values() for k in rows)


def _by_bucket(ids: Iterable[str]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for member in ids:
        found.setdefault(bucket_of(member), set()).add(member)
    return found


def _batches(
    units: Sequence[tuple[list[Operation], int]], group_id: str, *, limit: int = BATCH_OPERATIONS
) -> list[list[Operation]]:
    """Transactions of whole units (a bucket's operations stay together), ≤ 100 ops and ≤ BATCH_BYTES."""
    batches: list[list[Operation]] = []
    current: list[Operation] = []
    size = 0
    for ops, nbytes in units:
        if len(ops) > limit or nbytes > BATCH_BYTES:
            raise StorageError(
                f"group {group_id} has more members than the members table can hold "
                f"(one of its {BUCKETS} buckets needs {nbytes:,} bytes in one transaction)",
                hint="the packed layout holds about 6 million members per group",
            )
        if current and (len(current) + len(ops) > limit or size + nbytes > BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.extend(ops)
        size += nbytes
    if current:
        batches.append(current)
    return batches


@dataclass
class WritePlan:
    """A group's write: the bucket transactions first, then the deletes of its legacy rows."""

    buckets: list[list[Operation]]
    legacy: list[list[Operation]]


def plan_write(partition: str, rows: GroupRows, added: Iterable[str], removed: Iterable[str]) -> WritePlan:
    """Rewrite the buckets that change: (stored | added) - removed, as the row-per-member layout
    upserted the added rows before deleting the removed ones."""
    adds, gone = _by_bucket(added), _by_bucket(removed)
    legacy_buckets = set(_by_bucket(rows.legacy))
    consider = set(adds) | set(gone) | legacy_buckets
    if not rows.legacy:  # empty rows only shadow legacy rows: gone with the last of them
        consider |= {b for b, found in rows.packed.items() if not any(found.values())}
    units: list[tuple[list[Operation], int]] = []
    for bucket in sorted(consider):
        members = (rows.bucket_members(bucket) | adds.get(bucket, set())) - gone.get(bucket, set())
        wanted = {row_key(bucket, i): props for i, props in enumerate(encode_bucket(members))}
        if not wanted and rows.legacy and bucket in legacy_buckets:
            wanted = {row_key(bucket): {}}  # shadows the bucket's legacy rows until they are deleted
        present = rows.packed.get(bucket, {})
        ops: list[Operation] = []
        nbytes = 0
        for key, props in wanted.items():
            if present.get(key) != props:
                ops.append(("upsert", {"PartitionKey": partition, "RowKey": key, **props}, _REPLACE))
                nbytes += OPERATION_BYTES + sum(_wire(v) + len(k) + 6 for k, v in props.items())
        for key in present:
            if key not in wanted:
                ops.append(("delete", {"PartitionKey": partition, "RowKey": key}))
                nbytes += OPERATION_BYTES
        if ops:
            units.append((ops, nbytes))
    legacy: list[Operation] = [
        ("delete", {"PartitionKey": partition, "RowKey": key}) for key in sorted(rows.legacy)
    ]
    return WritePlan(
        buckets=_batches(units, partition),
        legacy=[legacy[i : i + BATCH_OPERATIONS] for i in range(0, len(legacy), BATCH_OPERATIONS)],
    )
