"""Graph change notifications for `/users` and `/groups`, as the simulator sends them.

What it follows (../shared/reference/graph.md, "Change notifications for users and groups"):
- `POST /subscriptions` validates the notification URL first: a POST with `?validationToken=…` that
  must answer 200 `text/plain` with the token within 10 s (the lifecycle URL too), else 400.
  At most 41,760 minutes of lifetime; a second subscription on the same resource and changeType
  is refused with 409. `PATCH` renews (the expiry only), `DELETE` removes,
  `POST /subscriptions/{id}/reauthorize` clears a pending reauthorization.
- A change to a user or group (watched through the tenant's version stamps: properties, lifecycle,
  memberships) becomes a notification with only the id (`resource` `Users/{id}`, `resourceData.id`,
  `clientState`, no resource data), POSTed to every live subscription on that resource; creation
  and soft delete are `updated`, a hard delete `deleted`. Notifications found together go in one
  POST (`value` holds several), as Graph batches them.
- An answer that is not 2xx within 3 s is retried a few times (Graph: with backoff for up to 4 hours).
- Test knobs: `duplicates` (each notification sent again), `drop_next` (the next changes are lost,
  as a missed notification is), `require_reauthorization(id)` (the lifecycle event), `forget(id)`
  (the subscription is gone behind the client's back), `advance(delta)` (the clock moves).

One daemon thread watches and delivers while a subscription exists; `close()` stops it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from sandbox.graph.constants import TENANT_ID
from sandbox.graph.tenant import Tenant

MAX_LIFETIME_MINUTES = 41_760
VALIDATION_TIMEOUT_SECONDS = 10.0
DELIVERY_DEADLINE_SECONDS = 3.0
RESOURCES = {"/users": ("Users", "#Microsoft.Graph.User"), "/groups": ("Groups", "#Microsoft.Graph.Group")}
CHANGE_TYPES = frozenset({"updated", "deleted"})


class SubscriptionError(Exception):
    """A request Graph refuses: `status` and Graph's error `code`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Subscription:
    id: str
    resource: str  # "/users" | "/groups"
    change_type: str  # "updated,deleted"
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: datetime
    reauthorization_required: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "changeType": self.change_type,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "clientState": self.client_state,
            "expirationDateTime": _iso(self.expiration),
            "applicationId": "sandbox",
            "creatorId": "sandbox",
        }


@dataclass
class Delivery:
    """One POST the simulator made: what, where (query string kept), the answer and its time."""

    kind: str  # validation | change | lifecycle
    url: str
    body: dict[str, Any] | None
    status: int | None  # None: no answer (refused, timed out)
    seconds: float
    ids: list[str] = field(default_factory=list)


class SubscriptionHub:
    """The tenant's subscriptions and the thread that turns its changes into notifications."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        poll_interval: float = 0.02,
        retries: int = 2,
        retry_delay: float = 0.2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.tenant = tenant
        self.poll_interval = poll_interval
        self.retries = retries
        self.retry_delay = retry_delay
        self._clock = clock or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self.duplicates = 0
        self.drop_next = 0
        self.deliveries: list[Delivery] = []
        self._subscriptions: dict[str, Subscription] = {}
        self._explicit: list[tuple[str, str, str]] = []  # (resource, id, changeType)
        self._lock = threading.RLock()
        self._seen = tenant.version
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(timeout=VALIDATION_TIMEOUT_SECONDS)

    # ------------------------------------------------------------------ the Graph API

    def now(self) -> datetime:
        return self._clock() + self._offset

    def create(self, body: dict[str, Any]) -> Subscription:
        resource = "/" + str(body.get("resource") or "").strip("/").lower()
        if resource not in RESOURCES:
            raise SubscriptionError(
                400, "InvalidRequest", f"resource '{body.get('resource')}' is not supported"
            )
        change_type = _change_type(body.get("changeType"))
        url = str(body.get("notificationUrl") or "")
        if not url.startswith(("http://", "https://")):
            raise SubscriptionError(400, "InvalidRequest", "notificationUrl must be an absolute http(s) URL")
        client_state = body.get("clientState")
        if client_state is not None and len(str(client_state)) > 128:
            raise SubscriptionError(400, "InvalidRequest", "clientState is longer than 128 characters")
        expiration = self._expiration(body.get("expirationDateTime"))
        with self._lock:
            for existing in self._subscriptions.values():
                if existing.resource == resource and existing.change_type == change_type:
                    raise SubscriptionError(
                        409, "ExtensionError", "a subscription for this resource and changeType exists"
                    )
        lifecycle = body.get("lifecycleNotificationUrl")
        for target in (url, lifecycle):
            if target:
                self._validate(str(target))
        subscription = Subscription(
            id=str(uuid.uuid4()),
            resource=resource,
            change_type=change_type,
            notification_url=url,
            lifecycle_url=str(lifecycle) if lifecycle else None,
            client_state=None if client_state is None else str(client_state),
            expiration=expiration,
        )
        with self._lock:
            if not self._subscriptions:
                self._seen = self.tenant.version  # changes before the first subscription are not sent
            self._subscriptions[subscription.id] = subscription
        self._ensure_thread()
        return subscription

    def get(self, subscription_id: str) -> Subscription:
        with self._lock:
            found = self._subscriptions.get(subscription_id)
            if found is None or found.expiration <= self.now():
                raise SubscriptionError(
                    404, "ResourceNotFound", f"The object was not found: subscription {subscription_id}"
                )
            return found

    def live(self) -> list[Subscription]:
        with self._lock:
            return [s for s in self._subscriptions.values() if s.expiration > self.now()]

    def update(self, subscription_id: str, body: dict[str, Any]) -> Subscription:
        extra = set(body) - {"expirationDateTime", "notificationUrl"}
        if extra:
            raise SubscriptionError(400, "InvalidRequest", f"cannot update {sorted(extra)}")
        subscription = self.get(subscription_id)
        if "expirationDateTime" in body:
            expiration = self._expiration(body["expirationDateTime"])
            with self._lock:
                subscription.expiration = expiration
                subscription.reauthorization_required = False  # renewing reauthorizes as well
        if "notificationUrl" in body:
            self._validate(str(body["notificationUrl"]))
            subscription.notification_url = str(body["notificationUrl"])
        return subscription

    def delete(self, subscription_id: str) -> None:
        self.get(subscription_id)
        self.forget(subscription_id)

    def reauthorize(self, subscription_id: str) -> None:
        subscription = self.get(subscription_id)
        with self._lock:
            subscription.reauthorization_required = False

    # ------------------------------------------------------------------ test knobs

    def forget(self, subscription_id: str) -> None:
        """The subscription is gone (deleted behind the client's back, or expired for good)."""
        with self._lock:
            self._subscriptions.pop(subscription_id, None)

    def advance(self, delta: timedelta) -> None:
        """Move the simulator's clock: subscriptions past their expiry stop receiving and read 404."""
        with self._lock:
            self._offset += delta
            for sub in [s for s in self._subscriptions.values() if s.expiration <= self.now()]:
                del self._subscriptions[sub.id]

    def notify(self, resource: str, object_id: str, change_type: str = "updated") -> None:
        """Send a notification about `object_id` now, whether or not it changed (a duplicate)."""
        with self._lock:
            self._explicit.append((resource, object_id, change_type))
            self._idle.clear()
        self._ensure_thread()

    def require_reauthorization(self, subscription_id: str) -> Delivery:
        """Graph's `reauthorizationRequired` lifecycle event, to the lifecycle URL (else the
        notification URL); the subscription then needs a reauthorize or a renewal."""
        subscription = self.get(subscription_id)
        subscription.reauthorization_required = True
        event = {
            "subscriptionId": subscription.id,
            "subscriptionExpirationDateTime": _iso(subscription.expiration),
            "tenantId": TENANT_ID,
            "clientState": subscription.client_state,
            "lifecycleEvent": "reauthorizationRequired",
        }
        return self._post("lifecycle", subscription.lifecycle_url or subscription.notification_url, [event])

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every change seen so far has been delivered (or given up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(timeout=0.01):
                with self._lock:
                    if self._idle.is_set() and self.tenant.version == self._seen and not self._explicit:
                        return True
        return False

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http.close()

    # ------------------------------------------------------------------ internals

    def _expiration(self, value: Any) -> datetime:
        try:
            expiration = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise SubscriptionError(400, "InvalidRequest", "expirationDateTime is not a date-time") from None
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=UTC)
        now = self.now()
        if expiration <= now:
            raise SubscriptionError(400, "InvalidRequest", "expirationDateTime is in the past")
        if expiration > now + timedelta(minutes=MAX_LIFETIME_MINUTES):
            raise SubscriptionError(
                400,
                "InvalidRequest",
                f"Subscription expiration can only be {MAX_LIFETIME_MINUTES} minutes in the future.",
            )
        return expiration

    def _validate(self, url: str) -> None:
        token = (
            f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        )
        started = time.monotonic()
        answer: httpx.Response | None = None
        with contextlib.suppress(httpx.HTTPError):
            # appended, not `params=`: httpx would drop the URL's own query string (the function key)
            separator = "&" if "?" in url else "?"
            answer = self._http.post(
                f"{url}{separator}{urlencode({'validationToken': token})}",
                headers={"Content-Type": "text/plain"},
                timeout=VALIDATION_TIMEOUT_SECONDS,
            )
        seconds = time.monotonic() - started
        status = answer.status_code if answer is not None else None
        with self._lock:
            self.deliveries.append(Delivery("validation", url, None, status, seconds))
        ok = (
            answer is not None
            and answer.status_code == 200
            and answer.headers.get("content-type", "").split(";")[0].strip() == "text/plain"
            and answer.text == token
            and seconds <= VALIDATION_TIMEOUT_SECONDS
        )
        if not ok:
            raise SubscriptionError(
                400, "ValidationError", "Subscription validation request failed. Must respond with 200 OK."
            )

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="sandbox-graph-notify", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            with self._lock:
                if self.tenant.version == self._seen and not self._explicit:
                    self._idle.set()
                    continue
                self._idle.clear()  # before `_seen` moves, so wait_idle never sees a change half sent
            changes = self._changes()
            if changes:
                self._deliver(changes)

    def _changes(self) -> list[tuple[str, str, str]]:
        """(resource, id, changeType) of everything changed since the last look, and explicit ones."""
        with self.tenant.lock:
            version = self.tenant.version
            seen = self._seen if self._seen <= version else 0  # a reset tenant starts again
            found: list[tuple[str, str, str]] = []
            if version != seen:
                for user in self.tenant.user_records():
                    stamps = [user.lifecycle, *user.prop_versions.values()]
                    if max(stamps) > seen:
                        kind = "deleted" if user.state == "hard_deleted" else "updated"
                        found.append(("/users", user.id, kind))
                for group in self.tenant.group_records():
                    stamps = [group.lifecycle, *group.prop_versions.values()]
                    stamps += [link.version for link in group.members.values()]
                    if max(stamps) > seen:
                        kind = "deleted" if group.deleted and not group.restorable else "updated"
                        found.append(("/groups", group.id, kind))
            self._seen = version
        with self._lock:
            found.extend(self._explicit)
            self._explicit.clear()
            if self.drop_next and found:
                lost = min(self.drop_next, len(found))
                self.drop_next -= lost
                found = found[lost:]
        return found

    def _deliver(self, changes: list[tuple[str, str, str]]) -> None:
        for subscription in self.live():
            kinds = set(subscription.change_type.split(","))
            segment, odata_type = RESOURCES[subscription.resource]
            batch = [
                {
                    "subscriptionId": subscription.id,
                    "subscriptionExpirationDateTime": _iso(subscription.expiration),
                    "changeType": change,
                    "resource": f"{segment}/{object_id}",
                    "resourceData": {
                        "@odata.type": odata_type,
                        "@odata.id": f"{segment}/{object_id}",
                        "id": object_id,
                        "organizationId": TENANT_ID,
                    },
                    "clientState": subscription.client_state,
                    "tenantId": TENANT_ID,
                }
                for resource, object_id, change in changes
                if resource == subscription.resource and change in kinds
            ]
            for start in range(0, len(batch), 100):
                chunk = batch[start : start + 100]
                for _ in range(1 + self.duplicates):
                    self._post("change", subscription.notification_url, chunk)

    def _post(self, kind: str, url: str, value: list[dict[str, Any]]) -> Delivery:
        body = {"value": value}
        ids = [str(n.get("resourceData", {}).get("id", n.get("subscriptionId"))) for n in value]
        delivery = Delivery(kind, url, body, None, 0.0, ids)
        for attempt in range(1 + self.retries):
            started = time.monotonic()
            try:
                answer = self._http.post(
                    url,
                    content=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                    timeout=DELIVERY_DEADLINE_SECONDS * 2,
                )
                delivery = Delivery(kind, url, body, answer.status_code, time.monotonic() - started, ids)
            except httpx.HTTPError:
                delivery = Delivery(kind, url, body, None, time.monotonic() - started, ids)
            with self._lock:
                self.deliveries.append(delivery)
            delivered = delivery.status is not None and 200 <= delivery.status < 300
            if delivered and delivery.seconds <= DELIVERY_DEADLINE_SECONDS:
                break
            if attempt < self.retries and not self._stop.is_set():
                time.sleep(self.retry_delay * (2**attempt))
        return delivery


def _change_type(value: Any) -> str:
    parts = [p.strip() for p in str(value or "").split(",") if p.strip()]
    if not parts or not set(parts) <= CHANGE_TYPES:
        raise SubscriptionError(
            400, "InvalidRequest", "changeType must be updated and/or deleted for users and groups"
        )
    return ",".join(sorted(set(parts), key=parts.index))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
