"""Apply planned operations to GoTo: match-or-create, adopt on conflict, relink on a vanished account.

Each operation ends as an `Outcome` (what happened, what GoTo now holds); errors that concern one
object become failures of that object, while bad credentials stop the run (UnauthorizedError is
re-raised). Concurrency is bounded here; the request rate is bounded in the SCIM client.

When an operation raises, `apply_operations` still awaits every operation in flight (their writes
happened and need audit records), starts no new one, and re-raises the first exception with the
finished outcomes attached: `finished_outcomes(exc)` reads them.

An account found by the matching attributes is adopted only when no other Entra user holds it: not
linked to one in the state (`LinkOwners`), not created or adopted by another operation of the same
run (`Claims`). Otherwise the operation fails as MatchingConflict and nothing is written to GoTo.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from provisioning.engine.plan import Action, Operation
from provisioning.errors import (
    BadRequestError,
    ConflictError,
    LicenseSeatsError,
    NotFoundError,
    TargetError,
    TransientError,
    UnauthorizedError,
)
from provisioning.mapping.attributes import UserMapping
from provisioning.model import AuditStatus, Link, ObjectType


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


class LinkOwners(Protocol):
    """Who a GoTo account is linked to; the StateStore answers (`get_link_by_target`)."""

    async def get_link_by_target(self, target_id: str, *, object_type: ObjectType = ...) -> Link | None: ...


class Gate:
    """At most `limit()` holders at once; the limit is read again whenever a slot is wanted, so it
    can follow the latency the target shows. Waiters are served first come, first served, and a
    release wakes only as many as there are free slots (a Condition's notify_all woke every one of
    a page's 100 waiting operations on every answer)."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._held = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._waiters or self._held >= max(1, self._limit()):
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(granted)
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._release()  # handed a slot while being cancelled: pass it on
                else:
                    self._waiters.remove(granted)
                raise
        else:
            self._held += 1
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._held -= 1
        while self._waiters and self._held < max(1, self._limit()):
            granted = self._waiters.popleft()
            if not granted.done():
                self._held += 1  # the slot goes to the waiter itself: nobody can take it between
                granted.set_result(None)


class Flight:
    """A run's operations in flight across its pages: one Gate for all of them (a page may start
    while the one before finishes), and one operation per Entra object at a time (a user can be
    on two pages of one delta read; the later waits for the earlier)."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self.gate = Gate(limit)
        self._objects: dict[str, asyncio.Event] = {}

    @asynccontextmanager
    async def object(self, source_id: str) -> AsyncIterator[None]:
        while (busy := self._objects.get(source_id)) is not None:
            await busy.wait()
        done = self._objects[source_id] = asyncio.Event()
        try:
            yield
        finally:
            del self._objects[source_id]
            done.set()


class Claims:
    """The GoTo accounts the operations of one run hold: those they are linked to, and those they
    created or adopted. Shared by the concurrent operations of `apply_operations`, so two Entra
    users matching one account in one run never both take it (the state learns of it only after)."""

    def __init__(self, operations: Iterable[Operation] = ()) -> None:
        self._holders: dict[str, str] = {}
        self._creating: set[asyncio.Future[None]] = set()
        self.hold(operations)

    def hold(self, operations: Iterable[Operation]) -> None:
        """The accounts these operations are linked to (a run adds each page's as it comes)."""
        for op in operations:
            if op.target_id:
                self._holders.setdefault(op.target_id, op.source_id)

    def take(self, target_id: str, source_id: str) -> str | None:
        """Claim `target_id` for `source_id`: None if it is now theirs, else the Entra id holding it."""
        holder = self._holders.setdefault(target_id, source_id)
        return None if holder == source_id else holder

    @asynccontextmanager
    async def creating(self) -> AsyncIterator[None]:
        """Around a create: `settle()` waits for it, so the account it made is claimed first."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._creating.add(done)
        try:
            yield
        finally:
            self._creating.discard(done)
            done.set_result(None)

    async def settle(self) -> None:
        """Wait for the creates now in flight. A 409 (or a lookup) may have met the account one of
        them made at GoTo before its answer reached us; once settled, that account is claimed."""
        pending = list(self._creating)
        if pending:
            await asyncio.wait(pending)


class MatchFailure(Exception):
    """An account was matched but may not be adopted (or could not be looked up): a failure of
    this object with its own code and advice, never a write."""

    def __init__(self, code: str, reason: str, recommended: str) -> None:
        super().__init__(reason)
        self.code, self.reason, self.recommended = code, reason, recommended


@dataclass(frozen=True, slots=True)
class Match:
    account: TargetUser
    path: str  # the matching attribute that found it
    value: Any


@dataclass(frozen=True, slots=True)
class _Context:
    target: UserTarget
    mapping: UserMapping
    owners: LinkOwners | None
    claims: Claims


async def apply_operation(
    op: Operation,
    target: UserTarget,
    mapping: UserMapping,
    *,
    owners: LinkOwners | None = None,
    claims: Claims | None = None,
) -> Outcome:
    """One operation. `owners` (the state) tells whether a matched account is another user's;
    `claims` is the run's, when operations run side by side (`apply_operations` passes it)."""
    context = _Context(target, mapping, owners, claims if claims is not None else Claims([op]))
    return await outcome_of(op, _apply(op, context))


async def outcome_of(op: Operation, attempt: Awaitable[Outcome]) -> Outcome:
    """The operation's outcome, timed: an error about this object is its failure; bad credentials
    (UnauthorizedError) stop the run and are re-raised."""
    started = time.perf_counter()
    try:
        outcome = await attempt
    except UnauthorizedError:
        raise
    except TargetError as exc:
        outcome = failure_outcome(op, exc)
    except MatchFailure as exc:
        outcome = Outcome(
            op,
            AuditStatus.FAILURE,
            audit_action(op.action),
            op.target_id,
            error_code=exc.code,
            error_reason=exc.reason,
            recommended_action=exc.recommended,
        )
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    return outcome


async def apply_operations(
    operations: Iterable[Operation],
    target: UserTarget,
    mapping: UserMapping,
    *,
    concurrency: int | Callable[[], int],
    on_done: Callable[[Outcome], None] | None = None,
    owners: LinkOwners | None = None,
    claims: Claims | None = None,
    flight: Flight | None = None,
    on_started: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Run operations with at most `concurrency` in flight (a number, or asked again before each
    start: the target's rate x measured latency); one object's failure never blocks others.

    `owners` (the state, or a run's LinkIndex) and one Claims shared by these operations (or by
    the whole run, when given) keep two Entra users from
    adopting one GoTo account. An exception (bad credentials, a bug) stops new operations from
    starting, waits for those in flight, and is re-raised carrying every finished Outcome
    (`finished_outcomes(exc)`, input order).

    `flight` (a run's, shared by its pages) replaces the gate of this call; `on_started` is called
    once every operation has its slot (or was stopped): the caller may then start the next page.
    """
    operations = list(operations)
    if flight is None:
        flight = Flight(concurrency if callable(concurrency) else (lambda: concurrency))
    waiting = [len(operations)]

    def started() -> None:
        waiting[0] -= 1
        if waiting[0] == 0 and on_started is not None:
            on_started()

    if not operations and on_started is not None:
        on_started()
    stopped: list[BaseException] = []
    if claims is None:
        claims = Claims(operations)
    else:  # one Claims for a whole run: an account taken on an earlier page stays taken
        claims.hold(operations)

    async def run(op: Operation) -> Outcome | None:
        async with flight.object(op.source_id), flight.gate.slot():
            started()
            if stopped:
                return None
            try:
                outcome = await apply_operation(op, target, mapping, owners=owners, claims=claims)
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
        raise with_finished(stopped[0] if stopped else failures[0], finished)
    return finished


_FINISHED = "finished_outcomes"


def with_finished(exc: BaseException, finished: list[Outcome]) -> BaseException:
    """`exc`, carrying the outcomes that finished before it stopped the rest (`finished_outcomes`)."""
    setattr(exc, _FINISHED, finished)
    return exc


def finished_outcomes(exc: BaseException) -> list[Outcome]:
    """The outcomes of the operations that finished before `exc` stopped `apply_operations`."""
    found = getattr(exc, _FINISHED, None)
    return list(found) if isinstance(found, list) else []


async def _apply(op: Operation, context: _Context) -> Outcome:
    target = context.target
    if op.action is Action.SKIP:
        return Outcome(op, AuditStatus.SKIPPED, "other")
    if op.action is Action.CREATE:
        return await _create_or_adopt(op, context)
    if op.action is Action.UPDATE:
        assert op.target_id is not None
        try:
            await target.update_user(op.target_id, op.values, current=_last_written(op))
        except NotFoundError:
            return await _create_or_adopt(
                op, context, note="the linked GoTo account was gone", look_first=True
            )
        return Outcome(op, AuditStatus.SUCCESS, "update", op.target_id, dict(op.desired))
    if op.action is Action.DISABLE:
        assert op.target_id is not None
        try:
            await target.update_user(op.target_id, dict(op.values), current=_last_written(op))
        except NotFoundError:
            return Outcome(op, AuditStatus.SUCCESS, "disable", op.target_id, note="GoTo account already gone")
        return Outcome(op, AuditStatus.SUCCESS, "disable", op.target_id, dict(op.values))
    if op.action is Action.DELETE:
        assert op.target_id is not None
        existed = await target.delete_user(op.target_id)
        note = None if existed else "GoTo account already gone"
        return Outcome(op, AuditStatus.SUCCESS, "delete", op.target_id, note=note)
    raise ValueError(f"unknown action {op.action!r}")


def _last_written(op: Operation) -> dict[str, Any] | None:
    """What the engine last wrote for the changed paths (the link's record), None if it has none."""
    return {change.path: change.old for change in op.changes} if op.changes else None


LOOKUP_REFUSED = "MatchingLookupRefused"
MATCHING_CONFLICT = "MatchingConflict"


async def _match(op: Operation, target: UserTarget, mapping: UserMapping) -> Match | None:
    """The account holding a matching value, rows in precedence order: a null value is skipped, the
    first exact match wins (userName ignoring ASCII case, externalId case-exact: the target decides).

    Every row's value is sent as an `eq` filter, also on an attribute GoTo cannot filter users by
    (it filters only on userName, displayName, name.givenName and name.familyName): GoTo answers
    400 invalidFilter, and that user fails as MatchingLookupRefused, naming the row; the run goes on.
    """
    for row in mapping.matching:
        value = op.desired.get(row.target)
        if value is None:
            continue
        try:
            found = await target.find_user(path=row.target, value=value)
        except BadRequestError as exc:
            answer = " ".join(str(part) for part in (exc.scim_type, exc.detail or exc) if part)
            raise MatchFailure(
                LOOKUP_REFUSED,
                f"GoTo refused to look users up by the matching attribute {row.target} ({answer})",
                f"GoTo cannot filter users by {row.target} (it filters on userName, displayName, "
                "name.givenName and name.familyName): give a filterable attribute the matching "
                "precedence in the mapping file (check-mappings); the object is retried in later cycles.",
            ) from exc
        if found is not None:
            return Match(found, row.target, value)
    return None


async def _claim(op: Operation, match: Match, context: _Context) -> None:
    """Take the matched account for this user, or fail as MatchingConflict if another holds it."""
    account = match.account.id
    await context.claims.settle()
    link = await context.owners.get_link_by_target(account) if context.owners is not None else None
    freed = ""
    if link is not None and link.source_id != op.source_id:
        other, how = link.source_id, "is linked to"
        if not link.active:
            how = "is deactivated and still linked to"
            freed = f", or delete or rename {other}'s deactivated account {account} in GoTo Admin Center"
    else:
        holder = context.claims.take(account, op.source_id)  # no await between check and claim
        if holder is None:
            return
        other, how = holder, "was taken in this run by"
    raise MatchFailure(
        MATCHING_CONFLICT,
        f"Entra users {op.source_id} and {other} both match GoTo account {account} on "
        f"{match.path} = {match.value!r}; the account {how} {other}, so it was not adopted "
        "and nothing was written",
        f"Two Entra users share the matching value {match.path} = {match.value!r}: fix one of them "
        f"in Entra ID ({op.source_id} or {other}){freed}; the object is retried in later cycles.",
    )


async def _create_or_adopt(
    op: Operation, context: _Context, *, note: str | None = None, look_first: bool = False
) -> Outcome:
    """Create, or adopt the account that already holds the matching value: never a duplicate, and
    never an account another Entra user holds (`_claim`).

    A first create goes straight to POST (one request per new user): GoTo refuses a duplicate
    userName with 409, and only then do we look the account up. `look_first` is for relinking,
    where an account probably exists.
    """
    target, desired = context.target, dict(op.desired)
    match = await _match(op, target, context.mapping) if look_first else None
    if match is None:
        try:
            async with context.claims.creating():
                created = await target.create_user(desired)
                context.claims.take(created.id, op.source_id)
            return Outcome(op, AuditStatus.SUCCESS, "create", created.id, desired, note=note)
        except ConflictError:
            match = await _match(op, target, context.mapping)
            if match is None:
                raise
    await _claim(op, match, context)
    found = match.account
    adopted = f"adopted the existing GoTo account matched on {match.path}"
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
    LicenseSeatsError: "The GoTo license has no free seat: free one or buy more in GoTo Admin Center "
    "(python -m provisioning licenses shows the seats); the user is retried in later cycles.",
}


def failure_outcome(op: Operation, exc: TargetError) -> Outcome:
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
