"""The two error dialects the simulator speaks: SCIM error bodies and OAuth 2.0 error JSON."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from sandbox.goto.constants import ERROR_SCHEMA, SCIM_MEDIA_TYPE


def scim_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Every SCIM answer goes out as application/scim+json, as GoTo's identity API does."""
    return Response(json.dumps(body), status=status, headers=headers, content_type=SCIM_MEDIA_TYPE)


class ScimError(Exception):
    """A SCIM failure raised anywhere below a route; the route layer turns it into RFC 7644 §3.12."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body

    def response(self) -> Response:
        return scim_json(self.body(), self.status)


def bad_request(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)


def conflict(detail: str) -> ScimError:
    return ScimError(409, detail, "uniqueness")


class OAuthError(Exception):
    """An RFC 6749 §5.2 error; `status` 401 for client authentication failures, else 400."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        body = {"error": self.error, "error_description": self.description}
        return Response(
            json.dumps(body), status=self.status, headers=headers, content_type="application/json"
        )
