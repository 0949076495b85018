"""GoTo's authorization server, reduced to what a provisioning service meets: code, refresh, password.

State only; the HTTP shape lives in oauth_routes.py. Every failure is an OAuthError (RFC 6749 §5.2).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from sandbox.goto.constants import (
    DEFAULT_SCOPE,
    SANDBOX_ACCOUNT_KEY,
    SANDBOX_ADMIN_FAMILY_NAME,
    SANDBOX_ADMIN_GIVEN_NAME,
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REDIRECT_URIS,
)
from sandbox.goto.errors import OAuthError
from sandbox.goto.settings import SimulatorSettings

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_PKCE_VERIFIER = re.compile(r"\A[A-Za-z0-9._~-]{43,128}\Z")  # RFC 7636 §4.1
_PKCE_CHALLENGE = re.compile(r"\A[A-Za-z0-9_-]{43}\Z")  # BASE64URL(SHA256(verifier)), no padding


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()
    password_grant: bool = False  # only legacy clients kept "Direct Login"
    scope: str = DEFAULT_SCOPE
    # PKCE (RFC 7636) is undocumented for GoTo: by default its parameters are ignored, as a server
    # that does not know them must; `pkce=True` requires an S256 challenge and checks the verifier.
    pkce: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["redirect_uris"] = list(self.redirect_uris)
        data.pop("client_secret")
        return data


@dataclass
class _Code:
    client_id: str
    redirect_uri: str | None
    scope: str
    expires_at: float
    used: bool = False
    issued: list[str] = field(default_factory=list)  # tokens to revoke if the code is replayed
    code_challenge: str | None = None  # S256, kept when the client is a PKCE one


@dataclass
class _Token:
    client_id: str
    scope: str
    expires_at: float
    revoked: bool = False


def redirect_matches(registered: str, given: str) -> bool:
    """Exact match, except that a loopback redirect may use any port (RFC 8252 §7.3)."""
    if registered == given:
        return True
    a, b = urlsplit(registered), urlsplit(given)
    return (
        a.scheme == b.scheme == "http"
        and a.hostname in _LOOPBACK
        and a.hostname == b.hostname
        and a.path == b.path
        and a.query == b.query
    )


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class OAuthServer:
    """Thread-safe. Token lifetimes and rotation are read from the shared settings at issue time."""

    def __init__(self, settings: SimulatorSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._clients: dict[str, OAuthClient] = {}
            self._codes: dict[str, _Code] = {}
            self._access: dict[str, _Token] = {}
            self._refresh: dict[str, _Token] = {}
        self.register_client(
            SANDBOX_CLIENT_ID,
            SANDBOX_CLIENT_SECRET,
            redirect_uris=SANDBOX_REDIRECT_URIS,
            password_grant=True,
        )

    # -- administration (Python API and /_sandbox) -----------------------------------------------

    def register_client(
        self,
        client_id: str,
        client_secret: str,
        *,
        redirect_uris: Iterable[str] = (),
        password_grant: bool = False,
        scope: str = DEFAULT_SCOPE,
        pkce: bool = False,
    ) -> OAuthClient:
        """Registers or replaces a client; new GoTo clients do not get the password grant."""
        client = OAuthClient(client_id, client_secret, tuple(redirect_uris), password_grant, scope, pkce)
        with self._lock:
            self._clients[client_id] = client
        return client

    def clients(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c.as_dict() for c in self._clients.values()]

    def revoke_refresh_tokens(self, *, client_id: str | None = None, token: str | None = None) -> int:
        """What an admin revoking the app's consent does: refreshes then fail with invalid_grant."""
        with self._lock:
            count = 0
            for value, grant in self._refresh.items():
                other_client = client_id is not None and grant.client_id != client_id
                if grant.revoked or other_client or (token is not None and value != token):
                    continue
                grant.revoked = True
                count += 1
            return count

    def expire_access_tokens(self) -> int:
        """Ends every live access token now, so tests reach the refresh path without waiting an hour."""
        with self._lock:
            now = self._clock()
            live = [t for t in self._access.values() if t.expires_at > now]
            for grant in live:
                grant.expires_at = now
            return len(live)

    def issue(self, client_id: str = SANDBOX_CLIENT_ID, scope: str | None = None) -> dict[str, Any]:
        """A token answer without the HTTP dance, for seeding a token store in tests."""
        with self._lock:
            client = self._clients.get(client_id)
            if client is None:
                raise KeyError(client_id)
            return self._answer(client, scope or client.scope, with_refresh=True)

    def access_token_valid(self, token: str) -> bool:
        with self._lock:
            grant = self._access.get(token)
            return grant is not None and not grant.revoked and grant.expires_at > self._clock()

    # -- /oauth/authorize ------------------------------------------------------------------------

    def authorize(self, params: Mapping[str, str]) -> str:
        """The redirect location after the sandbox admin's automatic consent.

        Client and redirect problems raise (the caller answers 400, never redirecting to an
        unverified URI); later problems go back to the client in the redirect, as RFC 6749 §4.1.2.1 says.
        """
        client_id = params.get("client_id", "")
        with self._lock:
            client = self._clients.get(client_id)
            if client is None:
                raise OAuthError("invalid_client", f"unknown client_id {client_id!r}")
            redirect_uri = params.get("redirect_uri")
            if redirect_uri is None:
                if len(client.redirect_uris) != 1:
                    raise OAuthError("invalid_request", "redirect_uri is required for this client")
                target = client.redirect_uris[0]
            elif any(redirect_matches(r, redirect_uri) for r in client.redirect_uris):
                target = redirect_uri
            else:
                raise OAuthError("invalid_request", f"redirect_uri {redirect_uri!r} is not registered")
            reply: dict[str, str] = {}
            challenge = params.get("code_challenge")
            if params.get("response_type") != "code":
                reply["error"] = "unsupported_response_type"
            elif client.pkce and (
                params.get("code_challenge_method") != "S256"
                or not _PKCE_CHALLENGE.fullmatch(challenge or "")
            ):
                reply["error"] = "invalid_request"
                reply["error_description"] = "this client must send an S256 code_challenge (PKCE)"
            else:
                code = secrets.token_urlsafe(24)
                expires_at = self._clock() + self._settings.authorization_code_ttl
                scope = params.get("scope") or client.scope
                self._codes[code] = _Code(
                    client_id,
                    redirect_uri,
                    scope,
                    expires_at,
                    code_challenge=challenge if client.pkce else None,
                )
                reply["code"] = code
            if "state" in params:
                reply["state"] = params["state"]
            return with_query(target, reply)

    # -- /oauth/token ----------------------------------------------------------------------------

    def token(self, authorization: str | None, form: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            client = self._authenticate(authorization)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request", "grant_type is required")
            if grant_type == "authorization_code":
                return self._code_grant(client, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(client, form)
            if grant_type == "password":
                return self._password_grant(client, form)
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def _authenticate(self, authorization: str | None) -> OAuthClient:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise OAuthError("invalid_client", "client authentication (HTTP Basic) is required", 401)
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except ValueError as exc:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
        client = self._clients.get(unquote_plus(client_id))
        if client is None or not secrets.compare_digest(client.client_secret, unquote_plus(secret)):
            raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
        return client

    def _code_grant(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        value = form.get("code")
        if not value:
            raise OAuthError("invalid_request", "code is required")
        code = self._codes.get(value)
        if code is None or code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "unknown authorization code")
        if code.used:
            for token in code.issued:  # RFC 6749 §4.1.2: a replayed code revokes what it gave
                for table in (self._access, self._refresh):
                    if token in table:
                        table[token].revoked = True
            raise OAuthError("invalid_grant", "authorization code already used")
        if code.expires_at <= self._clock():
            raise OAuthError("invalid_grant", "authorization code expired")
        if code.redirect_uri is not None and form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError("invalid_request", "code_verifier is required (PKCE)")
            if not _PKCE_VERIFIER.fullmatch(verifier) or not secrets.compare_digest(
                s256(verifier), code.code_challenge
            ):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        code.used = True
        answer = self._answer(client, code.scope, with_refresh=True)
        code.issued.extend([answer["access_token"], answer["refresh_token"]])
        return answer

    def _refresh_grant(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        value = form.get("refresh_token")
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required")
        grant = self._refresh.get(value)
        if grant is None or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "unknown refresh token")
        if grant.revoked:
            raise OAuthError("invalid_grant", "refresh token revoked")
        if grant.expires_at <= self._clock():
            raise OAuthError("invalid_grant", "refresh token expired")
        rotate = self._settings.rotate_refresh_tokens
        if rotate:
            grant.revoked = True
        return self._answer(client, grant.scope, with_refresh=rotate)

    def _password_grant(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        if not client.password_grant:
            raise OAuthError("unauthorized_client", "this client may not use the password grant")
        username, password = form.get("username", ""), form.get("password", "")
        if username.casefold() != SANDBOX_ADMIN_USERNAME.casefold() or not secrets.compare_digest(
            password, SANDBOX_ADMIN_PASSWORD
        ):
            raise OAuthError("invalid_grant", "wrong username or password")
        return self._answer(client, form.get("scope") or client.scope, with_refresh=True)

    def _answer(self, client: OAuthClient, scope: str, *, with_refresh: bool) -> dict[str, Any]:
        now = self._clock()
        ttl = self._settings.access_token_ttl
        access = secrets.token_urlsafe(32)
        self._access[access] = _Token(client.client_id, scope, now + ttl)
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": max(1, round(ttl)),
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _Token(client.client_id, scope, now + self._settings.refresh_token_ttl)
            answer["refresh_token"] = refresh
        answer.update(
            {
                "scope": scope,
                "principal": SANDBOX_ADMIN_USERNAME,
                "account_key": SANDBOX_ACCOUNT_KEY,
                "email": SANDBOX_ADMIN_USERNAME,
                "firstName": SANDBOX_ADMIN_GIVEN_NAME,
                "lastName": SANDBOX_ADMIN_FAMILY_NAME,
            }
        )
        return answer
