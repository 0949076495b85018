"""GoToAuth: the httpx.Auth a GoTo SCIM AsyncClient is built with.

Every request gets the provider's current bearer token. When GoTo refuses it (401, or 403 with
`invalid_token`, which goto.md says GoTo may answer), the provider renews once and the request is
sent once more; a second refusal goes back to the caller (ScimClient maps it to UnauthorizedError).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx

from provisioning.goto_auth.provider import TokenProvider


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
        if not token_refused(response):
            return
        fresh = await self.provider.refresh(rejected=token)
        if fresh is None or fresh == token:
            return
        request.headers["Authorization"] = f"Bearer {fresh}"
        yield request


def token_refused(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    challenge = response.headers.get("www-authenticate", "")
    return response.status_code == 403 and "invalid_token" in challenge
