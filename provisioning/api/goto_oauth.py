"""The browser side of "Authorize GoTo": /api/goto/authorize redirects to GoTo with a single-use
state; /api/goto/callback (anonymous: GoTo's redirect carries no function key) checks it, exchanges
the code, and stores the refresh token. Answers never contain a token."""

from __future__ import annotations

import html
from contextlib import AsyncExitStack

from provisioning.api.http import ApiError, ApiRequest, ApiResponse, check_params
from provisioning.config import Settings, load_settings
from provisioning.goto_auth import (
    GoToAuthSettings,
    OAuthStateStore,
    complete_authorization,
    open_token_store,
    start_authorization,
)
from provisioning.service import table_store


def _oauth(settings: Settings) -> GoToAuthSettings:
    auth = settings.goto_auth
    if auth is None or auth.mode != "authorization_code":
        raise ApiError(
            409,
            "notConfigured",
            "GoTo OAuth is not configured: set GOTO_CLIENT_ID and GOTO_CLIENT_SECRET (and GOTO_REDIRECT_URI)",
            field="GOTO_CLIENT_ID",
        )
    return auth


async def _states(settings: Settings, stack: AsyncExitStack) -> OAuthStateStore:
    """On a TableStore of its own: a storage failure here is a StorageError (the API answers 503)."""
    states = OAuthStateStore(table_store(settings), prefix=settings.state_table_prefix)
    stack.push_async_callback(states.close)  # closes the store even if opening the table failed
    return await states.open()


async def handle_goto_authorize(request: ApiRequest) -> ApiResponse:
    check_params(request, set())
    settings = load_settings()
    auth = _oauth(settings)
    async with AsyncExitStack() as stack:
        begun = await start_authorization(settings=auth, states=await _states(settings, stack))
    return ApiResponse(
        302, b"", content_type="text/plain", headers={"Location": begun.url, "Cache-Control": "no-store"}
    )


async def handle_goto_callback(request: ApiRequest) -> ApiResponse:
    """Reads code, state, error and error_description; every other parameter is ignored, as RFC 6749
    §3.1 asks of clients too: servers add standard ones (RFC 9207 `iss`, OpenID `session_state`,
    `scope`) and may add their own."""
    settings = load_settings()
    auth = _oauth(settings)
    async with AsyncExitStack() as stack:
        credential = None
        if auth.key_vault_url:
            from azure.identity.aio import ManagedIdentityCredential

            credential = ManagedIdentityCredential(client_id=settings.azure_client_id)
            stack.push_async_callback(credential.close)
        token_store = open_token_store(auth, credential=credential)
        stack.push_async_callback(token_store.close)
        summary = await complete_authorization(
            code=request.params.get("code"),
            state=request.params.get("state"),
            settings=auth,
            states=await _states(settings, stack),
            token_store=token_store,
            error=request.params.get("error"),
            error_description=request.params.get("error_description"),
        )
    details = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in summary.as_dict().items()
    )
    page = (
        "<!doctype html><title>GoTo connected</title><h1>GoTo is connected</h1>"
        f"<p>The refresh token is stored; provisioning can reach GoTo.</p><ul>{details}</ul>"
    )
    return ApiResponse(200, page.encode(), content_type="text/html", headers={"Cache-Control": "no-store"})
