"""Fixtures of the GoTo credential suite: the GoTo and Key Vault simulators, stores, clients.

Every test also runs under a log check: no record may contain a secret the test met.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from provisioning.goto_auth import (
    FileTokenStore,
    GoToAuthSettings,
    GoToOAuthClient,
    KeyVaultTokenStore,
    OAuthStateStore,
    TokenStore,
)
from provisioning.target.throttle import Throttle
from sandbox.goto import GoToSimulator
from sandbox.keyvault import KeyVaultSimulator, SandboxVaultCredential
from tests.goto_auth.helpers import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    CLI_REDIRECT_URI,
    FAST_RETRY,
    FUNCTION_REDIRECT_URI,
    TLS,
    SecretRecorder,
)


@pytest.fixture
def recorder() -> SecretRecorder:
    return SecretRecorder()


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, recorder: SecretRecorder) -> Iterator[None]:
    """Every log record of every test in this suite, at DEBUG, checked against the secrets it met."""
    caplog.set_level(logging.DEBUG)
    yield
    texts = []
    # at teardown caplog.records holds only teardown's records: read the earlier phases explicitly
    for record in [*caplog.get_records("setup"), *caplog.get_records("call")]:
        texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(record.exc_info[1])))
    leaks = recorder.leaks(texts)
    assert not leaks, f"secrets in log records: {leaks[:3]}"


@pytest.fixture
def goto(goto_sim: GoToSimulator) -> GoToSimulator:
    """The GoTo simulator with a new-style OAuth client (no password grant) and no rate-limit pressure."""
    goto_sim.configure(rate_limit_per_second=1000)
    goto_sim.oauth.register_client(
        APP_CLIENT_ID, APP_CLIENT_SECRET, redirect_uris=(FUNCTION_REDIRECT_URI, CLI_REDIRECT_URI)
    )
    return goto_sim


@pytest.fixture
def settings(goto: GoToSimulator, tmp_path: Path) -> GoToAuthSettings:
    return GoToAuthSettings(
        client_id=APP_CLIENT_ID,
        client_secret=APP_CLIENT_SECRET,
        auth_base_url=goto.url,
        redirect_uri=FUNCTION_REDIRECT_URI,
        scim_base_url=goto.scim_base_url,
        sandbox_dir=tmp_path / ".sandbox",
    )


@pytest.fixture
async def token_http(recorder: SecretRecorder) -> AsyncIterator[httpx.AsyncClient]:
    """The AsyncClient for GoTo's token endpoint; records every token it carries back."""
    async with httpx.AsyncClient(
        verify=TLS, timeout=10.0, event_hooks={"response": [recorder.on_response]}
    ) as client:
        yield client


@pytest.fixture
def oauth(settings: GoToAuthSettings, token_http: httpx.AsyncClient) -> GoToOAuthClient:
    return GoToOAuthClient.from_settings(
        settings, token_http, throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY)
    )


@pytest.fixture
def keyvault_sim() -> Iterator[KeyVaultSimulator]:
    with KeyVaultSimulator() as simulator:
        yield simulator


def keyvault_store(simulator: KeyVaultSimulator, secret_name: str | None = None) -> KeyVaultTokenStore:
    """A store on the simulator through the real SecretClient (aiohttp transport, TLS, challenge)."""
    return KeyVaultTokenStore.from_vault_url(
        simulator.url,
        credential=SandboxVaultCredential(),
        secret_name=secret_name or f"goto-rt-{uuid.uuid4().hex[:8]}",
        **simulator.client_options(),
    )


@pytest.fixture(params=["file", "keyvault"])
async def token_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TokenStore]:
    """Each store-backed test runs against the sandbox file and against Key Vault."""
    if request.param == "file":
        store: TokenStore = FileTokenStore(tmp_path / "refresh-token.json")
        yield store
        await store.close()
        return
    with KeyVaultSimulator() as simulator:
        store = keyvault_store(simulator)
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture
async def states(tables_connection_string: str, table_prefix: str) -> AsyncIterator[OAuthStateStore]:
    async with OAuthStateStore.from_connection_string(tables_connection_string, prefix=table_prefix) as store:
        yield store
