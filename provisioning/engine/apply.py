"""Apply planned operations to GoTo: match-or-create, adopt on conflict, relink on a vanished account.

Each operation ends as an `Outcome` (what happened, what GoTo now holds); errors that concern one
object become failures of that object, while bad credentials stop the run (UnauthorizedError is
re-raised). Concurrency is bounded here; the request rate is bounded in the SCIM client.

When an operation raises, `apply_operations` still awaits every operation in flight (their writes
happened and need audit records), starts no new one, and re-raises the first exception with the
finished outcomes attached: `finished_outcomes(exc)` reads them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from provisioning.engine.plan import Action, Operation
from provisioning.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    TargetError,
    TransientError,
    UnauthorizedError,
)
from provisioning.mapping.attributes import UserMapping
from provisioning.model import AuditStatus


@dataclass(frozen=True, slots=True)
class TargetUser:
    """A GoTo account as the engine sees it: its id and its values keyed by SCIM path."""

    id: str
    values: Mapping[str, Any]


class UserTarget(Protocol):
    """What the engine needs from GoTo; `target.scim_users.ScimUserTarget` implements it over SCIM."""

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None: ...
    async def create_user(self, values: Mapping[str, Any]) -> TargetUser: ...
    async def update_user(
        self, target_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> None:
        """`current`: the account's values by path as known now (read, or last written), None if unknown."""
        ...

    async def delete_user(self, target_id: str) -> bool: ...


@dataclass(slots=True)
class Outcome:
    operation: Operation
    status: AuditStatus
    action: str  # the provisioningAction recorded: create | update | disable | delete | other
    target_id: str | None = None
    written: dict[str, Any] = field(default_factory=dict)  # values GoTo now holds for the mapped paths
    note: str | None = None  # e.g. "adopted an existing GoTo account"
    error_code: str | None = None
    error_reason: str | None = None
    recommended_action: str | None = None
    duration_ms: int = 0

    @property
    def failed(self) -> bool:
        return self.status is AuditStatus.FAILURE


async def apply_operation(op: Operation, target: UserTarget, mapping: UserMapping) -> Outcome:
    started = time.perf_counter()
    try:
        outcome = await _apply(op, target, mapping)
    except UnauthorizedError:
        raise
    except TargetError as exc:
        outcome = _failure(op, exc)
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    return outcome


