"""PlannedOperations: a dry run's plan, every operation of it, in memory flat in its size.

A dry run hands back every operation it planned (the CLI prints the first ones, `--json` all of
them). Kept as a list, a 100,000-user preview held ~1.5 KB per user for the whole cycle. Here the
first `in_memory` operations stay in a list and the rest are pickled, a chunk at a time, into an
anonymous temporary file that goes away with the object; reading them back yields the same
operations in the same order.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import IO, Any, overload

from provisioning.engine.plan import Action, Change, Operation
from provisioning.model import ObjectType

IN_MEMORY = 1_000  # operations kept as objects (what the CLI shows comes from these)
CHUNK = 500  # operations pickled together: one write, one read


_FIELDS = tuple(f.name for f in fields(Operation))
_CHANGES = _FIELDS.index("changes")


_fields_of = attrgetter(*_FIELDS)


def _pack(op: Operation) -> tuple[Any, ...]:
    """Plain tuples pickle several times faster than slotted dataclasses (their getstate/setstate
    call dataclasses.fields() per object); attrgetter reads the fields in C."""
    values = list(_fields_of(op))
    values[_CHANGES] = tuple([(c.path, c.old, c.new) for c in op.changes])
    return tuple(values)


def _unpack(values: tuple[Any, ...]) -> Operation:
    fields_ = list(values)
    fields_[_CHANGES] = tuple(Change(*c) for c in values[_CHANGES])
    return Operation(*fields_)


class PlannedOperations(Sequence[Operation]):
    """Append-only, ordered; `len`, iteration, indexing and slicing read the spilled part back."""

    def __init__(self, operations: Iterable[Operation] = (), *, in_memory: int | None = None) -> None:
        self._head: list[Operation] = []
        self._pending: list[Operation] = []  # spilled, not yet written
        self._chunks: list[tuple[int, int]] = []  # (offset, length) of each pickled chunk in the file
        self._spilled = 0
        self._file: IO[bytes] | None = None
        self._in_memory = IN_MEMORY if in_memory is None else in_memory
        self.user_creates: set[str] = set()  # users it would create (the group phase asks, per dry run)
        self.extend(operations)

    def append(self, operation: Operation) -> None:
        if operation.action is Action.CREATE and operation.object_type is ObjectType.USER:
            self.user_creates.add(operation.source_id)
        if len(self._head) < self._in_memory:
            self._head.append(operation)
            return
        self._pending.append(operation)
        self._spilled += 1
        if len(self._pending) >= CHUNK:
            self._write()

    def extend(self, operations: Iterable[Operation]) -> None:
        for operation in operations:
            self.append(operation)

    def _write(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the plan
        data = pickle.dumps([_pack(op) for op in self._pending], protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, 2)
        self._chunks.append((self._file.tell(), len(data)))
        self._file.write(data)
        self._pending = []

    def _read_spilled(self) -> Iterator[Operation]:
        if self._file is not None:
            for offset, length in list(self._chunks):
                self._file.seek(offset)
                chunk: list[tuple[Any, ...]] = pickle.loads(self._file.read(length))  # noqa: S301 - our own file
                yield from map(_unpack, chunk)
        yield from list(self._pending)

    def __len__(self) -> int:
        return len(self._head) + self._spilled

    def __iter__(self) -> Iterator[Operation]:
        yield from list(self._head)
        yield from self._read_spilled()

    @overload
    def __getitem__(self, index: int) -> Operation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Operation]: ...
    def __getitem__(self, index: int | slice) -> Operation | list[Operation]:
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self))
            if index.step in (None, 1) and stop <= len(self._head):
                return self._head[start:stop]  # what the CLI prints: no read back
            return list(self)[index]
        if 0 <= index < len(self._head):
            return self._head[index]
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PlannedOperations({len(self)} operations, {self._spilled} spilled)"

    def __del__(self) -> None:
        if self._file is not None:
            self._file.close()

    def __getstate__(self) -> dict[str, Any]:  # a copy carries the operations, not the file
        return {"operations": list(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["operations"])  # type: ignore[misc]
