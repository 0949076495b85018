"""Notification settings (`NOTIFICATION_EMAIL`, `SMTP_*`), validated once like the rest of config.

- NOTIFICATION_EMAIL: recipients, comma-separated plain addresses; absent = notifications off.
- NOTIFICATION_FROM: sender; default goto-provisioning@<domain of the first recipient>. Relays such
  as Exchange Online want the authenticated mailbox here.
- SMTP_HOST: submission server, host name or IP only; required when e-mail is on.
- SMTP_PORT: default 587; 465 (implicit TLS) is refused.
- SMTP_USERNAME / SMTP_PASSWORD: SMTP AUTH, both or neither; the password is a secret (in Azure an
  app setting that is a Key Vault reference, so it arrives here as a plain environment variable).
- SMTP_STARTTLS: default true; false only for a loopback SMTP_HOST.

Without `NOTIFICATION_EMAIL` nothing else is required; whatever is set is still checked, so a typo
surfaces before it matters. Every problem names its setting; the SMTP password never appears in
repr() or messages.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from provisioning.errors import ConfigError

DEFAULT_SMTP_PORT = 587
DEFAULT_SENDER_LOCAL_PART = "goto-provisioning"

# Every setting this package reads; config.SETTING_NAMES takes them in.
NOTIFY_SETTING_NAMES: tuple[str, ...] = (
    "NOTIFICATION_EMAIL",
    "NOTIFICATION_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
)
NOTIFY_SECRET_SETTINGS: frozenset[str] = frozenset({"SMTP_PASSWORD"})

# Deliberately narrow: no display names, quotes, spaces or line breaks (nothing that could smuggle a
# header), one @, a domain of letters, digits, dots and hyphens.
_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class NotificationSettings:
    """Where failure notifications go and how. `enabled` is False when no recipient is set."""

    recipients: tuple[str, ...] = ()
    sender: str = ""
    smtp_host: str = ""
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.recipients)


def is_loopback(host: str) -> bool:
    """Plain SMTP is only acceptable when the message never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value) or ".." in value:
        raise ValueError(f"must be a plain e-mail address like ops@contoso.com, got {value!r}")
    return value


def _host(value: str) -> str:
    if "://" in value or "/" in value:
        raise ValueError(f"must be a host name only (no scheme or path), got {value!r}")
    if ":" in value and not _is_ip(value):
        raise ValueError(f"must be a host name only; put the port in SMTP_PORT, got {value!r}")
    if not (_is_ip(value) or _HOSTNAME.fullmatch(value)):
        raise ValueError(f"must be a host name or IP address, got {value!r}")
    return value


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"must be a port number, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"must be between 1 and 65535, got {value!r}")
    if port == 465:
        raise ValueError(
            "465 is implicit TLS (SMTPS), which is not supported: use the submission port 587 with STARTTLS"
        )
    return port


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def load_notification_settings(env: Mapping[str, str] | None = None) -> NotificationSettings:
    """Read and validate the notification settings; raise one ConfigError naming each bad one."""
    source = os.environ if env is None else env
    problems: list[tuple[str, str]] = []

    def raw(name: str) -> str | None:
        value = source.get(name)
        return value.strip() if value is not None and value.strip() else None

    recipients: list[str] = []
    if (listed := raw("NOTIFICATION_EMAIL")) is not None:
        for part in listed.split(","):
            if not part.strip():
                continue
            try:
                address = _address(part.strip())
            except ValueError as exc:
                problems.append(("NOTIFICATION_EMAIL", str(exc)))
                continue
            if address.lower() not in (r.lower() for r in recipients):
                recipients.append(address)
        if not recipients and not problems:
            problems.append(("NOTIFICATION_EMAIL", "holds no address (comma-separated addresses expected)"))
    enabled = bool(recipients) or listed is not None

    sender = ""
    if (from_value := raw("NOTIFICATION_FROM")) is not None:
        try:
            sender = _address(from_value)
        except ValueError as exc:
            problems.append(("NOTIFICATION_FROM", str(exc)))
    elif recipients:
        sender = f"{DEFAULT_SENDER_LOCAL_PART}@{recipients[0].rsplit('@', 1)[1]}"

    host = ""
    if (host_value := raw("SMTP_HOST")) is not None:
        try:
            host = _host(host_value)
        except ValueError as exc:
            problems.append(("SMTP_HOST", str(exc)))
    elif enabled:
        problems.append(("SMTP_HOST", "is required when NOTIFICATION_EMAIL is set"))

    port = DEFAULT_SMTP_PORT
    if (port_value := raw("SMTP_PORT")) is not None:
        try:
            port = _port(port_value)
        except ValueError as exc:
            problems.append(("SMTP_PORT", str(exc)))

    starttls = True
    if (tls_value := raw("SMTP_STARTTLS")) is not None:
        try:
            starttls = _flag(tls_value)
        except ValueError as exc:
            problems.append(("SMTP_STARTTLS", str(exc)))
    if not starttls and host and not is_loopback(host):
        problems.append(
            (
                "SMTP_STARTTLS",
                f"may be false only for a loopback SMTP_HOST, not {host!r} (mail would go in clear)",
            )
        )

    username = raw("SMTP_USERNAME")
    password = raw("SMTP_PASSWORD")
    if username is not None and password is None:
        problems.append(("SMTP_PASSWORD", "is required when SMTP_USERNAME is set"))
    if password is not None and username is None:
        problems.append(("SMTP_USERNAME", "is required when SMTP_PASSWORD is set"))

    if problems:
        names = ", ".join(dict.fromkeys(name for name, _ in problems))
        detail = "; ".join(f"{name} {message}" for name, message in problems)
        raise ConfigError(names, f"invalid settings: {detail}", problems=list(problems))
    return NotificationSettings(
        recipients=tuple(recipients),
        sender=sender,
        smtp_host=host,
        smtp_port=port,
        smtp_username=username,
        smtp_password=password,
        smtp_starttls=starttls,
    )
