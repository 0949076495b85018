"""Settings from the environment (Function app settings), validated once before any I/O.

Every setting is read through `provisioning.settings_reader`, which the GoTo credential and
notification sections use too: one reading of "not set" (empty counts as missing), one loopback
rule, unresolved Key Vault references refused, and every problem reported at once. Every problem
names the setting it comes from; secrets are kept out of repr() and messages.

CYCLE_TIME_BUDGET_SECONDS must leave the cycle time to stop cleanly inside the host's
`functionTimeout` (host.json next to function_app.py, read at load time): the budget is above 0 and
at most the timeout minus a margin of a fifth of it (at least 30 s), so 00:10:00 allows 480 s. An
absent `functionTimeout` is Flex Consumption's default of 30 minutes; `-1` (unbounded) is taken as
the 60 minutes Flex grants a running execution when it scales in. The default budget (480 s) is
lowered to that ceiling when the timeout is shorter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from provisioning.goto_auth.settings import (
    DEFAULT_GOTO_SCIM_BASE_URL,
    GOTO_AUTH_SECRET_SETTINGS,
    GOTO_AUTH_SETTING_NAMES,
    GoToAuthSettings,
    read_goto_auth_settings,
)
from provisioning.notifications.settings import (
    CHANGE_SECRET_SETTINGS,
    CHANGE_SETTING_NAMES,
    ChangeNotificationSettings,
    read_change_notification_settings,
)
from provisioning.notify.settings import (
    NOTIFY_SECRET_SETTINGS,
    NOTIFY_SETTING_NAMES,
    NotificationSettings,
    read_notification_settings,
)
from provisioning.settings_reader import (
    SettingsReader,
    boolean,
    choice,
    guid,
    integer,
    ncrontab,
    number,
    storage_connection_string,
    url,
)

__all__ = [
    "DEFAULT_GOTO_SCIM_BASE_URL",
    "SANDBOX_ONLY_SETTINGS",
    "SECRET_SETTINGS",
    "SETTING_NAMES",
    "HardDeleteAction",
    "Settings",
    "budget_ceiling",
    "load_settings",
]

HardDeleteAction = Literal["disable", "delete"]
GroupDeprovisionAction = Literal["delete", "keep"]
LicenseAssignment = Literal["user", "license"]

DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_GOTO_ADMIN_BASE_URL = "https://api.getgo.com/admin/rest/v1"
DEFAULT_SYNC_SCHEDULE = "0 */10 * * * *"
DEFAULT_STATE_TABLE_PREFIX = "gotoprov"
DEFAULT_DEPROVISION_THRESHOLD = 500  # Entra's accidental-deletion default
DEFAULT_CYCLE_TIME_BUDGET_SECONDS = 480.0  # stop cleanly well inside host.json's 10-minute functionTimeout
DEFAULT_AUDIT_RETENTION_DAYS = 30  # what Entra keeps of its provisioning logs
DEFAULT_HARD_DELETE_ACTION: HardDeleteAction = (
    "disable"  # keep the GoTo account (and its meeting history), inactive
)
TABLES_ENDPOINT_SETTING = "AzureWebJobsStorage__tableServiceUri"
HOST_JSON = Path(__file__).resolve().parent.parent / "host.json"  # next to function_app.py

# Ranges: each message names the setting and what is allowed.
RATE_LIMIT_RANGE = (0.1, 1000.0)  # requests per second
MAX_CONCURRENCY_RANGE = (1, 256)
# The most GoTo requests in flight. Within it the engine keeps about rate x measured latency in
# flight (target/throttle.py), so a raised GoTo limit is filled without touching this.
DEFAULT_MAX_CONCURRENCY = (
    32  # 200 req/s at 80 ms needs ~25; more idle pooled connections cost CPU per request
)
# Members pushed to one GoTo group: GoTo documents 100 per request, and may cap a group's total at 100
# (goto.md: not settled). The pushed ids are kept on the group's link, so 1,000 is the ceiling.
DEFAULT_GROUP_MEMBER_CAP = 100
GROUP_MEMBER_CAP_RANGE = (1, 1000)
MAX_DEPROVISION_THRESHOLD = 10_000_000  # above any tenant; 0 holds every disable/delete
AUDIT_RETENTION_RANGE = (1, 3650)  # days: up to ten years
FLEX_DEFAULT_TIMEOUT_SECONDS = 30 * 60.0  # functionTimeout absent on Flex Consumption
UNBOUNDED_TIMEOUT_SECONDS = 60 * 60.0  # functionTimeout -1: Flex's grace for a running execution
MIN_BUDGET_MARGIN_SECONDS = 30.0


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
    "HARD_DELETE_ACTION",
    "CYCLE_TIME_BUDGET_SECONDS",
    "AUDIT_RETENTION_DAYS",
    "MAPPINGS_FILE",
    "GROUP_MEMBER_CAP",
    "GROUP_DEPROVISION_ACTION",
    "GOTO_ADMIN_BASE_URL",
    "GOTO_LICENSE_ASSIGNMENT",
    *NOTIFY_SETTING_NAMES,
    *CHANGE_SETTING_NAMES,
    *(name for name in GOTO_AUTH_SETTING_NAMES if name not in ("GOTO_ACCESS_TOKEN", "GOTO_SCIM_BASE_URL")),
)
# Only for local sandboxes; a deployment must not set them (infra/ is checked for their absence).
SANDBOX_ONLY_SETTINGS: frozenset[str] = frozenset({"GRAPH_ACCESS_TOKEN", "GOTO_ACCESS_TOKEN"})
SECRET_SETTINGS: frozenset[str] = (
    frozenset({"AZURE_CLIENT_SECRET", "GRAPH_ACCESS_TOKEN", "GOTO_ACCESS_TOKEN"})
    | NOTIFY_SECRET_SETTINGS
    | CHANGE_SECRET_SETTINGS
    | GOTO_AUTH_SECRET_SETTINGS
)

_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


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
    goto_max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # a cap: rate x measured latency is kept in flight
    sync_schedule: str = DEFAULT_SYNC_SCHEDULE
    state_table_prefix: str = DEFAULT_STATE_TABLE_PREFIX
    provisioning_enabled: bool = True
    dry_run: bool = False
    deprovision_threshold: int = DEFAULT_DEPROVISION_THRESHOLD
    skip_out_of_scope_deletions: bool = False
    hard_delete_action: HardDeleteAction = DEFAULT_HARD_DELETE_ACTION  # what a hard delete in Entra does
    cycle_time_budget_seconds: float = DEFAULT_CYCLE_TIME_BUDGET_SECONDS
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    mappings_file: str | None = None  # the reviewed mapping file; None: the built-in default
    group_member_cap: int = DEFAULT_GROUP_MEMBER_CAP  # a group over it is pushed truncated, and reported
    group_deprovision_action: GroupDeprovisionAction = "delete"  # an unassigned/deleted group in GoTo
    goto_admin_base_url: str = DEFAULT_GOTO_ADMIN_BASE_URL  # the Admin API (licenses)
    # How a license reaches an existing user (goto.md: unsure): PUT the user's licenseKeys ("user"),
    # or POST/DELETE the license's users ("license").
    goto_license_assignment: LicenseAssignment = "user"
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    # Graph change notifications (near-real-time provisioning); off without GRAPH_NOTIFICATION_URL
    change_notifications: ChangeNotificationSettings = field(default_factory=ChangeNotificationSettings)
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


def _timespan_seconds(text: str) -> float | None:
    """`[d.]hh:mm:ss` (a .NET TimeSpan, as host.json writes it) in seconds; None when malformed."""
    match = _TIMESPAN.match(text.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def budget_ceiling(host_json: Path = HOST_JSON) -> tuple[float, str]:
    """The largest CYCLE_TIME_BUDGET_SECONDS host.json allows, and why (for the message).

    Raises ValueError when host.json's functionTimeout cannot be read.
    """
    try:
        document = json.loads(host_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = {}
    except (OSError, ValueError):
        raise ValueError(f"{host_json.name} is not readable JSON") from None
    timeout = document.get("functionTimeout") if isinstance(document, dict) else None
    if timeout is None:
        seconds, source = (
            FLEX_DEFAULT_TIMEOUT_SECONDS,
            "no functionTimeout in host.json: Flex's default 00:30:00",
        )
    elif str(timeout).strip() == "-1":
        seconds, source = (
            UNBOUNDED_TIMEOUT_SECONDS,
            "host.json functionTimeout -1, taken as Flex's 60-minute grace",
        )
    else:
        parsed = _timespan_seconds(str(timeout))
        if parsed is None or parsed <= 0:
            raise ValueError(f"host.json functionTimeout must be hh:mm:ss or -1, got {str(timeout)!r}")
        seconds, source = parsed, f"host.json functionTimeout {str(timeout).strip()}"
    margin = max(MIN_BUDGET_MARGIN_SECONDS, seconds / 5)
    return seconds - margin, f"{source} minus a {margin:g} s margin"


def _table_prefix(value: str) -> str:
    if not _TABLE_PREFIX.match(value):
        raise ValueError("must start with a letter and hold only letters and digits (at most 40)")
    return value


_hard_delete_choice = choice("disable", "delete")


def _hard_delete_action(value: str) -> HardDeleteAction:
    return "delete" if _hard_delete_choice(value) == "delete" else "disable"


_group_choice = choice("delete", "keep")
_assignment_choice = choice("user", "license")


def _group_deprovision_action(value: str) -> GroupDeprovisionAction:
    return "keep" if _group_choice(value) == "keep" else "delete"


def _license_assignment(value: str) -> LicenseAssignment:
    return "license" if _assignment_choice(value) == "license" else "user"


def _read_budget(r: SettingsReader, host_json: Path) -> float:
    name = "CYCLE_TIME_BUDGET_SECONDS"
    try:
        ceiling, why = budget_ceiling(host_json)
    except ValueError as exc:
        r.problem(name, f"cannot be checked: {exc}")
        return DEFAULT_CYCLE_TIME_BUDGET_SECONDS
    if ceiling <= 0:
        r.problem(name, f"has no room: {why} leaves nothing for a cycle")
        return DEFAULT_CYCLE_TIME_BUDGET_SECONDS
    check = number(0, ceiling, above=True, noun="a number of seconds", why=why)
    return r.value(name, check, min(DEFAULT_CYCLE_TIME_BUDGET_SECONDS, ceiling))


def read_settings(r: SettingsReader, *, host_json: Path = HOST_JSON) -> Settings:
    """Every setting through `r`, problems left in `r` (so a caller may add its own)."""
    sp_id = r.required("ENTRA_SERVICE_PRINCIPAL_ID", guid)
    connection = r.optional("AzureWebJobsStorage", storage_connection_string)
    endpoint = r.optional(TABLES_ENDPOINT_SETTING, url)
    if connection is None and endpoint is None and not r.has_problem(TABLES_ENDPOINT_SETTING):
        r.missing(
            "AzureWebJobsStorage",
            f"is required (a connection string), or set {TABLES_ENDPOINT_SETTING} (managed identity)",
        )
    graph_token = r.raw("GRAPH_ACCESS_TOKEN")
    tenant = r.optional("AZURE_TENANT_ID", guid)
    client_id = r.optional("AZURE_CLIENT_ID", guid)
    secret = r.raw("AZURE_CLIENT_SECRET")
    if secret and not graph_token:
        for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID"):
            r.missing(name, "is required when AZURE_CLIENT_SECRET is set")
    low_rate, high_rate = RATE_LIMIT_RANGE
    low_conc, high_conc = MAX_CONCURRENCY_RANGE
    low_days, high_days = AUDIT_RETENTION_RANGE
    return Settings(
        service_principal_id=sp_id or "",
        tables_connection_string=connection,
        tables_endpoint=endpoint if connection is None else None,
        graph_base_url=r.value("GRAPH_BASE_URL", url, DEFAULT_GRAPH_BASE_URL),
        graph_access_token=graph_token,
        azure_tenant_id=tenant,
        azure_client_id=client_id,
        azure_client_secret=secret,
        goto_scim_base_url=r.value("GOTO_SCIM_BASE_URL", url, DEFAULT_GOTO_SCIM_BASE_URL),
        goto_access_token=r.raw("GOTO_ACCESS_TOKEN"),
        goto_rate_limit_per_second=r.value(
            "GOTO_RATE_LIMIT_PER_SECOND", number(low_rate, high_rate, unit=" requests/s"), 10.0
        ),
        goto_scim_dialect=r.value("GOTO_SCIM_DIALECT", choice("goto", "rfc7644"), "goto"),
        goto_max_concurrency=r.value(
            "GOTO_MAX_CONCURRENCY",
            integer(low_conc, high_conc, noun="a whole number of requests"),
            DEFAULT_MAX_CONCURRENCY,
        ),
        sync_schedule=r.value("SYNC_SCHEDULE", ncrontab, DEFAULT_SYNC_SCHEDULE),
        state_table_prefix=r.value("STATE_TABLE_PREFIX", _table_prefix, DEFAULT_STATE_TABLE_PREFIX),
        provisioning_enabled=r.value("PROVISIONING_ENABLED", boolean, True),
        dry_run=r.value("DRY_RUN", boolean, False),
        deprovision_threshold=r.value(
            "DEPROVISION_THRESHOLD", integer(0, MAX_DEPROVISION_THRESHOLD), DEFAULT_DEPROVISION_THRESHOLD
        ),
        skip_out_of_scope_deletions=r.value("SKIP_OUT_OF_SCOPE_DELETIONS", boolean, False),
        hard_delete_action=r.value("HARD_DELETE_ACTION", _hard_delete_action, DEFAULT_HARD_DELETE_ACTION),
        cycle_time_budget_seconds=_read_budget(r, host_json),
        audit_retention_days=r.value(
            "AUDIT_RETENTION_DAYS",
            integer(low_days, high_days, noun="a whole number of days"),
            DEFAULT_AUDIT_RETENTION_DAYS,
        ),
        mappings_file=r.raw("MAPPINGS_FILE") or None,
        group_member_cap=r.value(
            "GROUP_MEMBER_CAP",
            integer(*GROUP_MEMBER_CAP_RANGE, noun="a whole number of members"),
            DEFAULT_GROUP_MEMBER_CAP,
        ),
        group_deprovision_action=r.value("GROUP_DEPROVISION_ACTION", _group_deprovision_action, "delete"),
        goto_admin_base_url=r.value("GOTO_ADMIN_BASE_URL", url, DEFAULT_GOTO_ADMIN_BASE_URL),
        goto_license_assignment=r.value("GOTO_LICENSE_ASSIGNMENT", _license_assignment, "user"),
        notifications=read_notification_settings(r),
        change_notifications=read_change_notification_settings(r),
        goto_auth=read_goto_auth_settings(r),
    )


def load_settings(env: Mapping[str, str] | None = None, *, host_json: Path = HOST_JSON) -> Settings:
    """Read and validate every setting; raise one ConfigError naming each bad one.

    `host_json` is where functionTimeout is read (tests pass a temporary one).
    """
    reader = SettingsReader(env)
    settings = read_settings(reader, host_json=host_json)
    reader.raise_if_problems()
    return settings
