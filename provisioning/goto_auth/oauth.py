"""GoTo's OAuth 2.0 endpoints: the authorize URL, and the token endpoint's three grants.

Client authentication is HTTP Basic (client_id:client_secret, each form-encoded first as RFC 6749
§2.3.1 says). 429/5xx, timeouts and dropped connections are retried like every GoTo call
(provisioning.target.throttle). Errors become exceptions that say what to do; their messages
never carry the secret, the code, the password or a token (anything GoTo echoes is scrubbed).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from provisioning.goto_auth import pkce
from provisioning.goto_auth.errors import (
    REAUTHORIZE_HINT,
    ClientCredentialsError,
    GoToOAuthError,
    PasswordGrantNotAllowedError,
    ReauthorizationRequiredError,
)
from provisioning.goto_auth.settings import DEFAULT_GOTO_AUTH_BASE_URL, GoToAuthSettings
from provisioning.redaction import redact
from provisioning.target.throttle import RetryPolicy, Throttle

log = logging.getLogger(__name__)

TOKEN_RETRY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=10.0)
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600.0  # goto.md: expires_in 3600; used when an answer omits it
_MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class TokenAnswer:
    """A successful token answer. The tokens never appear in repr()."""

    access_token: str = field(repr=False)
    expires_in: float
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    account_key: str | None = None
    principal: str | None = None


def parse_token_answer(data: Any) -> TokenAnswer:
    """GoTo's JSON answer: access_token and expires_in (seconds), then optional extras.

    Raises ValueError naming the bad field, never quoting a value.
    """
    if not isinstance(data, Mapping):
        raise ValueError("the answer is not a JSON object")
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise ValueError("access_token is missing")
    token_type = data.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ValueError("token_type is not Bearer")
    raw_expiry = data.get("expires_in", DEFAULT_ACCESS_TOKEN_LIFETIME)
    try:
        expires_in = float(raw_expiry)
    except (TypeError, ValueError):
        raise ValueError("expires_in is not a number") from None
    if not expires_in > 0:
        raise ValueError("expires_in is not positive")
    refresh = data.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise ValueError("refresh_token is not a string")
    account_key = data.get("account_key")
    principal = data.get("principal") or data.get("email")
    scope = data.get("scope")
    return TokenAnswer(
        access_token=access,
        expires_in=expires_in,
        refresh_token=refresh or None,
        scope=scope if isinstance(scope, str) else None,
        account_key=str(account_key) if isinstance(account_key, str | int) else None,
        principal=principal if isinstance(principal, str) else None,
    )


def build_authorization_url(
    *,
    auth_base_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scope: str | None = None,
    code_challenge: str | None = None,
) -> str:
    """Where the admin's browser goes to consent; GoTo comes back to redirect_uri with code+state.
    `code_challenge` (see pkce.challenge) adds PKCE with method S256."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if scope:
        params["scope"] = scope
    if code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = pkce.METHOD
    return f"{auth_base_url.rstrip('/')}/oauth/authorize?{urlencode(params)}"


