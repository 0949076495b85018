"""The browser flow's `state`: single-use, expiring, shared through Table Storage (Azurite)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from azure.data.tables.aio import TableClient

from provisioning.goto_auth import (
    GoToAuthSettings,
    OAuthStateError,
    OAuthStateStore,
    TokenStore,
    complete_authorization,
    start_authorization,
)
from tests.goto_auth.helpers import FUNCTION_REDIRECT_URI, SecretRecorder, consent


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_state_is_accepted_once_and_then_refused(states: OAuthStateStore) -> None:
    state = await states.issue(redirect_uri=FUNCTION_REDIRECT_URI)

    pending = await states.consume(state)
    with pytest.raises(OAuthStateError, match="already used"):
        await states.consume(state)

    assert pending.redirect_uri == FUNCTION_REDIRECT_URI


async def test_a_forged_or_malformed_state_is_refused(states: OAuthStateStore) -> None:
    await states.issue(redirect_uri=FUNCTION_REDIRECT_URI)

    with pytest.raises(OAuthStateError, match="unknown"):
        await states.consume(secrets.token_urlsafe(32))
    for bad in (None, "", "short", "x" * 32 + "'; drop", "é" * 40):
        with pytest.raises(OAuthStateError, match="missing or malformed"):
            await states.consume(bad)


async def test_an_expired_state_is_refused_and_removed(
    tables_connection_string: str, table_prefix: str
) -> None:
    clock = Clock()
    async with OAuthStateStore.from_connection_string(
        tables_connection_string, prefix=table_prefix, clock=clock
    ) as store:
        state = await store.issue(redirect_uri=FUNCTION_REDIRECT_URI)
        clock.now += timedelta(minutes=10, seconds=1)

        with pytest.raises(OAuthStateError, match="expired"):
            await store.consume(state)
        with pytest.raises(OAuthStateError, match="already used"):
            await store.consume(state)


async def test_of_two_simultaneous_callbacks_with_one_state_exactly_one_wins(
    tables_connection_string: str, table_prefix: str
) -> None:
    """Two Function instances, two clients, one table: the ETag-guarded replace lets one through (its
    nonce keeps the loser's 412 from looking like our own landed write)."""
    async with (
        OAuthStateStore.from_connection_string(tables_connection_string, prefix=table_prefix) as one,
        OAuthStateStore.from_connection_string(tables_connection_string, prefix=table_prefix) as two,
    ):
        for _ in range(5):
            state = await one.issue(redirect_uri=FUNCTION_REDIRECT_URI)
            results = await asyncio.gather(one.consume(state), two.consume(state), return_exceptions=True)
            assert sum(not isinstance(r, BaseException) for r in results) == 1
            assert sum(isinstance(r, OAuthStateError) for r in results) == 1


async def test_the_table_holds_no_usable_state(
    states: OAuthStateStore, tables_connection_string: str, table_prefix: str
) -> None:
    state = await states.issue(redirect_uri=FUNCTION_REDIRECT_URI)

    async with TableClient.from_connection_string(tables_connection_string, states.table_name) as table:
        rows = [row async for row in table.list_entities()]

    assert states.table_name == table_prefix + "oauthstate"
    assert len(rows) == 1
    assert all(state not in str(value) for value in rows[0].values())


async def test_expired_states_are_purged_when_a_new_one_is_issued(
    tables_connection_string: str, table_prefix: str, settings: GoToAuthSettings
) -> None:
    clock = Clock()
    async with OAuthStateStore.from_connection_string(
        tables_connection_string, prefix=table_prefix, clock=clock
    ) as store:
        stale = [await store.issue(redirect_uri=FUNCTION_REDIRECT_URI) for _ in range(3)]
        await store.consume(stale[1])  # used ones go too
        clock.now += timedelta(minutes=11)
        live = await start_authorization(settings=settings, states=store)

        async with TableClient.from_connection_string(tables_connection_string, store.table_name) as table:
            rows = [row async for row in table.list_entities()]
        assert len(rows) == 1
        assert (await store.consume(live.state)).redirect_uri == FUNCTION_REDIRECT_URI
        with pytest.raises(OAuthStateError, match="unknown"):
            await store.consume(stale[0])


async def test_the_callback_refuses_a_replayed_or_forged_state_before_touching_gotos_code(
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    token_http: httpx.AsyncClient,
    recorder: SecretRecorder,
) -> None:
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
    stored = await token_store.get()
    exchanges = recorder.token_requests

    other = await consent((await start_authorization(settings=settings, states=states)).url, recorder)
    for state in (redirect.state, secrets.token_urlsafe(32)):  # replayed, then forged
        with pytest.raises(OAuthStateError):
            await complete_authorization(
                code=other.code,
                state=state,
                settings=settings,
                states=states,
                token_store=token_store,
                http=token_http,
            )

    assert recorder.token_requests == exchanges  # GoTo never saw the code
    assert await token_store.get() == stored


async def test_a_new_state_colliding_with_a_stored_one_is_never_handed_out(
    states: OAuthStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 256-bit collision cannot happen here, so the random source is replaced: it draws the same
    state twice, then another. The stored row is kept, and the second issue draws again."""
    draws = iter(["A" * 43, "A" * 43, "B" * 43])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes=32: next(draws))
    other = "https://other.example/api/goto/callback"

    first = await states.issue(redirect_uri=FUNCTION_REDIRECT_URI)
    second = await states.issue(redirect_uri=other)

    assert (first, second) == ("A" * 43, "B" * 43)
    assert (await states.consume(first)).redirect_uri == FUNCTION_REDIRECT_URI
    assert (await states.consume(second)).redirect_uri == other
