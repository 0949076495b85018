"""No token, secret, password or code in any exception text, repr, summary or log record.

One test walks every failure this layer reports and collects what an admin or a log could see:
str/repr/traceback of each exception (with its chain), the reprs of every object, the summaries,
and all log records at DEBUG. The autouse fixture in conftest.py checks the log records of every
other test of this suite the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest

from provisioning.errors import ConfigError, ProvisioningError
from provisioning.goto_auth import (
    FileTokenStore,
    GoToAuth,
    GoToAuthSettings,
    GoToOAuthClient,
    OAuthStateStore,
    PasswordGrantProvider,
    RefreshTokenProvider,
    TokenStore,
    complete_authorization,
    load_goto_auth_settings,
    start_authorization,
)
from provisioning.target.throttle import Throttle
from sandbox.goto import (
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    GoToSimulator,
)
from sandbox.keyvault import KeyVaultSimulator
from tests.goto_auth.conftest import keyvault_store
from tests.goto_auth.helpers import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    FAST_RETRY,
    SecretRecorder,
    consent,
    scim_client,
)


def texts_of(exc: BaseException) -> list[str]:
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


async def failure(texts: list[str], call: Awaitable[object]) -> ProvisioningError:
    """Await `call`, which must fail with one of the product's errors; keep every text of it."""
    with pytest.raises(ProvisioningError) as raised:
        await call
    texts.extend(texts_of(raised.value))
    return raised.value


def test_the_leak_check_finds_a_planted_secret(recorder: SecretRecorder) -> None:
    recorder.add("planted-refresh-token-value")

    assert recorder.leaks(["all good", "Bearer planted-refresh-token-value"])
    assert not recorder.leaks(["all good"])


async def test_no_secret_in_errors_reprs_summaries_or_logs(
    goto: GoToSimulator,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    oauth: GoToOAuthClient,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
    keyvault_sim: KeyVaultSimulator,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    goto.configure(rotate_refresh_tokens=True, retry_after=None)
    wrong_secret, wrong_password = "wrong-secret-0123456789", "wrong-password-0123456789"
    for value in (wrong_secret, wrong_password):
        recorder.add(value)
    texts: list[str] = []

    # the happy path: authorize, store, SCIM call, rotation
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
    texts.append(repr(summary.as_dict()))
    provider = RefreshTokenProvider(oauth, token_store, rotation_grace=0)
    async with scim_client(goto.scim_base_url, provider) as scim:
        await scim.get_me()
        goto.oauth.expire_access_tokens()
        await scim.get_me()
        stored = await token_store.get()
        texts += [repr(x) for x in (settings, provider, GoToAuth(provider), oauth, stored, token_store)]

        # replayed state; replayed code; revoked refresh token (through a SCIM call)
        await failure(
            texts,
            complete_authorization(
                code=redirect.code,
                state=redirect.state,
                settings=settings,
                states=states,
                token_store=token_store,
                http=token_http,
            ),
        )
        await failure(texts, oauth.exchange_code(code=redirect.code, redirect_uri=redirect.redirect_uri))
        goto.oauth.revoke_refresh_tokens()
        goto.oauth.expire_access_tokens()
        await failure(texts, scim.get_me())

    # wrong client secret; password grant refused; wrong password; token endpoint down
    wrong_client = GoToOAuthClient(
        token_http, client_id=APP_CLIENT_ID, client_secret=wrong_secret, auth_base_url=goto.url
    )
    await failure(texts, wrong_client.refresh(stored.value if stored else "x"))
    not_legacy = PasswordGrantProvider(
        oauth, username=SANDBOX_ADMIN_USERNAME, password=SANDBOX_ADMIN_PASSWORD
    )
    await failure(texts, not_legacy.access_token())
    legacy = GoToOAuthClient(
        token_http,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        auth_base_url=goto.url,
        throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY),
    )
    wrong_user = PasswordGrantProvider(legacy, username=SANDBOX_ADMIN_USERNAME, password=wrong_password)
    texts.append(repr(wrong_user))
    await failure(texts, wrong_user.access_token())
    goto.faults.queue("server_error", count=10)
    await failure(
        texts, legacy.password_grant(username=SANDBOX_ADMIN_USERNAME, password=SANDBOX_ADMIN_PASSWORD)
    )
    goto.faults.reset()

    # the stores failing
    vault = keyvault_store(keyvault_sim)
    keyvault_sim.app.fail_next(403, count=2)
    try:
        await failure(texts, vault.get())
        await failure(texts, vault.put(stored.value if stored else "x"))
    finally:
        await vault.close()
    broken = tmp_path / "broken.json"
    broken.write_text('{"refresh_token": ' + repr(stored.value if stored else "x"))
    await failure(texts, FileTokenStore(broken).get())

    # settings that hold secrets
    with pytest.raises(ConfigError) as config:
        load_goto_auth_settings(
            {"GOTO_CLIENT_SECRET": APP_CLIENT_SECRET, "GOTO_PASSWORD": SANDBOX_ADMIN_PASSWORD}
        )
    texts += texts_of(config.value)
    texts.append(
        repr(dataclasses.replace(settings, password=SANDBOX_ADMIN_PASSWORD, static_access_token="x" * 8))
    )

    # every log record so far, at DEBUG (set by the autouse fixture)
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            texts += texts_of(record.exc_info[1])

    assert len(recorder.seen) > 10  # tokens, codes and secrets were really met
    assert any(r.levelno >= logging.INFO for r in caplog.records)
    leaks = recorder.leaks(texts)
    assert not leaks, leaks[:3]
