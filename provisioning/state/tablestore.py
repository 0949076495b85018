"""The one way the product talks to Azure Table Storage: client, retry, batches, ETag claims, errors.

Why one module: a 25 s blink of the storage endpoint must not fail a cycle, whichever table the
cycle happens to be touching; and a wrong key, an unreachable endpoint or a missing role must end
in one clear `StorageError` with a hint, not a traceback.

- `TableStore.from_connection_string` / `from_endpoint` build the one service client (the SDK's own
  retries are turned off: one retry policy, here) and open tables once, shared by TableState and
  AuditLog.
- Every call goes through `TableStore.run`: transient failures (connect/DNS failure, a reset or
  dropped connection, a timeout, 408/429/500/502/503/504) are retried with jittered exponential
  backoff, bounded by attempts and by a total time budget (`RetryPolicy`, ~30 s by default).
- Writes are safe to repeat: upserts and deletes are idempotent; a create or an ETag-guarded
  replace that may have landed before the connection dropped is recognised on the retry (the row
  holds exactly what we wrote) instead of being reported as lost to someone else.
- When the retries run out, or the service refuses us, the call raises `StorageError` whose `hint`
  names what to check. No message carries a key or a SAS.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Self, TypeVar
from urllib.parse import urlparse

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableEntity, TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from provisioning.errors import StorageError
from provisioning.redaction import redact

log = logging.getLogger(__name__)

T = TypeVar("T")
Auth = Literal["key", "sas", "identity"]

BATCH_LIMIT = 100  # Table Storage's cap on one transaction (all in one partition)
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
CONNECTION_STRING_SETTING = "AzureWebJobsStorage"
ENDPOINT_SETTING = "AzureWebJobsStorage__tableServiceUri"
DEFAULT_CONNECTION_TIMEOUT = 10.0  # seconds to open a TCP (and TLS) connection
DEFAULT_READ_TIMEOUT = 30.0  # seconds without a byte of answer (the service's own cap is 30 s)
ROLE = "Storage Table Data Contributor"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retry of transient failures: at most `attempts` tries, and no wait that would end past
    `budget_seconds` after the first try. Waits grow from `first_wait` doubling to `max_wait`, plus
    up to `jitter` seconds at random (so instances do not retry in step)."""

    attempts: int = 12
    budget_seconds: float = 30.0
    first_wait: float = 0.5
    max_wait: float = 4.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.budget_seconds < 0 or self.first_wait < 0 or self.max_wait < 0 or self.jitter < 0:
            raise ValueError("budget_seconds, first_wait, max_wait and jitter must not be negative")

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (from 1): doubling from first_wait up to max_wait,
        plus random jitter."""
        base = min(self.max_wait, self.first_wait * 2 ** min(attempt - 1, 30))
        return base + random.uniform(0, self.jitter)


DEFAULT_RETRY = RetryPolicy()
# test-connection answers quickly: a few tries, a few seconds.
CHECK_RETRY = RetryPolicy(attempts=3, budget_seconds=5.0, first_wait=0.5, max_wait=2.0)


@dataclass(frozen=True, slots=True)
class StorageTarget:
    """What hints name: the setting that says where storage is, its host, and how we sign in."""

    setting: str
    host: str
    auth: Auth


@dataclass(frozen=True, slots=True)
class Claim:
    """An ETag claim won: the row's new ETag, and what it held before (None: we created it)."""

    etag: str
    previous: TableEntity | None


# transient or not ----------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Worth trying again: the connection failed, dropped or timed out, or the service said busy/down."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError | IncompleteReadError):
        return True
    if isinstance(exc, HttpResponseError) and exc.status_code in TRANSIENT_STATUS:
        return True
    return isinstance(exc, ConnectionError | TimeoutError)


def _retry_after(exc: BaseException | None) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return 0.0
    try:
        return max(0.0, float(headers.get("Retry-After", 0)))
    except (TypeError, ValueError):
        return 0.0


# errors and hints ----------------------------------------------------------------------------------


def _error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "error_code", None)
    if code is None:
        return None
    return str(getattr(code, "value", code))


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "inner_exception", None)])
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, BaseException):
            todo.append(os_error)


def _is_signing_error(exc: BaseException) -> bool:
    """The SDK could not sign the request with the account key (it is not base64)."""
    return type(exc).__name__ == "AzureSigningError" or any(
        isinstance(c, binascii.Error) for c in _causes(exc)
    )