async def apply_operations(
    operations: Iterable[Operation],
    target: UserTarget,
    mapping: UserMapping,
    *,
    concurrency: int,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run operations with at most `concurrency` in flight; one object's failure never blocks others.

    An exception (bad credentials, a bug) stops new operations from starting, waits for those in
    flight, and is re-raised carrying every finished Outcome (`finished_outcomes(exc)`, input order).
    """
    gate = asyncio.Semaphore(concurrency)
    stopped: list[BaseException] = []

    async def run(op: Operation) -> Outcome | None:
        async with gate:
            if stopped:
                return None
            try:
                outcome = await apply_operation(op, target, mapping)
            except Exception as exc:
                stopped.append(exc)
                raise
        if on_done is not None:
            on_done(outcome)
        return outcome

    results = await asyncio.gather(*(run(op) for op in operations), return_exceptions=True)
    finished = [r for r in results if isinstance(r, Outcome)]
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        first = stopped[0] if stopped else failures[0]
        setattr(first, _FINISHED, finished)
        raise first
    return finished


_FINISHED = "finished_outcomes"


def finished_outcomes(exc: BaseException) -> list[Outcome]:
    """The outcomes of the operations that finished before `exc` stopped `apply_operations`."""
    found = getattr(exc, _FINISHED, None)
    return list(found) if isinstance(found, list) else []


async def _apply(op: Operation, target: UserTarget, mapping: UserMapping) -> Outcome:
    if op.action is Action.SKIP:
        return Outcome(op, AuditStatus.SKIPPED, "other")
    if op.action is Action.CREATE:
        return await _create_or_adopt(op, target, mapping)
    if op.action is Action.UPDATE:
        assert op.target_id is not None
        try:
            await target.update_user(op.target_id, op.values, current=_last_written(op))
        except NotFoundError:
            return await _create_or_adopt(
                op, target, mapping, note="the linked GoTo account was gone", look_first=True
            )
        return Outcome(op, AuditStatus.SUCCESS, "update", op.target_id, dict(op.desired))
    if op.action is Action.DISABLE:
        assert op.target_id is not None
        try:
            await target.update_user(op.target_id, {"active": False}, current=_last_written(op))
        except NotFoundError:
            return Outcome(op, AuditStatus.SUCCESS, "disable", op.target_id, note="GoTo account already gone")
        return Outcome(op, AuditStatus.SUCCESS, "disable", op.target_id, {"active": False})
    if op.action is Action.DELETE:
        assert op.target_id is not None
        existed = await target.delete_user(op.target_id)
        note = None if existed else "GoTo account already gone"
        return Outcome(op, AuditStatus.SUCCESS, "delete", op.target_id, note=note)
    raise ValueError(f"unknown action {op.action!r}")


def _last_written(op: Operation) -> dict[str, Any] | None:
    """What the engine last wrote for the changed paths (the link's record), None if it has none."""
    return {change.path: change.old for change in op.changes} if op.changes else None


async def _match(
    op: Operation, target: UserTarget, mapping: UserMapping
) -> tuple[TargetUser | None, str | None]:
    """Find an existing account by the matching attributes, in precedence order; first match wins."""
    for row in mapping.matching:
        value = op.desired.get(row.target)
        if value is None:
            continue
        found = await target.find_user(path=row.target, value=value)
        if found is not None:
            return found, row.target
    return None, None


async def _create_or_adopt(
    op: Operation,
    target: UserTarget,
    mapping: UserMapping,
    *,
    note: str | None = None,
    look_first: bool = False,
) -> Outcome:
    """Create, or adopt the account that already holds the matching value: never a duplicate.

    A first create goes straight to POST (one request per new user): GoTo refuses a duplicate
    userName with 409, and only then do we look the account up. `look_first` is for relinking,
    where an account probably exists.
    """
    desired = dict(op.desired)
    found, matched_on = await _match(op, target, mapping) if look_first else (None, None)
    if found is None:
        try:
            created = await target.create_user(desired)
            return Outcome(op, AuditStatus.SUCCESS, "create", created.id, desired, note=note)
        except ConflictError:
            found, matched_on = await _match(op, target, mapping)
            if found is None:
                raise
    adopted = f"adopted the existing GoTo account matched on {matched_on}"
    changed = {path: value for path, value in desired.items() if found.values.get(path) != value}
    if changed:  # from the state just read: a missing e-mail is added, not replaced (strict peers)
        await target.update_user(found.id, changed, current=found.values)
    return Outcome(
        op, AuditStatus.SUCCESS, "update", found.id, desired, note=f"{note}; {adopted}" if note else adopted
    )


_RECOMMENDED = {
    BadRequestError: "Fix the user's data in Entra ID (GoTo refused it: see the reason), e.g. verify the "
    "e-mail domain in GoTo Admin Center; the object is retried in later cycles.",
    ConflictError: "A GoTo account with the same matching value exists but could not be found to adopt; "
    "check GoTo Admin Center for a pending or foreign account with this user name.",
    TransientError: "GoTo was throttling or unavailable; the object is retried in the next cycle.",
    NotFoundError: "The GoTo account disappeared during the operation; it is retried in the next cycle.",
}


def _failure(op: Operation, exc: TargetError) -> Outcome:
    kind = type(exc)
    recommended = next((text for cls, text in _RECOMMENDED.items() if isinstance(exc, cls)), None)
    detail = exc.detail or str(exc)
    return Outcome(
        op,
        AuditStatus.FAILURE,
        audit_action(op.action),
        op.target_id,
        error_code=f"GoTo{kind.__name__.removesuffix('Error')}" + (f"{exc.status}" if exc.status else ""),
        error_reason=detail,
        recommended_action=recommended,
    )


def audit_action(action: Action) -> str:
    """The provisioningAction an operation is recorded under (Entra logs a skip as 'other')."""
    return "other" if action is Action.SKIP else action.value
