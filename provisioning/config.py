"""Settings from the environment (Function app settings), validated once before any I/O.

Every problem names the setting it comes from; secrets are kept out of repr() and messages.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urlsplit

from provisioning.errors import ConfigError
from provisioning.goto_auth.settings import (
    GOTO_AUTH_SECRET_SETTINGS,
    GOTO_AUTH_SETTING_NAMES,
    GoToAuthSettings,
    load_goto_auth_settings,
)
from provisioning.notify.settings import (
    NOTIFY_SECRET_SETTINGS,
    NOTIFY_SETTING_NAMES,
    NotificationSettings,
    load_notification_settings,
)
from provisioning.state.audit_log import load_retention_days

DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_GOTO_SCIM_BASE_URL = "https://api.getgo.com/identity/v1"
DEFAULT_SYNC_SCHEDULE = "0 */10 * * * *"
DEFAULT_STATE_TABLE_PREFIX = "gotoprov"
DEFAULT_DEPROVISION_THRESHOLD = 500  # Entra's accidental-deletion default
DEFAULT_CYCLE_TIME_BUDGET_SECONDS = 480.0  # stop cleanly well inside host.json's 10-minute functionTimeout
TABLES_ENDPOINT_SETTING = "AzureWebJobsStorage__tableServiceUri"

# Every setting the product reads, in one place: infra/ must set each (a test checks for drift).
SETTING_NAMES: tuple[str, ...] = (
    "ENTRA_SERVICE_PRINCIPAL_ID",
    "GRAPH_BASE_URL",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "GRAPH_ACCESS_TOKEN",
    "GOTO_SCIM_BASE_URL",
    "GOTO_ACCESS_TOKEN",
    "GOTO_RATE_LIMIT_PER_SECOND",
    "GOTO_SCIM_DIALECT",
    "GOTO_MAX_CONCURRENCY",
    "AzureWebJobsStorage",
    TABLES_ENDPOINT_SETTING,
    "STATE_TABLE_PREFIX",
    "SYNC_SCHEDULE",
    "PROVISIONING_ENABLED",
    "DRY_RUN",
    "DEPROVISION_THRESHOLD",
    "SKIP_OUT_OF_SCOPE_DELETIONS",
    "CYCLE_TIME_BUDGET_SECONDS",
    "AUDIT_RETENTION_DAYS",
    *NOTIFY_SETTING_NAMES,
    *(name for name in GOTO_AUTH_SETTING_NAMES if name not in ("GOTO_ACCESS_TOKEN", "GOTO_SCIM_BASE_URL")),
)
# Only for local sandboxes; a deployment must not set them (infra/ is checked for their absence).
SANDBOX_ONLY_SETTINGS: frozenset[str] = frozenset({"GRAPH_ACCESS_TOKEN", "GOTO_ACCESS_TOKEN"})
SECRET_SETTINGS: frozenset[str] = (
    frozenset({"AZURE_CLIENT_SECRET", "GRAPH_ACCESS_TOKEN", "GOTO_ACCESS_TOKEN"})
    | NOTIFY_SECRET_SETTINGS
    | GOTO_AUTH_SECRET_SETTINGS
)

_T = TypeVar("_T")
_NCRONTAB_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?]+$")
_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")


@dataclass(frozen=True)
class Settings:
    """What a cycle needs. Built by `load_settings`; tests build it directly."""

    service_principal_id: str
    tables_connection_string: str | None = field(default=None, repr=False)
    tables_endpoint: str | None = None
    graph_base_url: str = DEFAULT_GRAPH_BASE_URL
    graph_access_token: str | None = field(default=None, repr=False)
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: str | None = field(default=None, repr=False)
    goto_scim_base_url: str = DEFAULT_GOTO_SCIM_BASE_URL
    goto_access_token: str | None = field(default=None, repr=False)
    goto_rate_limit_per_second: float = 10.0
    goto_scim_dialect: str = "goto"
    goto_max_concurrency: int = 4
    sync_schedule: str = DEFAULT_SYNC_SCHEDULE
    state_table_prefix: str = DEFAULT_STATE_TABLE_PREFIX
    provisioning_enabled: bool = True
    dry_run: bool = False
    deprovision_threshold: int = DEFAULT_DEPROVISION_THRESHOLD
    skip_out_of_scope_deletions: bool = False
    cycle_time_budget_seconds: float = DEFAULT_CYCLE_TIME_BUDGET_SECONDS
    audit_retention_days: int = 30
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    goto_auth: GoToAuthSettings | None = field(
        default=None, repr=False
    )  # None only in hand-built test settings

    @property
    def graph_credential_kind(self) -> str:
        """Which credential reaches Graph: a static token (sandbox), a client secret, or managed identity."""
        if self.graph_access_token:
            return "static-token"
        if self.azure_client_secret:
            return "client-secret"
        return "managed-identity"


class _Reader:
    """Collects every problem, so one run reports all bad settings at once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[tuple[str, str]] = []

    def raw(self, name: str) -> str | None:
        value = self.env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def required(self, name: str, check: Callable[[str], _T], default: _T | None = None) -> _T | None:
        value = self.raw(name)
        if value is None:
            if default is None:
                self.problems.append((name, "is required but not set"))
            return default
        try:
            return check(value)
        except ValueError as exc:
            self.problems.append((name, str(exc)))
            return default

    def optional(self, name: str, check: Callable[[str], _T]) -> _T | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as exc:
            self.problems.append((name, str(exc)))
            return None


