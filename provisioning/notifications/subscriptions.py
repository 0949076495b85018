"""Keep the `/users` and `/groups` subscriptions alive: create, renew, reauthorize, recreate.

The subscription timer calls `ensure()`: a resource without a row, whose subscription Graph no
longer has (404), or whose notification URL or clientState changed, gets a new subscription; one
that expires within `RENEW_WITHIN` is renewed (PATCH expirationDateTime to now + `LIFETIME`, under
Graph's 41,760-minute ceiling). A `reauthorizationRequired` lifecycle event (through the queue) is
answered with `POST /subscriptions/{id}/reauthorize`, and by a renewal if that is refused; an
unknown subscription id is ignored (it is not ours). Rows live in Table Storage
(`{STATE_TABLE_PREFIX}subscriptions`, through TableStore): the id, expiry, and fingerprints of the
URL and clientState (never the values). `missed` is not documented for users and groups: the
delta cycle is the backstop for a notification that never came. Before creating, the webhook is
sent the handshake once itself, so Graph's 10-second validation finds it warm.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.subscription import Subscription

from provisioning.config import Settings
from provisioning.service import _graph_credential, table_store
from provisioning.source.graph_client import create_graph_client
from provisioning.state.tablestore import TableStore

log = logging.getLogger(__name__)

MAX_LIFETIME_MINUTES = 41_760  # Graph's ceiling for users and groups
LIFETIME = timedelta(minutes=MAX_LIFETIME_MINUTES - 10)  # a margin for clock skew
RENEW_WITHIN = timedelta(days=3)  # the hourly timer renews long before expiry
RESOURCES = ("/users", "/groups")
CHANGE_TYPE = "updated,deleted"
PARTITION = "subscription"
TABLE = "subscriptions"
WARM_TIMEOUT_SECONDS = 60.0


@dataclass
class SubscriptionRow:
    resource: str
    subscription_id: str
    expiration: datetime
    url_fingerprint: str
    state_fingerprint: str


def fingerprint(value: str) -> str:
    """Enough to notice a change, useless to recover the value."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class SubscriptionManager:
    """The subscriptions of one deployment over a Graph client and a Table."""

    def __init__(
        self,
        graph: GraphServiceClient,
        store: TableStore,
        *,
        notification_url: str,
        client_state: str,
        table_name: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.graph = graph
        self.store = store
        self.notification_url = notification_url
        self.client_state = client_state
        self.table_name = table_name
        self.clock = clock or (lambda: datetime.now(UTC))

    async def ensure(self) -> dict[str, str]:
        """resource -> what was done: created | renewed | recreated | kept."""
        await self.store.open_tables([self.table_name])
        done: dict[str, str] = {}
        for resource in RESOURCES:
            done[resource] = await self._ensure_one(resource)
        return done

    async def handle_lifecycle(self, subscription_id: str, event: str) -> str:
        await self.store.open_tables([self.table_name])
        row = next(
            (
                r
                for r in [await self._row(res) for res in RESOURCES]
                if r and r.subscription_id == subscription_id
            ),
            None,
        )
        if row is None:
            log.warning("lifecycle event %s for a subscription that is not ours; ignored", event)
            return f"{event}: ignored (unknown subscription)"
        if event != "reauthorizationRequired":
            # subscriptionRemoved / missed are not documented for users and groups; recreate to be safe
            return f"{event}: {await self._ensure_one(row.resource)}"
        builder = self.graph.subscriptions.by_subscription_id(subscription_id)
        try:
            await builder.reauthorize.post()
            return "reauthorizationRequired: reauthorized"
        except ODataError as exc:
            if exc.response_status_code == 404:
                await self._drop(row.resource)
                return f"reauthorizationRequired: {await self._ensure_one(row.resource)}"
            log.warning("reauthorize refused (%s); renewing instead", exc.response_status_code)
        return f"reauthorizationRequired: {await self._renew(row)}"

    # ------------------------------------------------------------------ internals

    async def _ensure_one(self, resource: str) -> str:
        row = await self._row(resource)
        if row is not None and (
            row.url_fingerprint != fingerprint(self.notification_url)
            or row.state_fingerprint != fingerprint(self.client_state)
        ):
            await self._delete_remote(row.subscription_id)
            await self._drop(resource)
            return await self._create(resource, "recreated")
        if row is None:
            return await self._create(resource, "created")
        try:
            await self.graph.subscriptions.by_subscription_id(row.subscription_id).get()
        except ODataError as exc:
            if exc.response_status_code != 404:
                raise
            await self._drop(resource)
            return await self._create(resource, "recreated")
        if row.expiration - self.clock() <= RENEW_WITHIN:
            return await self._renew(row)
        return "kept"

    async def _warm(self) -> None:
        """Wake the webhook before Graph validates it: a cold start over 10 s fails the validation
        (graph.md), so the same handshake is sent first, from here, and its answer ignored."""
        separator = "&" if "?" in self.notification_url else "?"
        try:
            async with httpx.AsyncClient(timeout=WARM_TIMEOUT_SECONDS) as http:
                await http.post(f"{self.notification_url}{separator}validationToken=warm-up")
        except httpx.HTTPError as exc:
            log.warning(
                "the webhook did not answer a warm-up handshake (%s); creating anyway", type(exc).__name__
            )

    async def _create(self, resource: str, done: str) -> str:
        await self._warm()
        expiration = self.clock() + LIFETIME
        body = Subscription(
            change_type=CHANGE_TYPE,
            notification_url=self.notification_url,
            lifecycle_notification_url=self.notification_url,
            resource=resource,
            expiration_date_time=expiration,
            client_state=self.client_state,
        )
        try:
            created = await self.graph.subscriptions.post(body)
        except ODataError as exc:
            if exc.response_status_code == 409:
                # one exists that we have no row for (a lost row): find it, adopt it, renew it
                adopted = await self._adopt(resource)
                if adopted is not None:
                    return f"{done} (adopted)"
            raise
        assert created is not None and created.id is not None
        await self._save(resource, created.id, created.expiration_date_time or expiration)
        log.info("Graph subscription for %s %s, expires %s", resource, done, expiration.isoformat())
        return done

    async def _adopt(self, resource: str) -> SubscriptionRow | None:
        listing = await self.graph.subscriptions.get()
        for found in listing.value if listing and listing.value else []:
            if (found.resource or "").lower() == resource and found.id:
                row = await self._save(resource, found.id, found.expiration_date_time or self.clock())
                await self._renew(row)
                return row
        return None

    async def _renew(self, row: SubscriptionRow) -> str:
        expiration = self.clock() + LIFETIME
        try:
            await self.graph.subscriptions.by_subscription_id(row.subscription_id).patch(
                Subscription(expiration_date_time=expiration)
            )
        except ODataError as exc:
            if exc.response_status_code != 404:
                raise
            await self._drop(row.resource)
            return await self._create(row.resource, "recreated")
        await self._save(row.resource, row.subscription_id, expiration)
        return "renewed"

    async def _delete_remote(self, subscription_id: str) -> None:
        try:
            await self.graph.subscriptions.by_subscription_id(subscription_id).delete()
        except ODataError as exc:
            if exc.response_status_code != 404:
                raise

    async def _row(self, resource: str) -> SubscriptionRow | None:
        entity = await self.store.table(self.table_name).get(PARTITION, resource.strip("/"))
        if entity is None:
            return None
        return SubscriptionRow(
            resource=resource,
            subscription_id=str(entity["SubscriptionId"]),
            expiration=datetime.fromisoformat(str(entity["ExpirationDateTime"])),
            url_fingerprint=str(entity.get("UrlFingerprint", "")),
            state_fingerprint=str(entity.get("ClientStateFingerprint", "")),
        )

    async def _save(self, resource: str, subscription_id: str, expiration: datetime) -> SubscriptionRow:
        row = SubscriptionRow(
            resource,
            subscription_id,
            expiration.astimezone(UTC),
            fingerprint(self.notification_url),
            fingerprint(self.client_state),
        )
        entity: dict[str, Any] = {
            "PartitionKey": PARTITION,
            "RowKey": resource.strip("/"),
            "SubscriptionId": subscription_id,
            "ExpirationDateTime": row.expiration.isoformat(),
            "UrlFingerprint": row.url_fingerprint,
            "ClientStateFingerprint": row.state_fingerprint,
            "UpdatedAt": self.clock().isoformat(),
        }
        await self.store.table(self.table_name).upsert(entity)
        return row

    async def _drop(self, resource: str) -> None:
        await self.store.table(self.table_name).delete(PARTITION, resource.strip("/"))

    async def rows(self) -> list[SubscriptionRow]:
        await self.store.open_tables([self.table_name])
        return [r for r in [await self._row(res) for res in RESOURCES] if r is not None]


@asynccontextmanager
async def open_subscription_manager(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[SubscriptionManager]:
    """The manager with its own Graph client and TableStore, closed on the way out."""
    change = settings.change_notifications
    if not change.enabled or not change.notification_url or not change.client_state:
        raise ValueError("change notifications are off: GRAPH_NOTIFICATION_URL is not set")
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient())
        credential = _graph_credential(settings)
        stack.push_async_callback(credential.close)
        graph = create_graph_client(
            base_url=settings.graph_base_url, credential=credential, http_client=http, max_retries=3
        )
        store = await stack.enter_async_context(table_store(settings))
        yield SubscriptionManager(
            graph,
            store,
            notification_url=change.notification_url,
            client_state=change.client_state,
            table_name=settings.state_table_prefix + TABLE,
            clock=clock,
        )


async def run_subscription_timer(settings: Settings) -> dict[str, str]:
    """What the timer runs: nothing when change notifications are off."""
    if not settings.change_notifications.enabled:
        return {}
    async with open_subscription_manager(settings) as manager:
        return await manager.ensure()
