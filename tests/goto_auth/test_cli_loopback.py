"""The terminal flow: a loopback listener on 127.0.0.1, a browser (played here by httpx) and GoTo."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from provisioning.goto_auth import (
    AuthorizationDeniedError,
    AuthorizationSummary,
    AuthorizationTimeoutError,
    GoToAuthSettings,
    TokenStore,
    authorize_interactively,
    cli,
)
from sandbox.goto import SANDBOX_ACCOUNT_KEY, GoToSimulator
from tests.goto_auth.helpers import APP_CLIENT_ID, APP_CLIENT_SECRET, TLS, SecretRecorder, browser

Browser = Callable[[str], Awaitable[None]]


def redirect_uri_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


async def run_flow(
    settings: GoToAuthSettings,
    token_store: TokenStore,
    http: httpx.AsyncClient,
    browser: Browser,
    *,
    wait_seconds: float = 10.0,
) -> tuple[AuthorizationSummary, list[str]]:
    """authorize_interactively with `browser` called on the URL it would open."""
    opened: asyncio.Queue[str] = asyncio.Queue()
    announced: list[str] = []

    async def play() -> None:
        await browser(await opened.get())

    player = asyncio.create_task(play())
    try:
        summary = await authorize_interactively(
            settings=settings,
            token_store=token_store,
            http=http,
            open_browser=opened.put_nowait,
            announce=announced.append,
            wait_seconds=wait_seconds,
        )
    finally:
        await player
    return summary, announced


async def test_the_admin_consents_in_a_browser_and_the_token_is_stored(
    goto: GoToSimulator,
    settings: GoToAuthSettings,
    token_store: TokenStore,
    token_http: httpx.AsyncClient,
) -> None:
    pages: list[httpx.Response] = []

    async def admin(url: str) -> None:
        async with browser(follow_redirects=True) as client:
            pages.append(await client.get(url))  # GoTo consents and redirects to the listener

    summary, announced = await run_flow(settings, token_store, token_http, admin)

    assert pages[0].status_code == 200 and "Return to the terminal" in pages[0].text
    assert len(pages[0].history) == 1 and pages[0].history[0].status_code == 302
    assert summary.redirect_uri.startswith("http://127.0.0.1:") and summary.redirect_uri.endswith("/callback")
    assert summary.account_key == SANDBOX_ACCOUNT_KEY
    assert any(goto.authorize_url in text for text in announced)
    stored = await token_store.get()
    assert stored is not None and stored.version == summary.version


async def test_a_callback_with_a_forged_state_is_refused_and_the_real_one_still_counts(
    settings: GoToAuthSettings, token_store: TokenStore, token_http: httpx.AsyncClient
) -> None:
    seen: list[int] = []

    async def admin(url: str) -> None:
        listener = redirect_uri_of(url)
        async with browser(follow_redirects=True) as client:
            seen.append((await client.get(listener, params={"code": "c0de", "state": "forged"})).status_code)
            seen.append((await client.get(listener.replace("/callback", "/favicon.ico"))).status_code)
            seen.append((await client.get(url)).status_code)

    summary, _ = await run_flow(settings, token_store, token_http, admin)

    assert seen == [400, 404, 200]
    assert (await token_store.get()) is not None and summary.version


async def test_a_denied_consent_is_reported(
    settings: GoToAuthSettings, token_store: TokenStore, token_http: httpx.AsyncClient
) -> None:
    async def admin(url: str) -> None:
        state = parse_qs(urlsplit(url).query)["state"][0]
        async with browser() as client:
            await client.get(redirect_uri_of(url), params={"error": "access_denied", "state": state})

    with pytest.raises(AuthorizationDeniedError, match="access_denied"):
        await run_flow(settings, token_store, token_http, admin)
    assert await token_store.get() is None


async def test_no_callback_in_time_is_a_clear_timeout(
    settings: GoToAuthSettings, token_store: TokenStore, token_http: httpx.AsyncClient
) -> None:
    async def absent_admin(url: str) -> None:
        return None  # the admin never opens the URL

    with pytest.raises(AuthorizationTimeoutError, match="no answer from GoTo"):
        await run_flow(settings, token_store, token_http, absent_admin, wait_seconds=0.2)


async def test_the_command_line_entry_point_authorizes_into_the_sandbox_file(
    goto: GoToSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recorder: SecretRecorder,
) -> None:
    """`python -m provisioning.goto_auth authorize --json` with the browser played from a thread."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "GOTO_CLIENT_ID": APP_CLIENT_ID,
        "GOTO_CLIENT_SECRET": APP_CLIENT_SECRET,
        "GOTO_AUTH_BASE_URL": goto.url,
        "GOTO_SCIM_BASE_URL": goto.scim_base_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("KEY_VAULT_URL", "GOTO_ACCESS_TOKEN", "GOTO_USERNAME", "GOTO_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def open_browser(url: str) -> bool:
        def visit() -> None:
            with httpx.Client(verify=TLS, follow_redirects=True, timeout=10) as client:
                client.get(url)

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setattr(cli, "_open_browser", open_browser)

    code = await asyncio.to_thread(cli.main, ["authorize", "--json", "--timeout", "10"])

    out = capsys.readouterr().out
    assert code == cli.EXIT_OK, out
    summary = json.loads(out)
    token_file = tmp_path / ".sandbox" / "goto-refresh-token.json"
    document = json.loads(token_file.read_text())
    recorder.add(document["refresh_token"])
    assert summary["version"] == document["version"]
    assert summary["store"] == f"file {Path('.sandbox/goto-refresh-token.json')}"
    assert document["refresh_token"] not in out
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_the_command_line_refuses_a_file_store_for_the_real_goto(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOTO_CLIENT_ID", APP_CLIENT_ID)
    monkeypatch.setenv("GOTO_CLIENT_SECRET", APP_CLIENT_SECRET)
    for name in (
        "KEY_VAULT_URL",
        "GOTO_AUTH_BASE_URL",
        "GOTO_SCIM_BASE_URL",
        "GOTO_ACCESS_TOKEN",
        "GOTO_USERNAME",
    ):
        monkeypatch.delenv(name, raising=False)

    code = cli.main(["authorize", "--no-browser"])

    err = capsys.readouterr().err
    assert code == cli.EXIT_CANNOT_RUN
    assert "KEY_VAULT_URL" in err and "loopback" in err
    assert APP_CLIENT_SECRET not in err
