"""HTTP face of the authorization server: /oauth/authorize (browser redirect) and /oauth/token."""

from __future__ import annotations

import json

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox.goto.errors import OAuthError
from sandbox.goto.oauth import OAuthServer

RULES = [
    Rule("/oauth/authorize", methods=["GET"], endpoint="oauth.authorize"),
    Rule("/oauth/token", methods=["POST"], endpoint="oauth.token"),
]


class OAuthRoutes:
    def __init__(self, oauth: OAuthServer) -> None:
        self.oauth = oauth

    def dispatch(self, endpoint: str, request: Request) -> Response:
        try:
            if endpoint == "oauth.authorize":
                return redirect(self.oauth.authorize(request.args.to_dict()), code=302)
            if request.mimetype != "application/x-www-form-urlencoded":
                raise OAuthError("invalid_request", "the token request must be form-encoded")
            answer = self.oauth.token(request.headers.get("Authorization"), request.form.to_dict())
        except OAuthError as exc:
            return exc.response()
        return Response(
            json.dumps(answer),
            content_type="application/json",
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )
