"""Wiring shared by the timer, the CLI and (later) the HTTP routes: settings in, services out.

Every client is built here and closed here; request counters are attached to both transports so
each cycle records what it cost.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from azure.core.pipeline.transport import AioHttpTransport

from provisioning.alerts import MailAlerts
from provisioning.config import Settings
from provisioning.engine.apply import UserTarget
from provisioning.engine.cycle import CycleResult, EngineOptions, Progress, SyncEngine
from provisioning.engine.group_sync import GroupPolicy
from provisioning.engine.lease import LEASE_TTL_SECONDS, Waiting
from provisioning.engine.licenses import LicenseMap
from provisioning.errors import StorageError
from provisioning.goto_auth import GoToAuth, load_goto_auth_settings, open_goto_auth
from provisioning.mapping.file import load_mappings
from provisioning.mapping.model import MappingFile
from provisioning.notify import Notifier
from provisioning.source.graph import GraphSource
from provisioning.source.graph_client import StaticTokenCredential, create_graph_client
from provisioning.state.tables import TableState
from provisioning.state.tablestore import RetryPolicy as StorageRetry
from provisioning.state.tablestore import TableStore
from provisioning.target.capabilities import Capabilities
from provisioning.target.dialect import ScimDialect
from provisioning.target.group_target import ScimGroupTarget
from provisioning.target.licensed_target import LicensedUserTarget
from provisioning.target.licenses import GoToLicenses, open_licenses
from provisioning.target.scim import ScimClient
from provisioning.target.throttle import RetryPolicy, Throttle
from provisioning.target.transport import client_transport
from provisioning.target.user_target import ScimUserTarget

log = logging.getLogger(__name__)
GRAPH_MAX_RETRIES = 5  # kiota's RetryHandler: 429/503/504 with Retry-After, gives up past 180 s of waiting
GOTO_RETRY = RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=60.0)
GOTO_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
GRAPH_IN_FLIGHT = 8  # Graph connections kept alive: pages follow one another, new groups are read 8 at once


@dataclass
class Services:
    source: GraphSource
    scim: ScimClient
    state: TableState
    graph_requests: list[int]
    alerts: MailAlerts | None = None
    goto_auth: GoToAuth | None = None
    licenses: GoToLicenses | None = None

    def engine(
        self,
        settings: Settings,
        *,
        mapping: MappingFile | None = None,
        progress: Progress | None = None,
        clock: Callable[[], datetime] | None = None,
        lease_ttl_seconds: float = LEASE_TTL_SECONDS,
    ) -> SyncEngine:
        """`mapping` defaults to MAPPINGS_FILE (or the built-in default); a broken file raises
        MappingFileError naming every problem, so no cycle runs on half of it. Its `licenses`
        section, when not empty, sends a user's licenses to the Admin API; nothing calls it otherwise."""
        loaded = mapping or load_mappings(settings.mappings_file)
        users = loaded.users
        target: UserTarget = ScimUserTarget(self.scim, paths=users.targets(creating=True))
        licenses = None
        if loaded.licenses:
            if self.licenses is None:
                raise ValueError("the mapping file maps licenses but no Admin API client was opened")
            target = LicensedUserTarget(target, self.licenses)
            licenses = LicenseMap(loaded.licenses)
        groups = GroupPolicy(
            loaded.groups,
            member_cap=settings.group_member_cap,
            deprovision_action=settings.group_deprovision_action,
        )
        return SyncEngine(
            source=self.source,
            target=target,
            state=self.state,
            service_principal_id=settings.service_principal_id,
            mapping=users,
            groups=groups,
            group_target=ScimGroupTarget(self.scim),
            licenses=licenses,
            concurrency=lambda: self.scim.throttle.in_flight(settings.goto_max_concurrency),
            options=EngineOptions(
                provisioning_enabled=settings.provisioning_enabled,
                deprovision_threshold=settings.deprovision_threshold,
                skip_out_of_scope_deletions=settings.skip_out_of_scope_deletions,
                time_budget_seconds=settings.cycle_time_budget_seconds,
                hard_delete_action=settings.hard_delete_action,
                lease_ttl_seconds=lease_ttl_seconds,
            ),
            progress=progress,
            request_counts=self.request_counts,
            notify=self.alerts,
            clock=clock,
        )

    def request_counts(self) -> tuple[int, int]:
        admin = self.licenses.calls.requests if self.licenses is not None else 0  # the Admin API too
        return self.graph_requests[0], self.scim.calls.requests + admin


