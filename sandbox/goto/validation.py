"""GoTo's input rules for users and groups, applied to every write before it reaches the store."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sandbox.goto.constants import (
    ENTERPRISE_SCHEMA,
    GETGO_SCHEMA,
    MAX_GROUP_MEMBERS,
    MAX_GROUP_NAME_LENGTH,
    MAX_NAME_PART_LENGTH,
    MAX_USERNAME_LENGTH,
)
from sandbox.goto.errors import ScimError, bad_request
from sandbox.goto.resource import email_domain, get_ci, governing_emails

_USER_ATTRIBUTES = (
    *("userName", "name", "displayName", "nickName", "profileUrl", "title", "userType"),
    *("preferredLanguage", "locale", "timezone", "active", "emails", "phoneNumbers", "addresses"),
    "externalId",
)
_NAME_PARTS = ("formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")
_GROUP_ATTRIBUTES = ("displayName", "members", "externalId")
_SERVER_OWNED = ("id", "meta", "schemas", GETGO_SCHEMA)


def _canonical_keys(obj: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Spell known attributes as the schema does, whatever case the client sent."""
    by_lower = {n.lower(): n for n in names}
    return {by_lower.get(key.lower(), key): value for key, value in obj.items()}


def _strip_server_owned(raw: dict[str, Any]) -> dict[str, Any]:
    owned = {k.lower() for k in _SERVER_OWNED}
    return {k: v for k, v in copy.deepcopy(raw).items() if k.lower() not in owned}


def _optional_string(resource: dict[str, Any], key: str, limit: int | None = None) -> None:
    value = resource.get(key)
    if value is None:
        resource.pop(key, None)
        return
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    if limit is not None and len(value) > limit:
        raise bad_request(f"{key} is longer than {limit} characters")


def _coerce_bool(value: Any, key: str) -> bool:
    """Entra has been seen sending "True"/"False" strings for active; GoTo takes what Entra sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_request(f"{key} must be a boolean, not {value!r}")


def normalize_user(raw: Any, *, verified_domains: Iterable[str] | None) -> dict[str, Any]:
    """The stored form of a user (without id, meta, getgo extension); None domains = no domain rule."""
    if not isinstance(raw, dict):
        raise ScimError(400, "a User must be a JSON object", "invalidSyntax")
    user = _canonical_keys(_strip_server_owned(raw), _USER_ATTRIBUTES)
    user_name = user.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise bad_request("userName is required")
    if len(user_name) > MAX_USERNAME_LENGTH:
        raise bad_request(f"userName is longer than {MAX_USERNAME_LENGTH} characters")
    name = user.get("name")
    if name is not None:
        if not isinstance(name, dict):
            raise bad_request("name must be an object")
        name = _canonical_keys(name, _NAME_PARTS)
        for part in ("givenName", "familyName"):
            _optional_string(name, part, MAX_NAME_PART_LENGTH)
        user["name"] = name
    for key in ("displayName", "externalId", "locale", "timezone", "title"):
        _optional_string(user, key)
    user["active"] = _coerce_bool(user.get("active", True), "active")
    for key in ("emails", "phoneNumbers", "addresses"):
        value = user.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, dict) for v in value)):
            raise bad_request(f"{key} must be a list of objects")
    for key in list(user):
        if key.lower() == ENTERPRISE_SCHEMA.lower():
            if not isinstance(user[key], dict):
                raise bad_request(f"{ENTERPRISE_SCHEMA} must be an object")
            user[ENTERPRISE_SCHEMA] = user.pop(key)
    if verified_domains is not None:
        check_domains(domain_addresses(user), verified_domains)
    return user


def domain_addresses(user: dict[str, Any]) -> list[str]:
    """The addresses whose domain must be verified: work/primary e-mail, and userName if it is one."""
    addresses = governing_emails(user)
    if "@" in user["userName"]:
        addresses.append(user["userName"])
    return addresses


def check_domains(addresses: Iterable[str], verified_domains: Iterable[str]) -> None:
    allowed = {d.lower() for d in verified_domains}
    for address in addresses:
        if email_domain(address) not in allowed:
            raise bad_request(
                f"the domain of {address!r} is not a verified domain of the organization "
                f"(verified: {sorted(allowed)})"
            )


def normalize_group(raw: Any) -> dict[str, Any]:
    """The stored form of a group; whether members exist is the store's business."""
    if not isinstance(raw, dict):
        raise ScimError(400, "a Group must be a JSON object", "invalidSyntax")
    group = _canonical_keys(_strip_server_owned(raw), _GROUP_ATTRIBUTES)
    display_name = group.get("displayName")
    if not isinstance(display_name, str) or not display_name.strip():
        raise bad_request("displayName is required")
    if len(display_name) > MAX_GROUP_NAME_LENGTH:
        raise bad_request(f"displayName is longer than {MAX_GROUP_NAME_LENGTH} characters")
    _optional_string(group, "externalId")
    members = group.get("members") or []
    if not isinstance(members, list):
        raise bad_request("members must be a list")
    ids: list[str] = []
    for member in members:
        value = get_ci(member, "value") if isinstance(member, dict) else None
        if not isinstance(value, str) or not value:
            raise bad_request(f"each member needs a string value, not {member!r}")
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_GROUP_MEMBERS:
        raise bad_request(f"a group has at most {MAX_GROUP_MEMBERS} members; this one would have {len(ids)}")
    group["members"] = [{"value": v} for v in ids]
    return group
