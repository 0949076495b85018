"""Helpers over SCIM resources held as plain dicts: attribute names are case-insensitive (RFC 7643 §2.1)."""

from __future__ import annotations

from typing import Any

from sandbox.goto.constants import GROUP_SCHEMA, USER_SCHEMA

CORE_PREFIXES = (USER_SCHEMA.lower() + ":", GROUP_SCHEMA.lower() + ":")


def find_key(obj: dict[str, Any], name: str) -> str | None:
    """The key of `obj` that matches `name` ignoring case, as it is spelled in `obj`."""
    if name in obj:
        return name
    lowered = name.lower()
    for key in obj:
        if key.lower() == lowered:
            return key
    return None


def get_ci(obj: dict[str, Any], name: str) -> Any:
    key = find_key(obj, name)
    return None if key is None else obj[key]


def strip_core_prefix(attribute: str) -> str:
    """`urn:ietf:params:scim:schemas:core:2.0:User:userName` and `userName` name the same thing."""
    lowered = attribute.lower()
    for prefix in CORE_PREFIXES:
        if lowered.startswith(prefix):
            return attribute[len(prefix) :]
    return attribute


def get_dotted(obj: dict[str, Any], dotted: str) -> Any:
    """`name.givenName` → obj["name"]["givenName"], ignoring case; None when any step is missing."""
    current: Any = obj
    for part in strip_core_prefix(dotted).split("."):
        if not isinstance(current, dict):
            return None
        current = get_ci(current, part)
    return current


def email_domain(address: str) -> str | None:
    if "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().lower()
    return domain or None


def governing_emails(user: dict[str, Any]) -> list[str]:
    """The addresses whose domain GoTo checks: the work and primary ones, else the first one."""
    emails = get_ci(user, "emails")
    if not isinstance(emails, list):
        return []
    entries = [e for e in emails if isinstance(e, dict) and isinstance(get_ci(e, "value"), str)]
    chosen = [
        e
        for e in entries
        if str(get_ci(e, "type") or "").lower() == "work" or get_ci(e, "primary") in (True, "true", "True")
    ]
    if not chosen and entries:
        chosen = entries[:1]
    return [str(get_ci(e, "value")) for e in chosen]
