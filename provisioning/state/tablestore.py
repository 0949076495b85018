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

import binascii
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, Self
from urllib.parse import urlparse

from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
)
from azure.data.tables.aio import TableServiceClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from provisioning.aio import gather_all
from provisioning.errors import StorageError
from provisioning.state.storage_errors import (
    BATCH_LIMIT,
    CHECK_RETRY,
    CONNECTION_STRING_SETTING,
    DEFAULT_CONNECTION_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY,
    ENDPOINT_SETTING,
    Auth,
    RetryPolicy,
    StorageTarget,
    T,
    auth_of,
    connection_string_problem,
    host_of,
    is_transient,
    malformed,
    retry_after,
    storage_error,
    summary,
)
from provisioning.state.table import Operation, Table, partition_batches

_NAMES_PER_QUERY = 15  # Table Storage takes at most 15 comparisons in one $filter

log = logging.getLogger(__name__)


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
        problem = connection_string_problem(connection_string, setting)
        if problem is not None:
            raise problem
        try:
            service = TableServiceClient.from_connection_string(
                connection_string, **{"retry_total": 0, **client_options}
            )
        except (ValueError, binascii.Error):
            raise malformed(setting) from None
        target = StorageTarget(setting, host_of(service.url), auth_of(connection_string))
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
            target=StorageTarget(setting, host_of(endpoint), auth),
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
        """Create each table unless it exists or this store already opened it (TableState and
        AuditLog share tables): one query asks which exist, and only the missing ones are created,
        side by side. Creating all of them first, then the rest, was two round trips and seven
        calls before every run, on tables that exist in every run but the first."""
        wanted = [name for name in dict.fromkeys(names) if name not in self._created]
        if not wanted:
            return

        async def existing(_: int) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(wanted), _NAMES_PER_QUERY):
                names_ = wanted[start : start + _NAMES_PER_QUERY]
                query = " or ".join(f"TableName eq @t{i}" for i in range(len(names_)))
                parameters = {f"t{i}": name for i, name in enumerate(names_)}
                tables = self._service.query_tables(query, parameters=parameters, **self._call_options)
                found.update([table.name async for table in tables])
            return found

        # alone first: a busy or unreachable store is retried once, not per table
        self._created.update(await self.run("list tables", existing))

        async def create_one(name: str) -> None:
            async def create(_: int) -> None:
                # Made meanwhile by another run, or our own create landed before a dropped connection.
                with contextlib.suppress(ResourceExistsError):
                    await self._service.create_table(name, **self._call_options)

            await self.run(f"create table {name}", create)
            self._created.add(name)

        await gather_all(create_one(name) for name in wanted if name not in self._created)

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
            return max(policy.backoff(state.attempt_number), min(retry_after(exc), policy.max_wait))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "Table Storage %s: attempt %d failed (%s); retrying in %.1fs",
                operation,
                state.attempt_number,
                summary(exc) if exc else "?",
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
        try:
            return await self.open()
        except BaseException:  # a refused key or an unreachable endpoint: no session left open
            await self.close()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _t(self, name: str) -> Table:
        try:
            return self._tables[name]
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}.open() was not called") from None


__all__ = [  # the one Table Storage module: its parts live in storage_errors.py and table.py
    "BATCH_LIMIT",
    "CHECK_RETRY",
    "DEFAULT_RETRY",
    "Operation",
    "RetryPolicy",
    "StorageTarget",
    "Table",
    "TableSet",
    "TableStore",
    "is_transient",
    "partition_batches",
]
