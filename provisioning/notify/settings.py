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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from provisioning.settings_reader import SettingsReader, boolean, integer, is_loopback_host

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
_ADDRESS = re.compile(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")
_HOSTNAME = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")


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
    return is_loopback_host(host)


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value) or ".." in value:
        raise ValueError(f"must be a plain e-mail address like ops@contoso.com, got {value!r}")
    return value


def _recipients(value: str) -> tuple[str, ...]:
    """Comma-separated plain addresses, duplicates (case-insensitive) dropped; every bad one named."""
    found: list[str] = []
    bad: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if not _ADDRESS.fullmatch(part) or ".." in part:
            bad.append(repr(part))
        elif part.lower() not in (r.lower() for r in found):
            found.append(part)
    if bad:
        raise ValueError(f"must be plain e-mail addresses like ops@contoso.com, got {', '.join(bad)}")
    if not found:
        raise ValueError("holds no address (comma-separated addresses expected)")
    return tuple(found)


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


_port_number = integer(1, 65535, noun="a port number")


def _port(value: str) -> int:
    port = _port_number(value)
    if port == 465:
        raise ValueError(
            "465 is implicit TLS (SMTPS), which is not supported: use the submission port 587 with STARTTLS"
        )
    return port


def read_notification_settings(r: SettingsReader) -> NotificationSettings:
    """The notification settings through the shared reader; problems are left in `r`."""
    recipients = r.optional("NOTIFICATION_EMAIL", _recipients) or ()
    enabled = r.present("NOTIFICATION_EMAIL")
    sender = r.optional("NOTIFICATION_FROM", _address)
    if sender is None and recipients:
        sender = f"{DEFAULT_SENDER_LOCAL_PART}@{recipients[0].rsplit('@', 1)[1]}"
    host = r.value("SMTP_HOST", _host, "")
    if enabled:
        r.missing("SMTP_HOST", "is required when NOTIFICATION_EMAIL is set")
    port = r.value("SMTP_PORT", _port, DEFAULT_SMTP_PORT)
    starttls = r.value("SMTP_STARTTLS", boolean, True)
    if not starttls and host and not is_loopback(host):
        r.problem(
            "SMTP_STARTTLS",
            f"may be false only for a loopback SMTP_HOST, not {host!r} (mail would go in clear)",
        )
    username = r.raw("SMTP_USERNAME")
    password = r.raw("SMTP_PASSWORD")
    if username is not None:
        r.missing("SMTP_PASSWORD", "is required when SMTP_USERNAME is set")
    if password is not None:
        r.missing("SMTP_USERNAME", "is required when SMTP_PASSWORD is set")
    return NotificationSettings(
        recipients=recipients,
        sender=sender or "",
        smtp_host=host,
        smtp_port=port,
        smtp_username=username,
        smtp_password=password,
        smtp_starttls=starttls,
    )


def load_notification_settings(env: Mapping[str, str] | None = None) -> NotificationSettings:
    """Read and validate the notification settings; raise one ConfigError naming each bad one."""
    reader = SettingsReader(env)
    settings = read_notification_settings(reader)
    reader.raise_if_problems()
    return settings
