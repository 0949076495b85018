"""The one settings reader every section uses (config, GoTo credentials, notifications).

One place decides what a setting's value is, so the sections cannot disagree:
- empty or whitespace-only counts as not set;
- a value still starting with `@Microsoft.KeyVault(` is a Key Vault reference App Service could not
  resolve: a problem naming the setting and the secret, never the rest of the value;
- a validator is a plain `str -> T` function that raises ValueError with a message saying what is
  allowed; the reader records it against the setting;
- every problem is collected, and `raise_if_problems` raises one ConfigError holding all of them.

A small module rather than pydantic-settings: the names are Azure's (`AzureWebJobsStorage__…`), the
messages are the product's own (the operator's guide quotes them), and a Key Vault reference must be
caught before any conversion would quote it back.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from provisioning.errors import ConfigError

KEY_VAULT_REFERENCE_PREFIX = "@Microsoft.KeyVault("
NCRONTAB_FIELDS = ("second", "minute", "hour", "day", "month", "weekday")

_T = TypeVar("_T")
_SECRET_NAME = re.compile(r"\A[0-9A-Za-z-]{1,127}\Z")
_STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CRON_FIELD = re.compile(r"^[0-9*/,-]+$")
_CRON_NAMES = {
    4: re.compile(r"^(?:[0-9*/,-]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)+$", re.IGNORECASE),
    5: re.compile(r"^(?:[0-9*/,-]|sun|mon|tue|wed|thu|fri|sat)+$", re.IGNORECASE),
}


class SettingsReader:
    """Reads settings from a mapping (the environment by default), collecting every problem."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.problems: list[tuple[str, str]] = []

    def problem(self, name: str, message: str) -> None:
        """Record a problem once (two sections may read the same setting with the same check)."""
        if (name, message) not in self.problems:
            self.problems.append((name, message))

    def has_problem(self, name: str) -> bool:
        return any(setting == name for setting, _ in self.problems)

    def present(self, name: str) -> bool:
        """Whether the setting holds anything at all (even a bad value or an unresolved reference)."""
        value = self.env.get(name)
        return value is not None and bool(value.strip())

    def raw(self, name: str) -> str | None:
        """The stripped value; None when not set, or when it is an unresolved Key Vault reference."""
        value = self.env.get(name)
        if value is None or not value.strip():
            return None
        value = value.strip()
        if is_key_vault_reference(value):
            self.problem(name, unresolved_reference_message(value))
            return None
        return value

    def optional(self, name: str, check: Callable[[str], _T]) -> _T | None:
        """The checked value, or None when not set or bad (then the problem is recorded)."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None

    def value(self, name: str, check: Callable[[str], _T], default: _T) -> _T:
        """The checked value, or `default` when not set or bad (then the problem is recorded)."""
        checked = self.optional(name, check)
        return default if checked is None else checked

    def required(
        self, name: str, check: Callable[[str], _T], message: str = "is required but not set"
    ) -> _T | None:
        """Like `optional`, and a setting that is not set at all is a problem saying `message`."""
        checked = self.optional(name, check)
        if checked is None:
            self.missing(name, message)
        return checked

    def missing(self, name: str, message: str) -> None:
        """Record `name message` unless the setting holds something (whose problem is already told)."""
        if not self.present(name) and not self.has_problem(name):
            self.problem(name, message)

    def error(self) -> ConfigError | None:
        if not self.problems:
            return None
        names = ", ".join(dict.fromkeys(name for name, _ in self.problems))
        detail = "; ".join(f"{name} {message}" for name, message in self.problems)
        return ConfigError(names, f"invalid settings: {detail}", problems=list(self.problems))

    def raise_if_problems(self) -> None:
        error = self.error()
        if error is not None:
            raise error


# --- Key Vault references -------------------------------------------------------------------------


def is_key_vault_reference(value: str) -> bool:
    return value.strip()[: len(KEY_VAULT_REFERENCE_PREFIX)].lower() == KEY_VAULT_REFERENCE_PREFIX.lower()


def key_vault_reference_secret(value: str) -> str | None:
    """The secret's name in `@Microsoft.KeyVault(SecretUri=…/secrets/NAME/…)` or `(…;SecretName=NAME)`."""
    inner = value.strip()[len(KEY_VAULT_REFERENCE_PREFIX) :].removesuffix(")")
    for part in inner.split(";"):
        key, _, item = part.partition("=")
        key, item = key.strip().lower(), item.strip()
        if key == "secretname":
            return item if _SECRET_NAME.match(item) else None
        if key == "secreturi":
            segments = [s for s in urlsplit(item).path.split("/") if s]
            if len(segments) >= 2 and segments[0].lower() == "secrets" and _SECRET_NAME.match(segments[1]):
                return segments[1]
            return None
    return None


