"""Test-side pieces shared by the goto_auth suite: the browser, the secret recorder, a SCIM client."""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from provisioning.goto_auth import GoToAuth, TokenProvider
from provisioning.target.scim import ScimClient
from provisioning.target.throttle import RetryPolicy, Throttle
from sandbox.goto import SANDBOX_ADMIN_PASSWORD, SANDBOX_CLIENT_SECRET
from sandbox.keyvault import SANDBOX_VAULT_TOKEN

TLS = ssl.create_default_context()  # one context for every client (loading the CA bundle is slow)
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)

# A "new" GoTo OAuth client, registered per test: authorization code only, no password grant.
APP_CLIENT_ID = "goto-provisioning-app"
APP_CLIENT_SECRET = "app-client-secret-" + uuid.uuid4().hex
FUNCTION_REDIRECT_URI = "http://127.0.0.1:7071/api/goto/callback"
CLI_REDIRECT_URI = "http://127.0.0.1/callback"  # loopback: any port matches (RFC 8252)


@dataclass
class SecretRecorder:
    """Every secret a test meets: fixed sandbox secrets plus each token and code GoTo handed out."""

    seen: set[str] = field(
        default_factory=lambda: {
            SANDBOX_CLIENT_SECRET,
            SANDBOX_ADMIN_PASSWORD,
            APP_CLIENT_SECRET,
            SANDBOX_VAULT_TOKEN,
        }
    )
    token_requests: int = 0

    def add(self, value: str | None) -> None:
        if value:
            self.seen.add(value)

    async def on_response(self, response: httpx.Response) -> None:
        """httpx response hook on the token client: record every token GoTo answers."""
        if response.request.url.path != "/oauth/token":
            return
        self.token_requests += 1
        await response.aread()
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        if isinstance(body, dict):
            for key in ("access_token", "refresh_token"):
                value = body.get(key)
                if isinstance(value, str):
                    self.add(value)

    def leaks(self, texts: list[str]) -> list[tuple[str, str]]:
        """(secret prefix, text) for every text that contains a recorded secret."""
        return [(s[:6] + "…", t) for t in texts for s in self.seen if s in t]


@dataclass(frozen=True)
class Redirect:
    code: str
    state: str
    redirect_uri: str


@asynccontextmanager
async def browser(*, follow_redirects: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's browser, played by httpx. It is not the product, so its own request logs (which
    show the callback URL and its code, as a browser's history would) are kept out of the records
    the leak checks read: httpx/httpcore are quieted while it is open."""
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        async with httpx.AsyncClient(verify=TLS, follow_redirects=follow_redirects, timeout=10.0) as client:
            yield client
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def consent(url: str, recorder: SecretRecorder) -> Redirect:
    """Play the admin's browser at GoTo: open the authorize URL, take the 302 back (not followed)."""
    async with browser() as client:
        response = await client.get(url)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    recorder.add(query.get("code"))
    return Redirect(
        code=query["code"],
        state=query["state"],
        redirect_uri=f"{location.scheme}://{location.netloc}{location.path}",
    )


@asynccontextmanager
async def scim_client(base_url: str, provider: TokenProvider) -> AsyncIterator[ScimClient]:
    """A real ScimClient whose AsyncClient authenticates with GoToAuth(provider)."""
    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/", auth=GoToAuth(provider), verify=TLS, timeout=10.0
    ) as http:
        yield ScimClient(http, throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY))
