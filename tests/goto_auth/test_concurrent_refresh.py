"""Concurrent renewals: one refresh per process, and instances sharing a store lose no rotated token."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.goto_auth import (
    GoToAuthSettings,
    GoToOAuthClient,
    ReauthorizationRequiredError,
    RefreshTokenProvider,
    StoredToken,
    TokenStore,
)
from provisioning.target.throttle import Throttle
from sandbox.goto import SANDBOX_ADMIN_USERNAME, GoToSimulator
from tests.goto_auth.helpers import APP_CLIENT_ID, FAST_RETRY, SecretRecorder, scim_client


async def seed(goto: GoToSimulator, store: TokenStore) -> StoredToken:
    """What a completed authorization leaves behind: a refresh token in the store."""
    await store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])
    stored = await store.get()
    assert stored is not None
    return stored


def provider(oauth: GoToOAuthClient, store: TokenStore) -> RefreshTokenProvider:
    return RefreshTokenProvider(oauth, store, rotation_grace=2.0, poll_interval=0.02)


async def test_concurrent_callers_in_one_process_share_one_refresh(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    goto.configure(rotate_refresh_tokens=True)
    await seed(goto, token_store)
    one = provider(oauth, token_store)

    tokens = await asyncio.gather(*(one.access_token() for _ in range(10)))

    assert len(set(tokens)) == 1
    assert recorder.token_requests == 1
    assert one.renewals == 1


async def test_concurrent_401s_in_one_process_cause_one_refresh(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    goto.configure(rotate_refresh_tokens=True)
    await seed(goto, token_store)
    one = provider(oauth, token_store)
    async with scim_client(goto.scim_base_url, one) as scim:
        await scim.get_me()
        goto.oauth.expire_access_tokens()

        answers = await asyncio.gather(*(scim.get_me() for _ in range(8)))

    assert {a["userName"] for a in answers} == {SANDBOX_ADMIN_USERNAME}
    assert one.renewals == 2
    assert recorder.token_requests == 2


async def test_two_instances_refreshing_at_once_with_rotation_lose_nothing(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore
) -> None:
    """Both read the same refresh token; GoTo rotates it for one and refuses it to the other, which
    finds the rotated token in the store and refreshes with that instead of failing."""
    goto.configure(rotate_refresh_tokens=True)
    seeded = await seed(goto, token_store)
    first, second = provider(oauth, token_store), provider(oauth, token_store)

    tokens = await asyncio.gather(first.access_token(), second.access_token())

    assert all(goto.oauth.access_token_valid(t) for t in tokens)
    latest = await token_store.get()
    assert latest is not None and latest.version != seeded.version
    # the stored token is the live one: a third instance renews with it
    third = provider(oauth, token_store)
    assert goto.oauth.access_token_valid(await third.access_token())


async def test_many_instances_and_rounds_keep_a_live_token_in_the_store(
    goto: GoToSimulator, settings: GoToAuthSettings, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    goto.configure(rotate_refresh_tokens=True)
    await seed(goto, token_store)
    async with httpx.AsyncClient(event_hooks={"response": [recorder.on_response]}) as http:
        oauths = [
            GoToOAuthClient.from_settings(
                settings, http, throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY)
            )
            for _ in range(4)
        ]
        instances = [provider(o, token_store) for o in oauths]
        held = await asyncio.gather(*(p.access_token() for p in instances))
        for _ in range(3):  # GoTo ends every access token; each instance renews after its 401
            goto.oauth.expire_access_tokens()
            renewed = await asyncio.gather(
                *(p.refresh(rejected=t) for p, t in zip(instances, held, strict=True))
            )
            assert all(t is not None and goto.oauth.access_token_valid(t) for t in renewed)
            held = [t for t in renewed if t is not None]

        fresh = provider(oauths[0], token_store)  # a new instance renews with what the store holds
        assert goto.oauth.access_token_valid(await fresh.access_token())


class SlowWrites:
    """A store whose writes land late: the window between GoTo rotating and the winner storing."""

    def __init__(self, inner: TokenStore, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    @property
    def description(self) -> str:
        return self.inner.description

    async def get(self) -> StoredToken | None:
        return await self.inner.get()

    async def put(self, value: str) -> str:
        return await self.inner.put(value)

    async def compare_and_set(self, value: str, *, expected_version: str | None) -> str:
        await asyncio.sleep(self.delay)
        return await self.inner.compare_and_set(value, expected_version=expected_version)

    async def close(self) -> None:
        await self.inner.close()


async def test_the_loser_waits_for_the_winners_write_before_giving_up(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore
) -> None:
    goto.configure(rotate_refresh_tokens=True)
    await seed(goto, token_store)
    winner = provider(oauth, SlowWrites(token_store, delay=0.3))
    loser = provider(oauth, token_store)

    winner_task = asyncio.create_task(winner.access_token())
    await asyncio.sleep(0.1)  # the winner's refresh is done; its write is still on the way
    loser_token = await loser.access_token()
    await winner_task

    assert goto.oauth.access_token_valid(loser_token)


async def test_a_refused_token_with_nothing_newer_in_the_store_means_reauthorize(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore
) -> None:
    seeded = await seed(goto, token_store)
    goto.oauth.revoke_refresh_tokens()
    lone = RefreshTokenProvider(oauth, token_store, rotation_grace=0.1, poll_interval=0.02)

    with pytest.raises(ReauthorizationRequiredError, match="re-authorize GoTo"):
        await lone.access_token()
    assert await token_store.get() == seeded  # nothing was written