def unresolved_reference_message(value: str) -> str:
    """Names the secret only: the vault, version and anything else of the value stay out."""
    secret = key_vault_reference_secret(value)
    which = f"to the secret '{secret}'" if secret else "(its secret name cannot be read)"
    return (
        f"is an unresolved Key Vault reference {which}: the secret does not exist or the app's "
        "identity may not read it; store the secret, then restart the app"
    )


# --- validators: str -> T, ValueError says what is allowed ----------------------------------------


def is_loopback_host(host: str | None) -> bool:
    """`localhost` or a loopback IP (127.0.0.0/8, ::1): the only hosts plain http/SMTP may reach."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname)


def url(value: str) -> str:
    """An absolute http(s) URL; plain http only to a loopback host. The trailing slash is dropped."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("must use https (plain http is allowed for loopback sandboxes only)")
    return value.rstrip("/")


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"must be a GUID (object id), got {value!r}") from None


def plain_text(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def key_vault_secret_name(value: str) -> str:
    if not _SECRET_NAME.match(value):
        raise ValueError("must be a Key Vault secret name: 1-127 letters, digits or dashes")
    return value


def choice(*options: str) -> Callable[[str], str]:
    """One of `options` (compared case-insensitively), returned as spelled in `options`."""
    listed = " or ".join(", ".join(f"'{o}'" for o in options).rsplit(", ", 1))

    def check(value: str) -> str:
        for option in options:
            if value.lower() == option.lower():
                return option
        raise ValueError(f"must be {listed}, got {value!r}")

    return check


def _range_text(low: float | None, high: float | None, *, above: bool, unit: str) -> str:
    def show(n: float) -> str:
        return f"{n:g}{unit}"

    if low is not None and high is not None:
        return f"above {show(low)} and at most {show(high)}" if above else f"from {show(low)} to {show(high)}"
    if low is not None:
        return f"above {show(low)}" if above else f"{show(low)} or more"
    return f"at most {show(high)}" if high is not None else "any"


def integer(
    low: int | None = None, high: int | None = None, *, noun: str = "a whole number", unit: str = ""
) -> Callable[[str], int]:
    """A whole number in [low, high]; the message names the range."""
    allowed = _range_text(low, high, above=False, unit=unit)

    def check(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"must be {noun} {allowed}, got {value!r}") from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"must be {noun} {allowed}, got {value!r}")
        return number

    return check


def number(
    low: float | None = None,
    high: float | None = None,
    *,
    above: bool = False,
    noun: str = "a number",
    unit: str = "",
    why: str = "",
) -> Callable[[str], float]:
    """A finite number in [low, high] (or (low, high] with `above`); the message names the range."""
    allowed = _range_text(low, high, above=above, unit=unit) + (f" ({why})" if why else "")

    def check(value: str) -> float:
        try:
            parsed = float(value)
        except ValueError:
            raise ValueError(f"must be {noun} {allowed}, got {value!r}") from None
        too_low = low is not None and (parsed <= low if above else parsed < low)
        too_high = high is not None and parsed > high
        if not math.isfinite(parsed) or too_low or too_high:
            raise ValueError(f"must be {noun} {allowed}, got {value!r}")
        return parsed

    return check


