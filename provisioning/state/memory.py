"""TableState in memory: the same public methods with the same semantics, for fast engine tests.

`MemoryState` is TableState itself over an in-memory entity store, so every method, the lease and
the held operations behave as on Table Storage by construction; what is emulated here is only
the entity level, as Table Storage does it: upserts merge, a replace replaces, queries return
(PartitionKey, RowKey) order, ETags change on every write, a create of an existing row fails,
a guarded write of a changed row fails, deleting a missing row is a no-op. The subset of OData
$filter the product uses is evaluated (`prop op value` joined by `and`). tests/state/
test_store_conformance.py runs the same scenarios on Azurite and on memory.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from azure.data.tables import EdmType, EntityProperty, TableEntity, UpdateMode

from provisioning.state.tables import TableState
from provisioning.state.tablestore import (
    DEFAULT_RETRY,
    Operation,
    StorageTarget,
    Table,
    TableStore,
    partition_batches,
)

_INT32 = range(-(2**31), 2**31)
_CLAUSE = re.compile(
    r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(@\w+|'(?:[^']|'')*'|true|false|-?\d+(?:\.\d+)?)\s*$"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
Key = tuple[str, str]


def _stored(value: Any) -> Any:
    """A property as Table Storage hands it back: datetimes in UTC, Int64 as an EntityProperty. A
    plain int outside Int32 is refused, as the SDK refuses it (wrap it in EntityProperty)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT32:
        raise TypeError(f"{value} is too large to be cast to type {EdmType.INT32}.")
    if isinstance(value, EntityProperty) and value.edm_type == EdmType.INT64:
        return EntityProperty(int(value.value), EdmType.INT64)
    return value


def _literal(text: str, parameters: Mapping[str, Any]) -> Any:
    if text.startswith("@"):
        return parameters[text[1:]]
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, EntityProperty) else value


def _clause(text: str, parameters: Mapping[str, Any]) -> tuple[str, Callable[[Any, Any], bool], Any]:
    match = _CLAUSE.match(text)
    if match is None:
        raise ValueError(f"the in-memory store cannot evaluate the filter clause {text!r}")
    name, op, token = match.groups()
    return name, _COMPARE[op], _literal(token, parameters)


def _holds(entity: Mapping[str, Any], name: str, compare: Callable[[Any, Any], bool], expected: Any) -> bool:
    if name not in entity:
        return False
    actual = _plain(entity[name])
    if type(actual) is not type(expected) and not (
        isinstance(actual, int | float) and isinstance(expected, int | float)
    ):
        return False  # Table Storage compares like with like only
    return bool(compare(actual, expected))


def compile_filter(
    query_filter: str, parameters: Mapping[str, Any] | None
) -> Callable[[Mapping[str, Any]], bool]:
    """The product's $filter subset: `prop op value` clauses joined by `and`, any of which may be a
    parenthesised `or` of such clauses; anything else is refused loudly (so a new query is noticed)."""
    values = parameters or {}
    groups = []  # each: clauses of which one must hold (a plain clause is a group of one)
    for text in re.split(r"\s+and\s+(?![^(]*\))", query_filter.strip()) if query_filter.strip() else []:
        text = text.strip()
        if text.startswith("(") and text.endswith(")"):
            groups.append([_clause(t, values) for t in re.split(r"\s+or\s+", text[1:-1].strip())])
        else:
            groups.append([_clause(text, values)])

    def test(entity: Mapping[str, Any]) -> bool:
        return all(any(_holds(entity, *clause) for clause in group) for group in groups)

    return test


class _Rows:
    """One table's rows and their ETags."""

    def __init__(self) -> None:
        self.rows: dict[Key, dict[str, Any]] = {}
        self.etags: dict[Key, str] = {}


class MemoryStore(TableStore):
    """TableStore's interface over dictionaries; nothing fails transiently, nothing needs a retry."""

    def __init__(self) -> None:  # no service client
        self.target = StorageTarget("memory", "memory", "key")
        self.retry = DEFAULT_RETRY
        self._call_options = {}
        self._data: dict[str, _Rows] = {}
        self._memory_tables: dict[str, MemoryTable] = {}
        self._versions = itertools.count(1)

    def table(self, name: str) -> Table:
        if name not in self._memory_tables:
            self._memory_tables[name] = MemoryTable(self, name, self._data.setdefault(name, _Rows()))
        return self._memory_tables[name]

    async def open_tables(self, names: Iterable[str]) -> None:
        for name in names:
            self._data.setdefault(name, _Rows())

    async def close(self) -> None:
        """The data stays: a MemoryState may be opened again (like reconnecting to storage)."""

    def next_etag(self) -> str:
        return f'W/"memory-{next(self._versions)}"'


