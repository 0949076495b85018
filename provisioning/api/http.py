"""Requests in, JSON out: input validation that names the field, and errors that never leak internals.

Handlers take an `ApiRequest` (plain data) and return an `ApiResponse`; `function_app.py` converts
from and to `azure.functions` types, so handlers are tested without the Functions host.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from provisioning.error_map import map_error
from provisioning.errors import ProvisioningError

log = logging.getLogger(__name__)

# \A...\Z, not ^...$: `$` also matches before a trailing newline, which would let "guid\n" through
# to Graph and to Table Storage keys. Anchored both ends, `GUID.match` is as strict as `fullmatch`.
GUID = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
MAX_JSON_DEPTH = 32  # no admin body nests past 2; json.loads would recurse until RecursionError
_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    route: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class ApiError(Exception):
    """An answer other than success, with a machine-readable code and, for bad input, the field."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, hint: str | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.hint = status, code, message, field, hint

    def response(self) -> ApiResponse:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        if self.hint:
            error["hint"] = self.hint
        return json_response(self.status, {"error": error})


def json_response(status: int, body: Any, *, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, json.dumps(body, indent=2, default=str).encode(), headers=headers or {})


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, "badRequest", f"{field}: {message}", field=field)


FUNCTION_KEY_PARAM = "code"  # Azure Functions takes the function key as ?code=... as well as a header


def check_params(request: ApiRequest, allowed: set[str]) -> None:
    unknown = sorted(set(request.params) - allowed - {FUNCTION_KEY_PARAM})
    if unknown:
        raise bad_request(unknown[0], f"unknown query parameter; allowed: {sorted(allowed) or 'none'}")


def param_bool(request: ApiRequest, name: str, default: bool = False) -> bool:
    value = request.params.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise bad_request(name, f"must be true or false, got {value!r}")


def param_int(request: ApiRequest, name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = request.params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(name, f"must be a whole number, got {value!r}") from None
    if not minimum <= number <= maximum:
        raise bad_request(name, f"must be between {minimum} and {maximum}, got {number}")
    return number


def param_datetime(request: ApiRequest, name: str) -> datetime | None:
    value = request.params.get(name)
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # in UTC: an offset near year 1 or 9999 overflows here rather than deep in a query
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(
            name, f"must be an ISO 8601 date-time like 2026-11-23T08:00:00Z, got {value!r}"
        ) from None
    except OverflowError:
        raise bad_request(name, f"is outside the range of dates, got {value!r}") from None


def route_guid(request: ApiRequest, name: str) -> str:
    value = request.route.get(name) or ""
    if not GUID.fullmatch(value):
        raise bad_request(name, f"must be an Entra object id (a GUID), got {value!r}")
    return value.lower()


def json_body(request: ApiRequest, *, allowed: set[str]) -> dict[str, Any]:
    """An optional JSON object body with only known fields."""
    if not request.body.strip():
        return {}
    if json_depth(request.body, stop_after=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise bad_request("body", f"nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        raise bad_request("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(unknown[0], f"unknown field; allowed: {sorted(allowed) or 'none'}")
    return body


def json_depth(raw: bytes, *, stop_after: int | None = None) -> int:
    """How deep arrays and objects nest in `raw`, counted without parsing (brackets inside strings
    do not count), so a hostile body is refused before json.loads recurses into it. With
    `stop_after`, counting ends as soon as the depth passes it."""
    depth = deepest = 0
    for match in _JSON_STRUCTURE.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


Handler = Callable[[ApiRequest], Awaitable[ApiResponse]]


async def guarded(handler: Handler, request: ApiRequest) -> ApiResponse:
    """Map every failure to a JSON answer through the one error table (provisioning.error_map)."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except ProvisioningError as exc:
        mapped = map_error(exc)
        if mapped is None:
            raise
        return ApiError(
            mapped.http_status, mapped.code, mapped.message, field=mapped.field, hint=mapped.hint
        ).response()
    except Exception:
        incident = str(uuid.uuid4())
        log.exception("unhandled error in %s %s (incident %s)", request.method, request.path, incident)
        return ApiError(
            500, "internalError", f"unexpected error; see the function logs for incident {incident}"
        ).response()
