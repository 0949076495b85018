"""Discovery documents (/ServiceProviderConfig, /Schemas): what a client reads before it writes."""

from __future__ import annotations

from typing import Any

from sandbox.goto.constants import (
    ENTERPRISE_SCHEMA,
    GETGO_SCHEMA,
    GROUP_SCHEMA,
    MAX_PAGE_SIZE,
    SCHEMA_SCHEMA,
    SPC_SCHEMA,
    USER_SCHEMA,
)


def service_provider_config(base_url: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://developer.goto.com/admin",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE_SIZE},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "GoTo OAuth 2.0 access token (authorization code grant)",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def _attr(
    name: str,
    type_: str = "string",
    *,
    required: bool = False,
    multi: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    return attribute


_VALUE_TYPE_PRIMARY = [_attr("value"), _attr("type"), _attr("primary", "boolean")]

_SCHEMAS: dict[str, dict[str, Any]] = {
    USER_SCHEMA: {
        "name": "User",
        "description": "GoTo user account; id is the userKey",
        "attributes": [
            _attr("userName", required=True, uniqueness="server"),
            _attr("name", "complex", sub=[_attr("givenName"), _attr("familyName"), _attr("formatted")]),
            _attr("displayName"),
            _attr("emails", "complex", multi=True, sub=_VALUE_TYPE_PRIMARY),
            _attr("active", "boolean"),
            _attr("externalId", case_exact=True),
            _attr("locale"),
            _attr("timezone"),
            _attr("title"),
        ],
    },
    GROUP_SCHEMA: {
        "name": "Group",
        "description": "GoTo group; at most 100 members",
        "attributes": [
            _attr("displayName", required=True, uniqueness="server"),
            _attr("externalId", case_exact=True),
            _attr(
                "members",
                "complex",
                multi=True,
                sub=[_attr("value", mutability="immutable"), _attr("display"), _attr("type")],
            ),
        ],
    },
    ENTERPRISE_SCHEMA: {
        "name": "EnterpriseUser",
        "description": "Enterprise user extension, as Entra's GoTo connector maps it",
        "attributes": [_attr(a) for a in ("department", "employeeNumber", "costCenter", "division")],
    },
    GETGO_SCHEMA: {
        "name": "GetGoUser",
        "description": "GoTo extension: the accounts a user belongs to",
        "attributes": [
            _attr(
                "accounts",
                "complex",
                multi=True,
                mutability="readOnly",
                sub=[_attr("value", mutability="readOnly"), _attr("display", mutability="readOnly")],
            )
        ],
    },
}

# goto.md lists `/Schemas/Users`: short names are accepted next to the URNs.
_ALIASES = {"users": USER_SCHEMA, "groups": GROUP_SCHEMA}


def schema(schema_id: str, base_url: str) -> dict[str, Any] | None:
    urn = _ALIASES.get(schema_id.lower(), schema_id)
    for known, body in _SCHEMAS.items():
        if known.lower() == urn.lower():
            return {
                "schemas": [SCHEMA_SCHEMA],
                "id": known,
                **body,
                "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{known}"},
            }
    return None


def all_schemas(base_url: str) -> list[dict[str, Any]]:
    return [s for s in (schema(urn, base_url) for urn in _SCHEMAS) if s is not None]
