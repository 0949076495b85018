"""The whole flow against the GoTo simulator, for the sandbox file and for Key Vault:
authorize → consent (302) → callback → refresh token stored → SCIM call → expiry → refresh →
rotated token stored → revoked → "re-authorize GoTo"."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from provisioning.goto_auth import (
    GoToAuthSettings,
    GoToOAuthClient,
    OAuthStateStore,
    ReauthorizationRequiredError,
    RefreshTokenProvider,
    TokenStore,
    complete_authorization,
    start_authorization,
)
from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_ADMIN_USERNAME, GoToSimulator
from tests.goto_auth.helpers import APP_CLIENT_ID, FUNCTION_REDIRECT_URI, SecretRecorder, consent, scim_client


async def test_authorize_callback_refresh_rotate_revoke(
    goto: GoToSimulator,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    oauth: GoToOAuthClient,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
) -> None:
    goto.configure(rotate_refresh_tokens=True)

    # 1. /api/goto/authorize: a URL at GoTo with our client, redirect and a fresh state
    request = await start_authorization(settings=settings, states=states)
    query = parse_qs(urlsplit(request.url).query)
    assert request.url.startswith(goto.authorize_url + "?")
    assert query["client_id"] == [APP_CLIENT_ID]
    assert query["redirect_uri"] == [FUNCTION_REDIRECT_URI]
    assert query["state"] == [request.state]

    # 2. the admin consents; GoTo 302s to the callback with code and our state
    redirect = await consent(request.url, recorder)
    assert redirect.redirect_uri == FUNCTION_REDIRECT_URI
    assert redirect.state == request.state

    # 3. /api/goto/callback: state checked, code exchanged, refresh token stored
    summary = await complete_authorization(
        code=redirect.code,
        state=redirect.state,
        settings=settings,
        states=states,
        token_store=token_store,
        http=token_http,
    )
    stored = await token_store.get()
    assert stored is not None and stored.version == summary.version
    assert summary.account_key == SANDBOX_ACCOUNT_KEY
    assert summary.principal == SANDBOX_ADMIN_USERNAME
    assert summary.store == token_store.description
    assert stored.value in recorder.seen  # the refresh token GoTo answered is the one stored
    assert stored.value not in repr(summary.as_dict())

    # 4. a real ScimClient call with an access token obtained from the stored refresh token
    provider = RefreshTokenProvider(oauth, token_store, rotation_grace=0.2, poll_interval=0.05)
    async with scim_client(goto.scim_base_url, provider) as scim:
        me = await scim.get_me()
        assert me["userName"] == SANDBOX_ADMIN_USERNAME
        first_rotation = await token_store.get()
        assert first_rotation is not None and first_rotation.value != stored.value  # rotated + persisted

        # 5. GoTo ends the access token early: the 401 triggers one refresh and one retry
        assert goto.oauth.expire_access_tokens() >= 1
        me = await scim.get_me()
        assert me["userName"] == SANDBOX_ADMIN_USERNAME
        second_rotation = await token_store.get()
        assert second_rotation is not None
        assert second_rotation.value != first_rotation.value
        assert second_rotation.version != first_rotation.version
        assert provider.renewals == 2

        # 6. the admin revokes the consent: the next renewal says "re-authorize GoTo"
        assert goto.oauth.revoke_refresh_tokens() >= 1
        goto.oauth.expire_access_tokens()
        with pytest.raises(ReauthorizationRequiredError, match="re-authorize GoTo") as raised:
            await scim.get_me()
    assert raised.value.error == "invalid_grant"
    assert second_rotation.value not in str(raised.value)


async def test_without_rotation_the_stored_token_is_kept(
    goto: GoToSimulator,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    oauth: GoToOAuthClient,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
) -> None:
    """GoTo's usual refresh answer carries no refresh token: nothing is written, the token stays."""
    request = await start_authorization(settings=settings, states=states)
    redirect = await consent(request.url, recorder)
    await complete_authorization(
        code=redirect.code,
        state=redirect.state,
        settings=settings,
        states=states,
        token_store=token_store,
        http=token_http,
    )
    before = await token_store.get()
    provider = RefreshTokenProvider(oauth, token_store)
    async with scim_client(goto.scim_base_url, provider) as scim:
        await scim.get_me()
        goto.oauth.expire_access_tokens()
        await scim.get_me()

    assert provider.renewals == 2
    assert await token_store.get() == before