def _graph_credential(settings: Settings) -> Any:
    if settings.graph_access_token:
        return StaticTokenCredential(settings.graph_access_token)
    from azure.identity.aio import ClientSecretCredential, ManagedIdentityCredential

    if settings.azure_client_secret:
        assert settings.azure_tenant_id and settings.azure_client_id  # checked by load_settings
        return ClientSecretCredential(
            settings.azure_tenant_id, settings.azure_client_id, settings.azure_client_secret
        )
    return ManagedIdentityCredential(client_id=settings.azure_client_id)


ObserveCall = Callable[[str], None]


class _ObservedTransport(AioHttpTransport):
    """Tells an observer about every Table Storage call once its answer is in."""

    def __init__(self, observe: ObserveCall) -> None:
        super().__init__()
        self._observe = observe

    async def send(self, request: Any, **kwargs: Any) -> Any:
        response = await super().send(request, **kwargs)
        self._observe("tables")
        return response


def _tables_credential(settings: Settings) -> Any:
    """Managed identity for a Tables endpoint (used when no connection string is set)."""
    from azure.identity.aio import ManagedIdentityCredential

    assert settings.tables_endpoint  # checked by load_settings
    return ManagedIdentityCredential(client_id=settings.azure_client_id)


def table_store(
    settings: Settings, *, observe: ObserveCall | None = None, retry: StorageRetry | None = None
) -> TableStore:
    """The one factory for Table Storage clients: the connection string, else the endpoint with the
    managed identity (load_settings made sure one of them is set)."""
    options: dict[str, Any] = {} if observe is None else {"transport": _ObservedTransport(observe)}
    if retry is not None:
        options["retry"] = retry
    if settings.tables_connection_string:
        return TableStore.from_connection_string(settings.tables_connection_string, **options)
    assert settings.tables_endpoint  # checked by load_settings
    return TableStore.from_endpoint(
        settings.tables_endpoint, credential=_tables_credential(settings), **options
    )


def _tables(
    settings: Settings, observe: ObserveCall | None = None, retry: StorageRetry | None = None
) -> TableState:
    return TableState(table_store(settings, observe=observe, retry=retry), prefix=settings.state_table_prefix)


def _goto_auth(settings: Settings, stack: AsyncExitStack) -> AbstractAsyncContextManager[GoToAuth]:
    """GoTo credentials: OAuth (refresh token in Key Vault), the legacy password grant, or a static
    sandbox token; Key Vault is reached with the Function's managed identity."""
    auth_settings = settings.goto_auth or load_goto_auth_settings(
        {
            "GOTO_ACCESS_TOKEN": settings.goto_access_token or "",
            "GOTO_SCIM_BASE_URL": settings.goto_scim_base_url,
        }
    )
    credential = None
    if auth_settings.mode == "authorization_code" and auth_settings.key_vault_url:
        from azure.identity.aio import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=settings.azure_client_id)
        stack.push_async_callback(credential.close)
    return open_goto_auth(auth_settings, credential=credential)


def _notifier(settings: Settings) -> Notifier:
    """The mail notifier on a TableStore of its own, built by the one factory (`_tables`: connection
    string or endpoint); the Notifier closes it."""
    return Notifier(settings.notifications, table_store(settings), prefix=settings.state_table_prefix)


@dataclass
class Clients:
    """The Graph and GoTo clients of one run (test-connection needs them without Table Storage)."""

    source: GraphSource
    scim: ScimClient
    graph_requests: list[int]
    goto_auth: GoToAuth | None
    licenses: GoToLicenses  # the Admin API over the same GoTo client and auth; no I/O until used


