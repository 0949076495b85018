"""GoToAuth: the httpx.Auth a GoTo SCIM AsyncClient is built with.

Every request gets the provider's current bearer token. When GoTo refuses it, the provider renews
once and the request is sent once more; a second refusal goes back to the caller (ScimClient maps
it to UnauthorizedError). Refused means 401, or 403 saying the token is invalid: in a
`WWW-Authenticate: ... error="invalid_token"` challenge or in the body (GoTo's 2018 description
answers 403 "Invalid token passed"). A 403 that says nothing of the token (lacking rights) is not
renewed: a new token would be refused the same way.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator

import httpx

from provisioning.goto_auth.provider import TokenProvider

# "Invalid token passed", "invalid_token", "invalid access token", "token is invalid / expired"
_INVALID_TOKEN = re.compile(
    r"invalid[\s_-]*(?:access[\s_-]*|bearer[\s_-]*)?token|token[\s_-]*(?:is[\s_-]*)?(?:invalid|expired)",
    re.IGNORECASE,
)
_MAX_BODY_CHARS = 4096  # an error body worth reading is short; look no further


class GoToAuth(httpx.Auth):
    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider

    def __repr__(self) -> str:
        return f"GoToAuth({self.provider!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("GoToAuth renews tokens asynchronously: use it with httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.provider.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 403:
            await response.aread()  # the reason may be in the body only; the caller reads it anyway
        if not token_refused(response):
            return
        fresh = await self.provider.refresh(rejected=token)
        if fresh is None or fresh == token:
            return
        request.headers["Authorization"] = f"Bearer {fresh}"
        yield request


def token_refused(response: httpx.Response) -> bool:
    """True when renewing the token may help: 401, or a 403 that says the token is invalid."""
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    if "invalid_token" in response.headers.get("www-authenticate", "").lower():
        return True
    try:
        body = response.text[:_MAX_BODY_CHARS]
    except httpx.ResponseNotRead:
        return False
    return _INVALID_TOKEN.search(body) is not None
