"""HTTP answers from the SCIM peer mapped onto provisioning.errors, with credentials scrubbed.

Messages name the operation, the status and the peer's scimType/detail; they never carry request
headers, and any credential the peer echoes back in its body is replaced before it can be logged.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from provisioning import redaction
from provisioning.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    TargetError,
    TransientError,
    UnauthorizedError,
)
from provisioning.target.answers import ErrorInfo, parse_error

Resource = dict[str, Any]
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

_BY_STATUS: dict[int, type[TargetError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
}
_AUTH_PARAM = re.compile(r'(error|error_description)="([^"]*)"')


def _secrets(request: httpx.Request | None) -> list[str]:
    """The credential this request carried, whole and without its scheme (a peer may echo either)."""
    if request is None:
        return []
    found: list[str] = []
    for name in ("authorization", "proxy-authorization"):
        value = request.headers.get(name)
        if value:
            found.append(value)
            _, _, credential = value.partition(" ")
            if len(credential.strip()) >= 4:
                found.append(credential.strip())
    return sorted(found, key=len, reverse=True)


def redact(text: str | None, request: httpx.Request | None) -> str | None:
    """`text` without the request's credential (as sent or bare) or anything else credential-like."""
    return redaction.redact(text, known=_secrets(request))


def error_info(response: httpx.Response) -> ErrorInfo:
    """scimType/detail of an error answer; a bodiless 401 falls back to its WWW-Authenticate error."""
    info = parse_error(response.content)
    if info.detail is None and info.scim_type is None:
        params = dict(_AUTH_PARAM.findall(response.headers.get("www-authenticate", "")))
        detail = params.get("error_description") or params.get("error")
        info = ErrorInfo(detail=detail or response.reason_phrase or None)
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a Response built by hand, without its request
        request = None
    return ErrorInfo(scim_type=info.scim_type, detail=redact(info.detail, request))


def error_for(response: httpx.Response, *, what: str, attempts: int = 1) -> TargetError:
    """The exception for a non-2xx answer: 429/5xx → TransientError, unknown statuses → TargetError."""
    status = response.status_code
    info = error_info(response)
    kind = _BY_STATUS.get(status) or (TransientError if status in RETRYABLE_STATUSES else TargetError)
    message = f"{what}: GoTo answered HTTP {status}"
    if info.scim_type:
        message += f" ({info.scim_type})"
    if info.detail:
        message += f": {info.detail}"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return kind(message, status=status, scim_type=info.scim_type, detail=info.detail)


def transport_error(exc: httpx.TransportError, *, what: str, attempts: int) -> TransientError:
    """Timeouts and dropped connections; httpx's messages name the failure, never the headers."""
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return TransientError(f"{what}: {reason} (after {attempts} attempts)", detail=reason)


def item_path(kind: str, resource_id: str) -> str:
    if not resource_id:
        raise ValueError(f"a {kind[:-1]} id must not be empty")
    return f"{kind}/{quote(resource_id, safe='')}"


def json_body(response: httpx.Response, *, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TargetError(
            f"{what}: GoTo answered HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from exc


def resource_body(response: httpx.Response, *, what: str) -> Resource:
    data = json_body(response, what=what)
    if not isinstance(data, dict) or not data.get("id"):
        raise TargetError(
            f"{what}: GoTo answered HTTP {response.status_code} without a resource",
            status=response.status_code,
        )
    return data