class MemoryTable(Table):
    """Table's methods with Table Storage's entity semantics, on a dictionary."""

    def __init__(self, store: MemoryStore, name: str, rows: _Rows) -> None:  # no SDK client
        self._memory = store
        self._rows = rows
        self.name = name

    def _entity(self, key: Key, select: list[str] | None = None) -> TableEntity:
        row = self._rows.rows[key]
        entity = TableEntity({k: v for k, v in row.items() if select is None or k in select})
        entity._metadata = {"etag": self._rows.etags[key], "timestamp": row.get("__written")}
        entity.pop("__written", None)
        return entity

    def _write(self, entity: Mapping[str, Any], *, merge: bool) -> str:
        key = (str(entity["PartitionKey"]), str(entity["RowKey"]))
        values = {k: _stored(v) for k, v in entity.items()}
        previous = self._rows.rows.get(key, {}) if merge else {}
        self._rows.rows[key] = {**previous, **values, "__written": datetime.now(UTC)}
        self._rows.etags[key] = etag = self._memory.next_etag()
        return etag

    async def get(
        self, partition_key: str, row_key: str, *, select: list[str] | None = None
    ) -> TableEntity | None:
        key = (partition_key, row_key)
        return self._entity(key, select) if key in self._rows.rows else None

    async def query(
        self,
        query_filter: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        select: list[str] | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[TableEntity]:
        test = compile_filter(query_filter, parameters)
        for key in _candidates(self._rows.rows, query_filter, parameters or {}):
            if key in self._rows.rows and test(self._rows.rows[key]):
                yield self._entity(key, select)

    async def upsert(self, entity: Mapping[str, Any], *, mode: UpdateMode = UpdateMode.MERGE) -> None:
        self._write(entity, merge=mode == UpdateMode.MERGE)

    async def delete(self, partition_key: str, row_key: str) -> None:
        self._rows.rows.pop((partition_key, row_key), None)
        self._rows.etags.pop((partition_key, row_key), None)

    async def create(self, entity: Mapping[str, Any]) -> str | None:
        if (str(entity["PartitionKey"]), str(entity["RowKey"])) in self._rows.rows:
            return None
        return self._write(entity, merge=False)

    async def replace_if(self, entity: Mapping[str, Any], etag: str) -> str | None:
        key = (str(entity["PartitionKey"]), str(entity["RowKey"]))
        if self._rows.etags.get(key) != etag:
            return None
        return self._write(entity, merge=False)

    async def delete_if(self, partition_key: str, row_key: str, etag: str) -> bool:
        key = (partition_key, row_key)
        if key not in self._rows.rows:
            return True
        if self._rows.etags.get(key) != etag:
            return False
        await self.delete(partition_key, row_key)
        return True

    async def submit(self, operations: Sequence[Operation], **_: Any) -> None:
        for batch in partition_batches(operations):
            for op in batch:
                kind, entity = op[0], op[1]
                options: Mapping[str, Any] = op[2] if len(op) > 2 else {}
                if kind == "delete":
                    await self.delete(str(entity["PartitionKey"]), str(entity["RowKey"]))
                elif kind == "upsert":
                    self._write(entity, merge=options.get("mode", UpdateMode.MERGE) == UpdateMode.MERGE)
                else:
                    raise ValueError(f"the in-memory store does not take {kind!r} in a transaction")


def _candidates(rows: Mapping[Key, Any], query_filter: str, parameters: Mapping[str, Any]) -> list[Key]:
    """The keys a filter can match, in key order: looked up when it names its partition and row keys
    (`PartitionKey eq … and ( RowKey eq … or … )`, how links are read a page at a time), else all."""
    pinned = re.fullmatch(r"\s*PartitionKey eq (@\w+)\s+and\s+\((.*)\)\s*", query_filter)
    if pinned is not None:
        tokens = re.fullmatch(r"RowKey eq @\w+(?:\s+or\s+RowKey eq @\w+)*", pinned.group(2).strip())
        if tokens is not None:
            partition = str(parameters[pinned.group(1)[1:]])
            row_keys = {str(parameters[t[1:]]) for t in re.findall(r"@\w+", pinned.group(2))}
            return sorted(k for k in ((partition, r) for r in row_keys) if k in rows)
    return sorted(rows)


class MemoryState(TableState):
    """TableState over memory. `open()`/`close()` as usual; the data lives as long as the object."""

    def __init__(self, *, prefix: str = "mem") -> None:
        super().__init__(MemoryStore(), prefix=prefix)