async def _open_clients(
    settings: Settings, stack: AsyncExitStack, observe_call: ObserveCall | None
) -> Clients:
    counter = [0]

    async def count(_: httpx.Request) -> None:
        counter[0] += 1

    def observer(kind: str) -> list[Callable[[httpx.Response], Awaitable[None]]]:
        async def observed(_: httpx.Response) -> None:
            if observe_call is not None:
                observe_call(kind)

        return [observed]

    graph_http = await stack.enter_async_context(
        httpx.AsyncClient(
            event_hooks={"request": [count], "response": observer("graph")},
            # the same HTTP/1.1 transport as GoTo's: a users-delta page cost 7-9 ms CPU over
            # httpcore + h11 + anyio, about 4.4 over it (msgraph's middleware stays on top)
            transport=client_transport(settings.graph_base_url, max_in_flight=GRAPH_IN_FLIGHT),
        )
    )
    credential = _graph_credential(settings)
    stack.push_async_callback(credential.close)
    graph = create_graph_client(
        base_url=settings.graph_base_url,
        credential=credential,
        http_client=graph_http,
        max_retries=GRAPH_MAX_RETRIES,
    )

    goto_auth = await stack.enter_async_context(_goto_auth(settings, stack))
    goto_http = await stack.enter_async_context(
        httpx.AsyncClient(
            base_url=settings.goto_scim_base_url.rstrip("/") + "/",
            auth=goto_auth,
            timeout=GOTO_TIMEOUT,
            event_hooks={"response": observer("goto")},
            # asyncio-native network stream: half the CPU per GoTo request went to anyio's (issue 15)
            transport=client_transport(
                settings.goto_scim_base_url,
                settings.goto_admin_base_url,
                max_in_flight=settings.goto_max_concurrency,
            ),
        )
    )
    scim = ScimClient(
        goto_http,
        dialect=ScimDialect.named(settings.goto_scim_dialect),
        throttle=Throttle(rate_per_second=settings.goto_rate_limit_per_second, retry=GOTO_RETRY),
    )
    licenses = open_licenses(
        goto_http,
        base_url=settings.goto_admin_base_url,
        scim=scim,
        assignment=settings.goto_license_assignment,
        rate_per_second=settings.goto_rate_limit_per_second,
        retry=GOTO_RETRY,
    )
    return Clients(GraphSource(graph), scim, counter, goto_auth, licenses)


CAPABILITIES_ROW = "scim-capabilities"


async def _remember_capabilities(
    stack: AsyncExitStack, state: TableState, scim: ScimClient, base_url: str
) -> None:
    """What GoTo was found to take (ServiceProviderConfig, forms it refused) is read once and kept in
    state: a new run starts where the last stopped, instead of relearning it from 400s. Learnt for
    another base URL, it is ignored."""
    row = await state.get_control(CAPABILITIES_ROW)
    if row is not None and row.get("BaseUrl") == base_url:
        try:
            scim.capabilities = Capabilities.from_dict(json.loads(str(row.get("Value") or "{}")))
        except ValueError as exc:
            log.warning("ignoring the stored SCIM capabilities: %s", exc)
    known = scim.capabilities.to_dict()

    async def save() -> None:
        learnt = scim.capabilities.to_dict()
        if learnt == known:
            return
        try:
            await state.set_control(CAPABILITIES_ROW, {"BaseUrl": base_url, "Value": json.dumps(learnt)})
        except StorageError as exc:  # relearnt next time; never the reason a run fails
            log.warning("could not store what GoTo was found to take: %s", exc)

    stack.push_async_callback(save)