class GoToOAuthClient:
    """One per OAuth client; the AsyncClient is the caller's (it must not carry GoTo SCIM auth)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        client_id: str,
        client_secret: str,
        auth_base_url: str = DEFAULT_GOTO_AUTH_BASE_URL,
        scope: str | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("a GoTo OAuth client needs a client id and a client secret")
        self._http = http
        self.client_id = client_id
        self._client_secret = client_secret
        self.auth_base_url = auth_base_url.rstrip("/")
        self.scope = scope
        self._throttle = throttle or Throttle(rate_per_second=10.0, retry=TOKEN_RETRY)
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
        self._basic = "Basic " + base64.b64encode(pair.encode()).decode()

    @classmethod
    def from_settings(
        cls, settings: GoToAuthSettings, http: httpx.AsyncClient, *, throttle: Throttle | None = None
    ) -> GoToOAuthClient:
        if not settings.client_id or not settings.client_secret:
            raise ValueError("GOTO_CLIENT_ID and GOTO_CLIENT_SECRET are required for GoTo OAuth")
        return cls(
            http,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            auth_base_url=settings.auth_base_url,
            scope=settings.scope,
            throttle=throttle,
        )

    def __repr__(self) -> str:
        return f"GoToOAuthClient(client_id={self.client_id!r}, auth_base_url={self.auth_base_url!r})"

    @property
    def token_url(self) -> str:
        return self.auth_base_url + "/oauth/token"

    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        return build_authorization_url(
            auth_base_url=self.auth_base_url,
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=self.scope,
            code_challenge=code_challenge,
        )

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenAnswer:
        """`code_verifier`: the PKCE verifier whose challenge went with the authorize request."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return await self._token(form, secrets=[code, code_verifier])

    async def refresh(self, refresh_token: str) -> TokenAnswer:
        """A revoked, expired or already rotated refresh token raises ReauthorizationRequiredError."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self._token(form, secrets=[refresh_token])

    async def password_grant(self, *, username: str, password: str) -> TokenAnswer:
        """Legacy "Direct Login" (deprecated by GoTo): only clients that kept the grant may use it."""
        form = {"grant_type": "password", "username": username, "password": password}
        if self.scope:
            form["scope"] = self.scope
        return await self._token(form, secrets=[password])

    async def _token(self, form: dict[str, str], *, secrets: list[str | None]) -> TokenAnswer:
        grant = form["grant_type"]
        headers = {"Authorization": self._basic, "Accept": "application/json"}

        async def attempt() -> httpx.Response:
            return await self._http.post(self.token_url, data=form, headers=headers)

        response = await self._throttle.send(attempt, what=f"GoTo token request ({grant})")
        if response.is_success:
            try:
                answer = parse_token_answer(response.json())
            except ValueError as exc:
                raise GoToOAuthError(
                    f"GoTo's token endpoint answered the {grant} request without a usable token ({exc})",
                    status=response.status_code,
                ) from None
            log.info(
                "GoTo token request (%s): access token for %ds%s",
                grant,
                answer.expires_in,
                ", with a new refresh token" if answer.refresh_token else "",
            )
            return answer
        raise self._error(response, grant=grant, secrets=[*secrets, self._client_secret])

    def _error(self, response: httpx.Response, *, grant: str, secrets: list[str | None]) -> GoToOAuthError:
        status = response.status_code
        error, description = _oauth_error(response)
        description = redact(description, known=secrets)[:_MAX_DESCRIPTION]
        said = f"{error}: {description}" if description else error
        if error == "invalid_client" or status == 401:
            return ClientCredentialsError(
                f"GoTo refused the OAuth client credentials (HTTP {status} {said}): "
                "check GOTO_CLIENT_ID and GOTO_CLIENT_SECRET",
                status=status,
                error=error,
            )
        if grant == "refresh_token" and error == "invalid_grant":
            return ReauthorizationRequiredError(
                f"GoTo refused the stored refresh token ({said}; revoked, expired or already rotated): "
                f"{REAUTHORIZE_HINT}",
                status=status,
                error=error,
            )
        if grant == "authorization_code" and error == "invalid_grant":
            return GoToOAuthError(
                f"GoTo refused the authorization code ({said}; expired, already used, or another "
                "redirect_uri): start the authorization again",
                status=status,
                error=error,
            )
        if grant == "password" and error in ("unauthorized_client", "unsupported_grant_type"):
            return PasswordGrantNotAllowedError(
                f"this GoTo OAuth client may not use the password grant ({said}). GoTo deprecated it and "
                "gives it to no new client: remove GOTO_USERNAME and GOTO_PASSWORD and authorize GoTo "
                "with the authorization code flow (`python -m provisioning goto-authorize`)",
                status=status,
                error=error,
            )
        if grant == "password" and error == "invalid_grant":
            return GoToOAuthError(
                f"GoTo refused GOTO_USERNAME / GOTO_PASSWORD ({said}): check the admin's user name "
                "and password",
                status=status,
                error=error,
            )
        return GoToOAuthError(
            f"GoTo's token endpoint refused the {grant} request (HTTP {status} {said})",
            status=status,
            error=error,
        )


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    """RFC 6749 §5.2 `error` / `error_description`; a body without them falls back to the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"], description if isinstance(description, str) else ""
    return f"http_{response.status_code}", ""
