"""Change-notification settings, validated once with the rest of config.

- GRAPH_NOTIFICATION_URL: the public URL of `POST /api/graph/notifications` with the function key
  (`?code=…`): Graph keeps the query string on every POST, so the key guards the route. Not set =
  change notifications off (the subscription timer creates nothing; the delta cycle still runs).
  It holds a key: kept out of repr() and messages.
- GRAPH_NOTIFICATION_CLIENT_STATE: the secret Graph echoes in every notification (a Key Vault
  reference in Azure), 16 to 128 printable ASCII characters; required with the URL.
- GRAPH_NOTIFICATION_QUEUE: the Storage queue between webhook and worker (default
  graph-change-notifications); its poison queue is `<name>-poison`.
- GRAPH_SUBSCRIPTION_SCHEDULE: NCRONTAB of the subscription timer (default hourly at minute 5).
- AzureWebJobsStorage__queueServiceUri: the queue endpoint for the managed identity when
  AzureWebJobsStorage (a connection string) is not set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from provisioning.settings_reader import SettingsReader, is_loopback_host, ncrontab, storage_connection_string

DEFAULT_QUEUE = "graph-change-notifications"
DEFAULT_SUBSCRIPTION_SCHEDULE = "0 5 * * * *"
QUEUE_ENDPOINT_SETTING = "AzureWebJobsStorage__queueServiceUri"
MAX_CLIENT_STATE = 128  # Graph: keep clientState within 128 characters
MIN_CLIENT_STATE = 16

CHANGE_SETTING_NAMES: tuple[str, ...] = (
    "GRAPH_NOTIFICATION_URL",
    "GRAPH_NOTIFICATION_CLIENT_STATE",
    "GRAPH_NOTIFICATION_QUEUE",
    "GRAPH_SUBSCRIPTION_SCHEDULE",
    QUEUE_ENDPOINT_SETTING,
)
CHANGE_SECRET_SETTINGS: frozenset[str] = frozenset(
    {"GRAPH_NOTIFICATION_URL", "GRAPH_NOTIFICATION_CLIENT_STATE"}
)

_QUEUE_NAME = re.compile(r"\A[a-z0-9](?:[a-z0-9]|-(?!-)){1,55}[a-z0-9]\Z")  # room for "-poison"
_PRINTABLE = re.compile(r"\A[\x21-\x7e]+\Z")


@dataclass(frozen=True)
class ChangeNotificationSettings:
    """`enabled` when GRAPH_NOTIFICATION_URL is set."""

    notification_url: str | None = field(default=None, repr=False)
    client_state: str | None = field(default=None, repr=False)
    queue_name: str = DEFAULT_QUEUE
    subscription_schedule: str = DEFAULT_SUBSCRIPTION_SCHEDULE
    queue_connection_string: str | None = field(default=None, repr=False)
    queue_endpoint: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.notification_url)

    @property
    def poison_queue_name(self) -> str:
        return f"{self.queue_name}-poison"


def _notification_url(value: str) -> str:
    """Never echoes the value: it carries the function key."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("must be an absolute https URL of /api/graph/notifications (value not shown)")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("must use https: Graph only notifies https endpoints (value not shown)")
    if not parts.path.rstrip("/").endswith("/api/graph/notifications"):
        raise ValueError("must end in /api/graph/notifications (value not shown)")
    if "code=" not in parts.query:
        raise ValueError("must carry the function key as ?code=… (Graph keeps it on every POST)")
    return value


def _client_state(value: str) -> str:
    if not MIN_CLIENT_STATE <= len(value) <= MAX_CLIENT_STATE:
        raise ValueError(f"must be {MIN_CLIENT_STATE} to {MAX_CLIENT_STATE} characters long")
    if not _PRINTABLE.match(value):
        raise ValueError("must hold printable ASCII characters only, no spaces")
    return value


def _queue_name(value: str) -> str:
    if not _QUEUE_NAME.match(value):
        raise ValueError(
            "must be 3 to 56 lower-case letters, digits and single hyphens (a Storage queue name)"
        )
    return value


def _queue_endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("must be https://<account>.queue.core.windows.net")
    return value.rstrip("/")


def read_change_notification_settings(r: SettingsReader) -> ChangeNotificationSettings:
    url = r.optional("GRAPH_NOTIFICATION_URL", _notification_url)
    client_state = r.optional("GRAPH_NOTIFICATION_CLIENT_STATE", _client_state)
    if r.present("GRAPH_NOTIFICATION_URL"):
        r.missing("GRAPH_NOTIFICATION_CLIENT_STATE", "is required when GRAPH_NOTIFICATION_URL is set")
    connection = r.optional("AzureWebJobsStorage", storage_connection_string)
    endpoint = r.optional(QUEUE_ENDPOINT_SETTING, _queue_endpoint)
    if r.present("GRAPH_NOTIFICATION_URL") and connection is None and endpoint is None:
        r.missing(
            QUEUE_ENDPOINT_SETTING,
            "is required with GRAPH_NOTIFICATION_URL when AzureWebJobsStorage is not set",
        )
    return ChangeNotificationSettings(
        notification_url=url,
        client_state=client_state,
        queue_name=r.value("GRAPH_NOTIFICATION_QUEUE", _queue_name, DEFAULT_QUEUE),
        subscription_schedule=r.value("GRAPH_SUBSCRIPTION_SCHEDULE", ncrontab, DEFAULT_SUBSCRIPTION_SCHEDULE),
        queue_connection_string=connection,
        queue_endpoint=endpoint if connection is None else None,
    )