@asynccontextmanager
async def open_clients(settings: Settings) -> AsyncIterator[Clients]:
    """The Graph and GoTo clients alone: `async with open_clients(settings) as clients`."""
    async with AsyncExitStack() as stack:
        yield await _open_clients(settings, stack, None)


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    observe_call: ObserveCall | None = None,
    storage_retry: StorageRetry | None = None,
) -> AsyncIterator[Services]:
    """Every client of one run. `observe_call(kind)` hears of each Graph, GoTo and Tables call once
    answered (accounting, and the crash tests that stop a cycle at any call)."""
    async with AsyncExitStack() as stack:
        clients = await _open_clients(settings, stack, observe_call)
        _freeze_start_up_heap()
        state = await stack.enter_async_context(_tables(settings, observe_call, storage_retry))
        await _remember_capabilities(stack, state, clients.scim, settings.goto_scim_base_url)
        alerts = None
        if settings.notifications.enabled:
            notifier = await stack.enter_async_context(_notifier(settings))
            alerts = MailAlerts(notifier, threshold=settings.deprovision_threshold)
        yield Services(
            clients.source,
            clients.scim,
            state,
            clients.graph_requests,
            alerts,
            clients.goto_auth,
            clients.licenses,
        )


_heap_frozen = False
# A young collection every 20,000 net allocations, not 700: a page of 100 users makes ~10,000 objects
# that live until the page is on record, so at 700 each was walked by several young collections
# before it died (the cycle's objects are garbage by refcount, not cycles; the older generations'
# thresholds stay as they are). python -m bench.scenarios planning: 10-15 % less CPU.
GC_YOUNG_THRESHOLD = 20_000


def _freeze_start_up_heap() -> None:
    """Once per process, with the imports done and the first clients built: every full collection
    walks every tracked object, and the SDKs' modules and classes are most of them for the whole
    run; frozen, collections leave them out (a 20,000-user dry run spent 0.6-0.75 s CPU in full
    collections, 0.2-0.27 s frozen). What a cycle makes is collected as before. No collection
    first: it costs 50-100 ms at every CLI start, to free the little the imports left behind."""
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


async def run_sync(
    settings: Settings,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    initiated_by: str = "timer",
    lease_wait: float = 0.0,
    on_lease_wait: Waiting | None = None,
    mapping: MappingFile | None = None,
) -> CycleResult:
    """One cycle with fresh clients: what the timer and `python -m provisioning sync` both run.
    `mapping`: one the caller already loaded from MAPPINGS_FILE (else it is loaded here).

    `DRY_RUN=true` makes every cycle a dry run, whatever the caller asked. A recorded approval of
    staged deprovisions is applied by this run instead (SyncEngine.run_cycle).
    """
    dry_run = dry_run or settings.dry_run
    async with open_services(settings) as services:
        engine = services.engine(settings, mapping=mapping, progress=progress)
        return await engine.run_cycle(
            dry_run=dry_run, initiated_by=initiated_by, lease_wait=lease_wait, on_lease_wait=on_lease_wait
        )


async def settle_staged(
    settings: Settings, *, approve: bool, initiated_by: str = "admin", lease_wait: float = 0.0
) -> CycleResult:
    """Apply (approve) or drop (reject) the deprovisions held by the accidental-deletion guard."""
    async with open_services(settings) as services:
        engine = services.engine(settings)
        return await engine.staged.settle(approve=approve, initiated_by=initiated_by, lease_wait=lease_wait)


async def request_staged_approval(settings: Settings, *, initiated_by: str = "api") -> dict[str, Any]:
    """Record an approval for the next timer tick (an HTTP request may not run for minutes)."""
    async with open_services(settings) as services:
        return await services.engine(settings).staged.request_approval(initiated_by=initiated_by)


def open_state(settings: Settings, *, retry: StorageRetry | None = None) -> TableState:
    """The state tables alone (status, logs): `async with open_state(settings) as state`."""
    return _tables(settings, retry=retry)


async def prune_audit(settings: Settings, *, now: datetime | None = None) -> int:
    """Drop audit records older than AUDIT_RETENTION_DAYS (Entra keeps 30 days); the timer calls it."""
    moment = now or datetime.now(UTC)
    async with open_state(settings) as state:
        assert state.audit_log is not None
        return await state.audit_log.prune(moment - timedelta(days=settings.audit_retention_days))
