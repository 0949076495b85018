"""Graph's wire shapes for answers and errors, so clients' error mapping is exercised for real."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

JSON_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None, request: Request | None = None
) -> Response:
    response = Response(
        json.dumps(body, separators=(",", ":")), status=status, content_type=JSON_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if request is not None:
        _request_ids(response, request)
    return response


def graph_error(
    request: Request, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    """`{"error": {"code", "message", "innerError": {...}}}`, as Graph answers every failure."""
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id") or request_id
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    response = json_response(body, status=status, headers=headers)
    response.headers["request-id"] = request_id
    response.headers["client-request-id"] = client_request_id
    return response


def _request_ids(response: Response, request: Request) -> None:
    request_id = str(uuid.uuid4())
    response.headers["request-id"] = request_id
    response.headers["client-request-id"] = request.headers.get("client-request-id") or request_id