def _summary(exc: BaseException) -> str:
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        code = _error_code(exc)
        first = (exc.message or "").strip().splitlines()[0] if exc.message else ""
        parts = [str(exc.status_code), code or "", first]
        return redact(" ".join(p for p in parts if p))
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _credential_hint(target: StorageTarget) -> str:
    if target.auth == "key":
        return (
            f"Check the AccountKey in {target.setting}: it must be a current key of the storage account "
            "(Access keys in the portal; keys change when rotated)."
        )
    if target.auth == "sas":
        return (
            f"Check the SharedAccessSignature in {target.setting}: it may have expired, been revoked, "
            "or lack the table permissions (r, a, u, d, l)."
        )
    return (
        f"Table Storage refused the managed identity's token: check AZURE_CLIENT_ID names the identity "
        f"assigned to the Function app and that {target.setting} is an account in the same tenant."
    )


def _classify(exc: BaseException, target: StorageTarget) -> tuple[str, str | None]:
    """(what happened, what to check) for an error that ends a call."""
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    code = _error_code(exc) or ""
    if _is_signing_error(exc):
        return (
            "the request could not be signed",
            f"The AccountKey in {target.setting} is not a valid base64 key: copy it again from the "
            "storage account's Access keys.",
        )
    if code == "AuthorizationPermissionMismatch":
        return (
            "the identity may not read or write table data",
            f"Assign the role '{ROLE}' on the storage account to the Function app's identity "
            "(role assignments take a few minutes to apply).",
        )
    if status in (401, 403):
        hint = _credential_hint(target)
        if code == "AuthorizationFailure":
            hint += " If the key is right, the account's firewall or network rules may block this app."
        return "Table Storage refused our credentials", hint
    if isinstance(exc, ClientAuthenticationError):  # no answer from Table Storage: no token at all
        return (
            "no token could be obtained for Table Storage",
            "Check the managed identity: it must be enabled on the Function app, and AZURE_CLIENT_ID "
            "must name it when it is user-assigned.",
        )
    if isinstance(exc, ServiceRequestError | OSError):
        if any(isinstance(c, socket.gaierror) for c in _causes(exc)):
            return (
                f"the host {target.host} does not resolve",
                f"Check {target.setting}: the account name or TableEndpoint is wrong, or DNS (a "
                "private endpoint's zone) does not know it.",
            )
        return (
            f"nothing answered at {target.host}",
            f"Check the endpoint in {target.setting}, the network path (firewall, private endpoint, "
            "VNet) and that the storage service (or Azurite) is running.",
        )
    if is_transient(exc):
        return (
            "Table Storage did not answer in time or kept failing",
            "Table Storage is down, throttling or unreachable for longer than the retries last; "
            "nothing was lost: the next cycle resumes from the last recorded point.",
        )
    if status == 404 and code == "TableNotFound":
        return "a table is missing", "Tables are created when the app opens them: restart the app."
    return "Table Storage refused the request", None


def storage_error(
    exc: BaseException, *, operation: str, target: StorageTarget, attempts: int = 1, elapsed: float = 0.0
) -> StorageError:
    what, hint = _classify(exc, target)
    tried = f" after {attempts} attempts over {elapsed:.1f}s" if attempts > 1 else ""
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    message = f"Table Storage {operation} failed{tried}: {what} ({_summary(exc)})"
    return StorageError(message, hint=hint, status=status, code=_error_code(exc))


# connection strings -------------------------------------------------------------------------------


