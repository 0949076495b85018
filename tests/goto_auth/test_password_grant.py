"""Legacy password grant: works for a client that kept it, refused clearly for one that never had it."""

from __future__ import annotations

import logging

import httpx
import pytest

from provisioning.goto_auth import (
    GoToAuthSettings,
    GoToOAuthClient,
    GoToOAuthError,
    PasswordGrantNotAllowedError,
    PasswordGrantProvider,
    build_token_provider,
)
from provisioning.target.throttle import Throttle
from sandbox.goto import (
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    GoToSimulator,
)
from tests.goto_auth.helpers import FAST_RETRY, SecretRecorder, scim_client


def legacy_client(goto: GoToSimulator, http: httpx.AsyncClient) -> GoToOAuthClient:
    """sandbox-client is a legacy GoTo client that kept "Direct Login"."""
    return GoToOAuthClient(
        http,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        auth_base_url=goto.url,
        throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY),
    )


async def test_a_legacy_client_reaches_scim_with_the_admins_password(
    goto: GoToSimulator,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = PasswordGrantProvider(
        legacy_client(goto, token_http), username=SANDBOX_ADMIN_USERNAME, password=SANDBOX_ADMIN_PASSWORD
    )
    async with scim_client(goto.scim_base_url, provider) as scim:
        assert (await scim.get_me())["userName"] == SANDBOX_ADMIN_USERNAME
        goto.oauth.expire_access_tokens()
        assert (await scim.get_me())["userName"] == SANDBOX_ADMIN_USERNAME

    assert provider.renewals == 2
    deprecations = [
        r for r in caplog.records if r.levelno == logging.WARNING and "deprecated" in r.getMessage()
    ]
    assert deprecations, "the password grant must be logged as deprecated"


async def test_after_its_refresh_token_is_revoked_the_password_is_used_again(
    goto: GoToSimulator, token_http: httpx.AsyncClient, recorder: SecretRecorder
) -> None:
    provider = PasswordGrantProvider(
        legacy_client(goto, token_http), username=SANDBOX_ADMIN_USERNAME, password=SANDBOX_ADMIN_PASSWORD
    )
    first = await provider.access_token()
    goto.oauth.revoke_refresh_tokens()

    second = await provider.refresh(rejected=first)

    assert second is not None and second != first and goto.oauth.access_token_valid(second)
    assert recorder.token_requests == 3  # password, refused refresh, password


async def test_a_new_client_is_refused_the_password_grant_with_a_clear_message(
    goto: GoToSimulator, settings: GoToAuthSettings, token_http: httpx.AsyncClient
) -> None:
    legacy = GoToAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        auth_base_url=settings.auth_base_url,
        scim_base_url=settings.scim_base_url,
        username=SANDBOX_ADMIN_USERNAME,
        password=SANDBOX_ADMIN_PASSWORD,
    )
    provider = build_token_provider(legacy, http=token_http)

    with pytest.raises(PasswordGrantNotAllowedError) as raised:
        await provider.access_token()

    message = str(raised.value)
    assert "may not use the password grant" in message
    assert "deprecated" in message and "goto-authorize" in message
    assert raised.value.error == "unauthorized_client"


async def test_a_wrong_password_names_the_settings_without_quoting_them(
    goto: GoToSimulator, token_http: httpx.AsyncClient
) -> None:
    wrong = "not-the-admin-password"
    provider = PasswordGrantProvider(
        legacy_client(goto, token_http), username=SANDBOX_ADMIN_USERNAME, password=wrong
    )

    with pytest.raises(GoToOAuthError, match="GOTO_USERNAME / GOTO_PASSWORD") as raised:
        await provider.access_token()

    assert wrong not in str(raised.value)
    assert not isinstance(raised.value, PasswordGrantNotAllowedError)