def ncrontab(value: str) -> str:
    """Six NCRONTAB fields, seconds first, each parsed by croniter; a schedule that never fires is bad.

    Days are matched on day-of-month AND weekday, as NCrontab does (`day_or=False`).
    """
    fields = value.split()
    if len(fields) != 6:
        raise ValueError(
            f"must be a six-field NCRONTAB expression 'sec min hour day month weekday', got {value!r}"
        )
    for index, part in enumerate(fields):
        pattern = _CRON_NAMES.get(index, _CRON_FIELD)
        if not pattern.match(part):
            raise ValueError(
                f"has a bad {NCRONTAB_FIELDS[index]} field {part!r} (field {index + 1} of "
                "'sec min hour day month weekday'): NCRONTAB allows numbers, *, ranges a-b, steps /n "
                "and lists a,b" + (" (or names such as jan, mon)" if index in _CRON_NAMES else "")
            )
        alone = " ".join(part if i == index else "*" for i in range(6))
        try:
            croniter(alone, second_at_beginning=True)
        except (CroniterBadCronError, ValueError, KeyError):
            raise ValueError(
                f"has a bad {NCRONTAB_FIELDS[index]} field {part!r} (field {index + 1} of "
                "'sec min hour day month weekday'): out of range or malformed"
            ) from None
    try:
        croniter(value, datetime.now(UTC), second_at_beginning=True, day_or=False).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError):
        raise ValueError(f"never fires (no date matches its day, month and weekday), got {value!r}") from None
    return value


def storage_connection_string(value: str) -> str:
    """A Table Storage connection string the SDK can use; messages name the parts, never a value."""
    pairs: dict[str, str] = {}
    for segment in value.split(";"):
        if not segment.strip():
            continue
        key, sep, item = segment.partition("=")
        if not sep or not key.strip():
            raise ValueError("is not a storage connection string (Name=value parts separated by ';')")
        pairs[key.strip().lower()] = item.strip()
    if "usedevelopmentstorage" in pairs:
        if pairs["usedevelopmentstorage"].lower() != "true":
            raise ValueError("has UseDevelopmentStorage other than true")
        return value
    endpoint = pairs.get("tableendpoint")
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("has a TableEndpoint that is not an absolute http(s) URL")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError("has a TableEndpoint with plain http (allowed for loopback sandboxes only)")
    if "sharedaccesssignature" in pairs:
        if not pairs["sharedaccesssignature"]:
            raise ValueError("has an empty SharedAccessSignature")
        if endpoint is None:
            raise ValueError("has a SharedAccessSignature but no TableEndpoint")
        return value
    account = pairs.get("accountname")
    if not account:
        raise ValueError(
            "is not a storage connection string: it needs AccountName and AccountKey, a TableEndpoint "
            "with a SharedAccessSignature, or UseDevelopmentStorage=true"
        )
    account_key = pairs.get("accountkey")
    if not account_key:
        raise ValueError("has AccountName but no AccountKey (or SharedAccessSignature with TableEndpoint)")
    if not _STORAGE_ACCOUNT.match(account):
        raise ValueError("has an AccountName that is not 3-24 lowercase letters and digits")
    try:
        base64.b64decode(account_key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("has an AccountKey that is not base64 (copy the key again)") from None
    protocol = pairs.get("defaultendpointsprotocol")
    if protocol is not None and protocol.lower() not in ("https", "http"):
        raise ValueError("has a DefaultEndpointsProtocol other than https or http")
    if endpoint is None:
        if protocol is None and "endpointsuffix" not in pairs:
            raise ValueError("needs DefaultEndpointsProtocol and EndpointSuffix, or a TableEndpoint")
        if protocol is not None and protocol.lower() == "http":
            raise ValueError("has DefaultEndpointsProtocol=http without a loopback TableEndpoint (use https)")
    return value