def _pairs(connection_string: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in connection_string.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            pairs[name.strip().lower()] = value.strip()
    return pairs


def _valid_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(value)


def _connection_string_problem(connection_string: str, setting: str) -> StorageError | None:
    if not connection_string.strip():
        return StorageError(
            f"{setting} is empty",
            hint=f"Set {setting} to the storage account's connection string, or set {ENDPOINT_SETTING} "
            "to use the Function app's managed identity.",
        )
    pairs = _pairs(connection_string)
    key = pairs.get("accountkey")
    if key is not None and not _valid_base64(key):
        return StorageError(
            f"{setting}: AccountKey is not a base64 key",
            hint=f"The AccountKey in {setting} is not a valid base64 key: copy the connection string "
            "(or key) again from the storage account's Access keys.",
        )
    return None


def _malformed(setting: str) -> StorageError:
    return StorageError(
        f"{setting} is not a usable storage connection string",
        hint=f"{setting} needs AccountName and AccountKey, or a SharedAccessSignature with TableEndpoint "
        "(copy it from the storage account's Access keys), or UseDevelopmentStorage=true for Azurite.",
    )


def _auth_of(connection_string: str) -> Auth:
    pairs = _pairs(connection_string)
    return "sas" if "sharedaccesssignature" in pairs and "accountkey" not in pairs else "key"


def _host(url: str) -> str:
    return urlparse(url).netloc or "the Table Storage endpoint"


# the store ----------------------------------------------------------------------------------------


class TableStore:
    """One service client, its tables opened once, and every call retried and mapped the same way."""

    def __init__(
        self,
        service: TableServiceClient,
        *,
        target: StorageTarget,
        retry: RetryPolicy = DEFAULT_RETRY,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self._service = service
        self.target = target
        self.retry = retry
        self._call_options: dict[str, Any] = {
            "connection_timeout": connection_timeout,
            "read_timeout": read_timeout,
        }
        self._tables: dict[str, Table] = {}
        self._created: set[str] = set()

    @classmethod
    def from_connection_string(
        cls,
        connection_string: str,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        setting: str = CONNECTION_STRING_SETTING,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        **client_options: Any,
    ) -> TableStore:
        """`client_options` go to the SDK client (e.g. `transport=`). A connection string the SDK
        cannot use raises StorageError naming `setting`, before any I/O."""
        problem = _connection_string_problem(connection_string, setting)
        if problem is not None:
            raise problem
        try:
            service = TableServiceClient.from_connection_string(
                connection_string, **{"retry_total": 0, **client_options}
            )
        except (ValueError, binascii.Error):
            raise _malformed(setting) from None
        target = StorageTarget(setting, _host(service.url), _auth_of(connection_string))
        return cls(
            service,
            target=target,
            retry=retry,
            connection_timeout=connection_timeout,
            read_timeout=read_timeout,
        )

    @classmethod
    def from_endpoint(
        cls,
        endpoint: str,
        *,
        credential: Any,
        retry: RetryPolicy = DEFAULT_RETRY,
        setting: str = ENDPOINT_SETTING,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        **client_options: Any,
    ) -> TableStore:
        """An endpoint with a token credential (managed identity) or a named key / SAS credential."""
        if not endpoint or not urlparse(endpoint).netloc:
            raise StorageError(
                f"{setting} is not a URL", hint=f"Set {setting} to https://<account>.table.core.windows.net"
            )
        try:
            service = TableServiceClient(
                endpoint=endpoint, credential=credential, **{"retry_total": 0, **client_options}
            )
        except (ValueError, binascii.Error):
            raise StorageError(
                f"{setting} is not a usable Table Storage endpoint",
                hint=f"Set {setting} to https://<account>.table.core.windows.net",
            ) from None
        name = type(credential).__name__
        auth: Auth = "key" if name == "AzureNamedKeyCredential" else "sas" if "Sas" in name else "identity"
        return cls(
            service,
            target=StorageTarget(setting, _host(endpoint), auth),
            retry=retry,
            connection_timeout=connection_timeout,
            read_timeout=read_timeout,
        )

    def table(self, name: str) -> Table:
        """The table's wrapper (no I/O); `open_tables` creates it in storage if needed."""
        if name not in self._tables:
            self._tables[name] = Table(self, self._service.get_table_client(name))
        return self._tables[name]

    async def open_tables(self, names: Iterable[str]) -> None:
        """Create each table unless this store already did (TableState and AuditLog share tables)."""
        for name in names:
            if name in self._created:
                continue

            async def create(_: int, name: str = name) -> None:
                # It exists already, or our own create landed before a dropped connection.
                with contextlib.suppress(ResourceExistsError):
                    await self._service.create_table(name, **self._call_options)

            await self.run(f"create table {name}", create)
            self._created.add(name)

    async def close(self) -> None:
        for table in self._tables.values():
            await table.client.close()
        self._tables.clear()
        await self._service.close()

    async def __aenter__(self) -> TableStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def call_options(self) -> dict[str, Any]:
        return self._call_options

    async def run(
        self, operation: str, call: Callable[[int], Awaitable[T]], *, retry: RetryPolicy | None = None
    ) -> T:
        """`call(attempt)` (attempt counts from 1) until it succeeds, fails for good, or the policy
        is spent; then StorageError with a hint. Other exceptions pass through untouched."""
        policy = retry or self.retry
        started = time.monotonic()

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return max(policy.backoff(state.attempt_number), min(_retry_after(exc), policy.max_wait))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "Table Storage %s: attempt %d failed (%s); retrying in %.1fs",
                operation,
                state.attempt_number,
                _summary(exc) if exc else "?",
                state.upcoming_sleep,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.budget_seconds),
            wait=wait,
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await call(attempts)
        except StorageError:
            raise
        except (AzureError, OSError) as exc:
            elapsed = time.monotonic() - started
            raise storage_error(
                exc, operation=operation, target=self.target, attempts=attempts, elapsed=elapsed
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover


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


async def gather_all(awaitables: Iterable[Awaitable[Any]]) -> list[Any]:
    """Wait for every one, then raise the first error (no write left running unobserved)."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


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
        a transaction refused because a row to delete is already gone is done one by one."""
        if not operations:
            return
        limit = gate or asyncio.Semaphore(concurrency)

        async def send(batch: list[Operation]) -> None:
            async with limit:
                await self._store.run(f"transaction on {self.name}", lambda _: self._transaction(batch))

        await gather_all(send(batch) for batch in partition_batches(operations))

    async def _transaction(self, batch: list[Operation]) -> None:
        ops = [_normal(op) for op in batch]
        try:
            await self.client.submit_transaction(
                [(kind, entity, options) for kind, entity, options in ops], **self._store.call_options
            )
        except TableTransactionError as exc:
            if _error_code(exc) != "ResourceNotFound" or any(
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

    async def _ours(self, entity: Mapping[str, Any]) -> str | None:
        """The row's ETag if it holds exactly what we wrote (our write landed), else None."""
        try:
            current = await self.client.get_entity(
                str(entity["PartitionKey"]), str(entity["RowKey"]), **self._store.call_options
            )
        except ResourceNotFoundError:
            return None
        return str(current.metadata["etag"]) if holds(current, entity) else None


# test-connection ----------------------------------------------------------------------------------


async def check_tables(
    *,
    connection_string: str | None = None,
    endpoint: str | None = None,
    credential: Any = None,
    retry: RetryPolicy = CHECK_RETRY,
    **client_options: Any,
) -> str:
    """One cheap read (list one table) with a fresh client, before anything else opened the tables.

    Returns what it saw; raises StorageError with a hint (wrong key, unreachable endpoint, missing
    role, malformed setting). A connection string wins over an endpoint, as in load_settings.
    """
    if connection_string:
        store = TableStore.from_connection_string(connection_string, retry=retry, **client_options)
    elif endpoint:
        if credential is None:
            raise StorageError(
                f"{ENDPOINT_SETTING} is set but no credential was given",
                hint="Give the Function app a managed identity (AZURE_CLIENT_ID when user-assigned).",
            )
        store = TableStore.from_endpoint(endpoint, credential=credential, retry=retry, **client_options)
    else:
        raise StorageError(
            f"neither {CONNECTION_STRING_SETTING} nor {ENDPOINT_SETTING} is set",
            hint=f"Set {CONNECTION_STRING_SETTING} to the storage account's connection string, or "
            f"{ENDPOINT_SETTING} to its table endpoint (managed identity).",
        )
    async with store:
        service = store._service

        async def list_one(_: int) -> int:
            pages: Any = service.list_tables(results_per_page=1, **store.call_options).by_page()
            try:
                return len([t async for t in await pages.__anext__()])
            except StopAsyncIteration:
                return 0

        found = await store.run("list tables", list_one)
    seen = "and found tables" if found else "(no tables yet)"
    return f"signed in to Table Storage at {store.target.host} ({store.target.auth}) {seen}"


class TableSet:
    """Named tables of one store under one prefix, opened together: the base of TableState and
    AuditLog, so opening, closing and the not-opened error are written once."""

    TABLE_NAMES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, store: TableStore, *, prefix: str, owns_store: bool = True) -> None:
        """`owns_store=False` when sharing another set's store: its owner closes it."""
        self._store = store
        self._prefix = prefix
        self._owns_store = owns_store
        self._tables: dict[str, Table] = {}

    @classmethod
    def from_connection_string(
        cls, connection_string: str, *, prefix: str, retry: RetryPolicy = DEFAULT_RETRY, **client_options: Any
    ) -> Self:
        """`client_options` go to the SDK client (e.g. `transport=`, to observe every call).
        A malformed connection string raises StorageError (with a hint) here, before any I/O."""
        return cls(
            TableStore.from_connection_string(connection_string, retry=retry, **client_options), prefix=prefix
        )

    @property
    def store(self) -> TableStore:
        return self._store

    async def open(self) -> Self:
        await self._store.open_tables(self._prefix + name for name in self.TABLE_NAMES)
        self._tables = {name: self._store.table(self._prefix + name) for name in self.TABLE_NAMES}
        await self._opened()
        return self

    async def _opened(self) -> None:
        """What a subclass opens beside its tables."""

    async def _closing(self) -> None:
        """What a subclass closes before its store."""

    async def close(self) -> None:
        await self._closing()
        self._tables.clear()
        if self._owns_store:
            await self._store.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _t(self, name: str) -> Table:
        try:
            return self._tables[name]
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}.open() was not called") from None
