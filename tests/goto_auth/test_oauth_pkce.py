"""PKCE (S256) in both authorization flows, against the GoTo simulator with a client that requires
it: the challenge goes with the authorize request, the verifier (kept sealed with the single-use
state, or in memory for the CLI) with the code exchange; a code alone is refused."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from azure.data.tables.aio import TableClient

from provisioning.goto_auth import (
    GoToAuthSettings,
    GoToOAuthClient,
    GoToOAuthError,
    OAuthStateStore,
    TokenStore,
    authorize_interactively,
    complete_authorization,
    pkce,
    start_authorization,
)
from sandbox.goto import GoToSimulator
from tests.goto_auth.helpers import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    CLI_REDIRECT_URI,
    FUNCTION_REDIRECT_URI,
    SecretRecorder,
    browser,
    consent,
)


@pytest.fixture
def pkce_goto(goto: GoToSimulator) -> GoToSimulator:
    goto.oauth.register_client(
        APP_CLIENT_ID,
        APP_CLIENT_SECRET,
        redirect_uris=(FUNCTION_REDIRECT_URI, CLI_REDIRECT_URI),
        pkce=True,
    )
    return goto


def test_verifier_challenge_and_seal() -> None:
    verifier = pkce.new_verifier()
    assert len(verifier) == 43 and verifier != pkce.new_verifier()
    # RFC 7636 appendix B's example
    assert pkce.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    sealed = pkce.seal(verifier, state="state-a")
    assert verifier not in sealed and pkce.unseal(sealed, state="state-a") == verifier
    assert pkce.unseal(sealed, state="state-b") != verifier


async def test_the_browser_flow_sends_challenge_then_verifier(
    pkce_goto: GoToSimulator,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
    tables_connection_string: str,
) -> None:
    request = await start_authorization(settings=settings, states=states)
    query = parse_qs(urlsplit(request.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43

    async with TableClient.from_connection_string(tables_connection_string, states.table_name) as table:
        rows = [dict(e) async for e in table.list_entities()]  # what a reader of the table gets
    assert len(rows) == 1
    row = rows[0]
    assert query["code_challenge"][0] not in str(row)
    sealed = row["SealedVerifier"]
    assert pkce.challenge(pkce.unseal(sealed, state=request.state)) == query["code_challenge"][0]

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


async def test_a_code_without_its_verifier_is_refused(
    pkce_goto: GoToSimulator,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    oauth: GoToOAuthClient,
    recorder: SecretRecorder,
) -> None:
    """What PKCE is for: a code intercepted on its way back cannot be exchanged by someone else."""
    request = await start_authorization(settings=settings, states=states)
    redirect = await consent(request.url, recorder)
    with pytest.raises(GoToOAuthError) as raised:
        await oauth.exchange_code(code=redirect.code, redirect_uri=FUNCTION_REDIRECT_URI)
    assert raised.value.error == "invalid_request" and "code_verifier" in str(raised.value)
    wrong = pkce.new_verifier()
    with pytest.raises(GoToOAuthError) as raised:
        await oauth.exchange_code(code=redirect.code, redirect_uri=FUNCTION_REDIRECT_URI, code_verifier=wrong)
    assert raised.value.error == "invalid_grant"
    assert wrong not in str(raised.value)


async def test_the_cli_flow_uses_pkce_too(
    pkce_goto: GoToSimulator,
    settings: GoToAuthSettings,
    token_store: TokenStore,
    token_http: httpx.AsyncClient,
) -> None:
    opened: asyncio.Queue[str] = asyncio.Queue()
    urls: list[str] = []

    async def admin() -> None:
        urls.append(await opened.get())
        async with browser(follow_redirects=True) as client:
            page = await client.get(urls[0])  # GoTo consents and redirects to the listener
        assert page.status_code == 200 and "Return to the terminal" in page.text

    player = asyncio.create_task(admin())
    summary = await authorize_interactively(
        settings=settings,
        token_store=token_store,
        http=token_http,
        open_browser=opened.put_nowait,
        announce=lambda text: None,
        wait_seconds=10.0,
    )
    await player
    assert parse_qs(urlsplit(urls[0]).query)["code_challenge_method"] == ["S256"]
    stored = await token_store.get()
    assert stored is not None and stored.version == summary.version
