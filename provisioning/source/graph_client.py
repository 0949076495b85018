"""Build the msgraph-sdk client the Graph adapter runs on: credential, retry middleware, base URL.

`GraphRequestAdapter(auth, client=httpx.AsyncClient())` alone installs no middleware (no retries,
no redirects): the SDK only adds its default pipeline when it creates the client itself. This
module always loads a pipeline onto the client, so throttling is retried the same way for a
caller-owned client as for the SDK's own: the SDK's default handlers that act on our requests
(redirect, retry with Retry-After, `%24select` sent as `$select`, User-Agent, Graph's telemetry
header), without the three that do nothing for them (/me URL replacement, header and body
inspection): each opens a tracing span and copies headers on every page.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import httpx
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware import (
    ParametersNameDecodingHandler,
    RedirectHandler,
    RetryHandler,
    UserAgentHandler,
)
from kiota_http.middleware.middleware import BaseMiddleware
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler

DEFAULT_TIMEOUT_SECONDS = 100.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 30.0


class StaticTokenCredential:
    """An AsyncTokenCredential that always hands out one bearer token (GRAPH_ACCESS_TOKEN, sandboxes).

    The token is never refreshed: when it expires Graph answers 401, which the adapter reports.
    """

    def __init__(self, token: str, *, lifetime_seconds: int = 3600) -> None:
        if not token:
            raise ValueError("a static Graph token must not be empty")
        self._token = token
        self._lifetime = lifetime_seconds

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=<hidden>)"


def create_graph_client(
    *,
    base_url: str,
    credential: AsyncTokenCredential | TokenCredential,
    http_client: httpx.AsyncClient | None = None,
    max_retries: int = RetryHandlerOption.DEFAULT_MAX_RETRIES,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> GraphServiceClient:
    """A GraphServiceClient for `base_url` (e.g. https://graph.microsoft.com/v1.0).

    The token is only ever sent to `base_url`'s host (a link pointing elsewhere goes without it);
    plain http is accepted by the SDK for loopback hosts only. Pass `http_client` to own its
    lifetime (close it when done); `timeout` applies only to a client created here.
    """
    host = urlparse(base_url).hostname
    if not host:
        raise ValueError(f"base_url needs a scheme and a host: {base_url!r}")
    auth = AzureIdentityAuthenticationProvider(credential, allowed_hosts=[host])
    client = http_client or httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=DEFAULT_CONNECT_TIMEOUT_SECONDS), http2=True
    )
    client = GraphClientFactory.create_with_custom_middleware(middleware(max_retries), client=client)
    adapter = GraphRequestAdapter(auth, client=client)
    adapter.base_url = base_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)


def middleware(max_retries: int = RetryHandlerOption.DEFAULT_MAX_RETRIES) -> list[BaseMiddleware]:
    """The handlers every Graph request passes through, outermost first (the SDK's default order)."""
    return [
        RedirectHandler(),
        RetryHandler(options=RetryHandlerOption(max_retries=max_retries)),
        ParametersNameDecodingHandler(),
        UserAgentHandler(),
        GraphTelemetryHandler(),
    ]
