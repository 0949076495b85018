"""The entry points the sync wiring and the routes use: open_goto_auth, open_token_store, the flow's edges."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from provisioning.errors import ConfigError
from provisioning.goto_auth import (
    AuthorizationDeniedError,
    FileTokenStore,
    GoToAuthSettings,
    KeyVaultTokenStore,
    OAuthStateError,
    OAuthStateStore,
    PasswordGrantProvider,
    RefreshTokenProvider,
    StaticTokenProvider,
    TokenStore,
    complete_authorization,
    open_goto_auth,
    open_token_store,
    start_authorization,
)
from provisioning.target.scim import ScimClient
from sandbox.goto import (
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_GOTO_TOKEN,
    GoToSimulator,
)
from sandbox.keyvault import KeyVaultSimulator, SandboxVaultCredential
from tests.goto_auth.helpers import APP_CLIENT_ID, TLS, SecretRecorder, consent


async def me_through(goto: GoToSimulator, auth: httpx.Auth) -> str:
    """What service.open_services will do: the SCIM AsyncClient built with `auth=`."""
    async with httpx.AsyncClient(base_url=goto.scim_base_url + "/", auth=auth, verify=TLS) as http:
        return str((await ScimClient(http).get_me())["userName"])


async def test_static_mode_needs_no_oauth_client(goto: GoToSimulator) -> None:
    settings = GoToAuthSettings(static_access_token=SANDBOX_GOTO_TOKEN, scim_base_url=goto.scim_base_url)

    async with open_goto_auth(settings) as auth:
        assert isinstance(auth.provider, StaticTokenProvider)
        assert await me_through(goto, auth) == SANDBOX_ADMIN_USERNAME


async def test_password_mode_for_a_legacy_client(goto: GoToSimulator, recorder: SecretRecorder) -> None:
    settings = GoToAuthSettings(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        auth_base_url=goto.url,
        scim_base_url=goto.scim_base_url,
        username=SANDBOX_ADMIN_USERNAME,
        password=SANDBOX_ADMIN_PASSWORD,
    )
    async with (
        httpx.AsyncClient(verify=TLS, event_hooks={"response": [recorder.on_response]}) as http,
        open_goto_auth(settings, http=http) as auth,
    ):
        assert isinstance(auth.provider, PasswordGrantProvider)
        assert await me_through(goto, auth) == SANDBOX_ADMIN_USERNAME


async def test_code_mode_reads_the_sandbox_file_store_it_opens_itself(
    goto: GoToSimulator, settings: GoToAuthSettings, recorder: SecretRecorder
) -> None:
    refresh_token = goto.oauth.issue(APP_CLIENT_ID)["refresh_token"]
    recorder.add(refresh_token)
    await FileTokenStore(settings.token_file).put(refresh_token)

    async with (
        httpx.AsyncClient(verify=TLS, event_hooks={"response": [recorder.on_response]}) as http,
        open_goto_auth(settings, http=http) as auth,
    ):
        assert isinstance(auth.provider, RefreshTokenProvider)
        assert await me_through(goto, auth) == SANDBOX_ADMIN_USERNAME


async def test_the_token_store_is_key_vault_when_a_vault_is_configured(
    keyvault_sim: KeyVaultSimulator, settings: GoToAuthSettings
) -> None:
    with_vault = dataclasses.replace(
        settings, key_vault_url=keyvault_sim.url, refresh_token_secret_name="goto-rt"
    )
    credential = SandboxVaultCredential()

    store = open_token_store(with_vault, credential=credential, **keyvault_sim.client_options())
    try:
        assert isinstance(store, KeyVaultTokenStore)
        version = await store.put("refresh")
    finally:
        await store.close()

    assert keyvault_sim.vault.get("goto-rt") is not None
    assert keyvault_sim.vault.get("goto-rt").version == version  # type: ignore[union-attr]


def test_the_file_store_is_refused_when_goto_is_not_a_sandbox(
    settings: GoToAuthSettings, tmp_path: Path
) -> None:
    real = dataclasses.replace(settings, auth_base_url="https://authentication.logmeininc.com")

    with pytest.raises(ConfigError, match="loopback") as raised:
        open_token_store(real)
    assert raised.value.setting == "KEY_VAULT_URL"
    assert isinstance(open_token_store(settings), FileTokenStore)


async def test_the_browser_flow_needs_a_redirect_uri(
    settings: GoToAuthSettings, states: OAuthStateStore
) -> None:
    with pytest.raises(ConfigError) as raised:
        await start_authorization(settings=dataclasses.replace(settings, redirect_uri=None), states=states)
    assert raised.value.setting == "GOTO_REDIRECT_URI"

    request = await start_authorization(
        settings=settings, states=states, redirect_uri="http://127.0.0.1:7071/api/goto/callback"
    )
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A7071%2Fapi%2Fgoto%2Fcallback" in request.url


async def test_a_denied_consent_uses_up_the_state_and_stores_nothing(
    settings: GoToAuthSettings, states: OAuthStateStore, token_store: TokenStore
) -> None:
    request = await start_authorization(settings=settings, states=states)

    with pytest.raises(AuthorizationDeniedError, match="access_denied"):
        await complete_authorization(
            code=None,
            state=request.state,
            error="access_denied",
            error_description="The user denied access",
            settings=settings,
            states=states,
            token_store=token_store,
        )
    with pytest.raises(OAuthStateError, match="already used"):
        await states.consume(request.state)
    assert await token_store.get() is None


async def test_a_new_consent_replaces_a_stored_token(
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
) -> None:
    await token_store.put("an-older-refresh-token")
    request = await start_authorization(settings=settings, states=states)
    redirect = await consent(request.url, recorder)

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
    assert stored.value != "an-older-refresh-token"
