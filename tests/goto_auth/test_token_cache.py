"""The access-token cache: used until shortly before expiry, then renewed; and what renewal survives."""

from __future__ import annotations

import pytest

from provisioning.goto_auth import (
    GoToOAuthClient,
    ReauthorizationRequiredError,
    RefreshTokenProvider,
    StoredToken,
    TokenStore,
    TokenStoreError,
)
from sandbox.goto import GoToSimulator
from tests.goto_auth.helpers import APP_CLIENT_ID, SecretRecorder


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_token_is_reused_until_a_tenth_of_its_life_is_left(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    goto.configure(access_token_ttl=300)  # 5 minutes: renewal 30 s before expiry
    await token_store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])
    clock = Clock()
    provider = RefreshTokenProvider(oauth, token_store, clock=clock)

    first = await provider.access_token()
    clock.now += 269
    assert await provider.access_token() == first
    clock.now += 1  # 270 s: inside the margin
    second = await provider.access_token()

    assert second != first
    assert recorder.token_requests == 2


async def test_the_margin_is_at_most_a_minute_for_gotos_hour_long_tokens(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    await token_store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])
    clock = Clock()
    provider = RefreshTokenProvider(oauth, token_store, clock=clock)

    first = await provider.access_token()
    clock.now += 3539
    assert await provider.access_token() == first
    clock.now += 1
    assert await provider.access_token() != first


async def test_with_nothing_stored_the_message_says_to_authorize(
    oauth: GoToOAuthClient, token_store: TokenStore
) -> None:
    provider = RefreshTokenProvider(oauth, token_store)

    with pytest.raises(ReauthorizationRequiredError, match=r"never authorized here.*re-authorize GoTo"):
        await provider.access_token()


class FlakyWrites:
    """Writes fail while `broken`: a Key Vault outage right after GoTo rotated the token."""

    def __init__(self, inner: TokenStore) -> None:
        self.inner = inner
        self.broken = False

    @property
    def description(self) -> str:
        return self.inner.description

    async def get(self) -> StoredToken | None:
        return await self.inner.get()

    async def put(self, value: str) -> str:
        return await self.inner.put(value)

    async def compare_and_set(self, value: str, *, expected_version: str | None) -> str:
        if self.broken:
            raise TokenStoreError("cannot write the store (HTTP 503: injected)")
        return await self.inner.compare_and_set(value, expected_version=expected_version)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_rotated_token_that_could_not_be_stored_is_kept_and_stored_later(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore
) -> None:
    goto.configure(rotate_refresh_tokens=True)
    await token_store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])
    flaky = FlakyWrites(token_store)
    provider = RefreshTokenProvider(oauth, flaky, rotation_grace=0)

    flaky.broken = True
    first = await provider.access_token()  # GoTo rotated; the write failed; the token is in memory
    goto.oauth.expire_access_tokens()
    second = await provider.refresh(rejected=first)  # renews with the in-memory token, rotates again
    flaky.broken = False
    goto.oauth.expire_access_tokens()
    third = await provider.refresh(rejected=second or "")

    assert third is not None and goto.oauth.access_token_valid(third)
    stored = await token_store.get()
    assert stored is not None
    # what the store holds now is live: a fresh instance renews with it
    fresh = RefreshTokenProvider(oauth, token_store, rotation_grace=0)
    assert goto.oauth.access_token_valid(await fresh.access_token())


async def test_once_refused_renewals_fail_fast_until_a_new_consent_is_stored(
    goto: GoToSimulator, oauth: GoToOAuthClient, token_store: TokenStore, recorder: SecretRecorder
) -> None:
    """After a revocation the engine's waiting tasks must not each ask GoTo (and wait) again."""
    await token_store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])
    goto.oauth.revoke_refresh_tokens()
    provider = RefreshTokenProvider(oauth, token_store, rotation_grace=0)

    with pytest.raises(ReauthorizationRequiredError, match="re-authorize GoTo"):
        await provider.access_token()
    asked = recorder.token_requests
    for _ in range(3):
        with pytest.raises(ReauthorizationRequiredError, match="re-authorize GoTo"):
            await provider.access_token()
    assert recorder.token_requests == asked

    await token_store.put(goto.oauth.issue(APP_CLIENT_ID)["refresh_token"])  # the admin consented again
    assert goto.oauth.access_token_valid(await provider.access_token())