def _guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"must be a GUID (object id), got {value!r}") from None


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("must use https (plain http is allowed for loopback sandboxes only)")
    return value.rstrip("/")


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number, got {value!r}") from None
    if not number > 0 or number != number or number == float("inf"):
        raise ValueError(f"must be a positive number, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise ValueError(f"must be at least 1, got {value!r}")
    return number


def _ncrontab(value: str) -> str:
    parts = value.split()
    if len(parts) != 6 or not all(_NCRONTAB_FIELD.match(p) for p in parts):
        raise ValueError(
            f"must be a six-field NCRONTAB expression 'sec min hour day month weekday', got {value!r}"
        )
    return value


def _connection_string(value: str) -> str:
    if value == "UseDevelopmentStorage=true":
        return value
    pairs = dict(p.split("=", 1) for p in value.split(";") if "=" in p)
    if "AccountName" not in pairs and "TableEndpoint" not in pairs:
        raise ValueError("is not a storage connection string (no AccountName or TableEndpoint)")
    return value


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, got {value!r}") from None
    if number < 0:
        raise ValueError(f"must be 0 or more, got {value!r}")
    return number


def _dialect(value: str) -> str:
    if value not in ("goto", "rfc7644"):
        raise ValueError(f"must be 'goto' or 'rfc7644', got {value!r}")
    return value


def _table_prefix(value: str) -> str:
    if not _TABLE_PREFIX.match(value):
        raise ValueError("must start with a letter and hold only letters and digits (at most 40)")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise one ConfigError naming each bad one."""
    r = _Reader(os.environ if env is None else env)
    sp_id = r.required("ENTRA_SERVICE_PRINCIPAL_ID", _guid)
    connection = r.optional("AzureWebJobsStorage", _connection_string)
    endpoint = r.optional(TABLES_ENDPOINT_SETTING, _url)
    if (
        connection is None
        and endpoint is None
        and not any(name in r.env for name in ("AzureWebJobsStorage", TABLES_ENDPOINT_SETTING))
    ):
        r.problems.append(
            ("AzureWebJobsStorage", f"is required (a connection string), or set {TABLES_ENDPOINT_SETTING}")
        )
    graph_token = r.raw("GRAPH_ACCESS_TOKEN")
    tenant = r.optional("AZURE_TENANT_ID", _guid)
    client_id = r.optional("AZURE_CLIENT_ID", _guid)
    secret = r.raw("AZURE_CLIENT_SECRET")
    if secret and not graph_token:
        for name, value in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client_id)):
            if value is None and r.raw(name) is None:
                r.problems.append((name, "is required when AZURE_CLIENT_SECRET is set"))
    settings = Settings(
        service_principal_id=sp_id or "",
        tables_connection_string=connection,
        tables_endpoint=endpoint if connection is None else None,
        graph_base_url=r.required("GRAPH_BASE_URL", _url, DEFAULT_GRAPH_BASE_URL) or DEFAULT_GRAPH_BASE_URL,
        graph_access_token=graph_token,
        azure_tenant_id=tenant,
        azure_client_id=client_id,
        azure_client_secret=secret,
        goto_scim_base_url=r.required("GOTO_SCIM_BASE_URL", _url, DEFAULT_GOTO_SCIM_BASE_URL)
        or DEFAULT_GOTO_SCIM_BASE_URL,
        goto_access_token=r.raw("GOTO_ACCESS_TOKEN"),
        goto_rate_limit_per_second=r.required("GOTO_RATE_LIMIT_PER_SECOND", _positive_float, 10.0) or 10.0,
        goto_scim_dialect=r.required("GOTO_SCIM_DIALECT", _dialect, "goto") or "goto",
        goto_max_concurrency=r.required("GOTO_MAX_CONCURRENCY", _positive_int, 4) or 4,
        sync_schedule=r.required("SYNC_SCHEDULE", _ncrontab, DEFAULT_SYNC_SCHEDULE) or DEFAULT_SYNC_SCHEDULE,
        state_table_prefix=r.required("STATE_TABLE_PREFIX", _table_prefix, DEFAULT_STATE_TABLE_PREFIX)
        or DEFAULT_STATE_TABLE_PREFIX,
    )
    threshold = r.required("DEPROVISION_THRESHOLD", _non_negative_int, DEFAULT_DEPROVISION_THRESHOLD)
    budget = r.required("CYCLE_TIME_BUDGET_SECONDS", _positive_float, DEFAULT_CYCLE_TIME_BUDGET_SECONDS)
    settings = replace(
        settings,
        provisioning_enabled=bool(r.required("PROVISIONING_ENABLED", _bool, True)),
        dry_run=bool(r.required("DRY_RUN", _bool, False)),
        deprovision_threshold=DEFAULT_DEPROVISION_THRESHOLD if threshold is None else threshold,
        skip_out_of_scope_deletions=bool(r.required("SKIP_OUT_OF_SCOPE_DELETIONS", _bool, False)),
        cycle_time_budget_seconds=budget or DEFAULT_CYCLE_TIME_BUDGET_SECONDS,
    )
    try:
        settings = replace(settings, audit_retention_days=load_retention_days(r.env))
    except ConfigError as exc:
        r.problems.extend(exc.problems)
    try:
        settings = replace(settings, notifications=load_notification_settings(r.env))
    except ConfigError as exc:
        r.problems.extend(exc.problems)
    try:
        settings = replace(settings, goto_auth=load_goto_auth_settings(r.env))
    except ConfigError as exc:
        r.problems.extend(exc.problems)
    if r.problems:
        names = ", ".join(name for name, _ in r.problems)
        detail = "; ".join(f"{name} {message}" for name, message in r.problems)
        raise ConfigError(names, f"invalid settings: {detail}", problems=r.problems)
    return settings
