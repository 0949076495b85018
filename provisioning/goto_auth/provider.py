"""Access tokens for GoTo's SCIM API, whatever the credential: static, refresh token, or password.

Tokens are cached until shortly before they expire (a tenth of their life, at most `expiry_margin`
seconds). One renewal at a time per provider (an asyncio.Lock): concurrent callers wait for it and
share its result. Across instances the refresh-token store arbitrates (see `RefreshTokenProvider`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from provisioning.goto_auth.errors import (
    REAUTHORIZE_HINT,
    ReauthorizationRequiredError,
    TokenStoreConflict,
    TokenStoreError,
)
from provisioning.goto_auth.oauth import GoToOAuthClient, TokenAnswer
from provisioning.goto_auth.store import StoredToken, TokenStore

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenProvider(Protocol):
    async def access_token(self) -> str:
        """A bearer token GoTo should accept now (cached, or renewed first)."""
        ...

    async def refresh(self, *, rejected: str) -> str | None:
        """GoTo refused `rejected`: a different token to retry with once, or None when there is none."""
        ...


class StaticTokenProvider:
    """GOTO_ACCESS_TOKEN (sandbox only): never renewed, so a refused token stays refused."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("a static GoTo token must not be empty")
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenProvider()"

    async def access_token(self) -> str:
        return self._token

    async def refresh(self, *, rejected: str) -> str | None:
        return None


@dataclass(frozen=True)
class _Cached:
    token: str = field(repr=False)
    renew_at: float


class _RenewingProvider(ABC):
    """The cache and the lock; subclasses say how to obtain a new access token."""

    def __init__(self, *, clock: Clock, expiry_margin: float) -> None:
        self._clock = clock
        self._expiry_margin = expiry_margin
        self._lock = asyncio.Lock()
        self._cached: _Cached | None = None
        self.renewals = 0  # how many tokens this provider obtained (tests and diagnostics)

    async def access_token(self) -> str:
        cached = self._cached
        if cached is not None and self._clock() < cached.renew_at:
            return cached.token
        async with self._lock:
            cached = self._cached  # another task may have renewed while this one waited
            if cached is not None and self._clock() < cached.renew_at:
                return cached.token
            return await self._renew()

    async def refresh(self, *, rejected: str) -> str | None:
        async with self._lock:
            cached = self._cached
            if cached is not None and cached.token != rejected and self._clock() < cached.renew_at:
                return cached.token  # renewed by another task after `rejected` was handed out
            self._cached = None
            return await self._renew()

    async def _renew(self) -> str:
        answer = await self._obtain()
        lifetime = answer.expires_in
        self._cached = _Cached(
            answer.access_token, self._clock() + lifetime - min(self._expiry_margin, lifetime / 10)
        )
        self.renewals += 1
        return answer.access_token

    @abstractmethod
    async def _obtain(self) -> TokenAnswer: ...


class RefreshTokenProvider(_RenewingProvider):
    """The authorization code flow's refresh token, read from and rotated in a TokenStore.

    Concurrent rotation, across instances sharing one store:
    - every renewal re-reads the store, so a token another instance rotated is picked up at once;
    - a rotated refresh token is written with compare-and-set against the version read; a conflict
      means another instance stored a newer token, which is kept (ours came from a successful
      refresh, so the access token in hand is still good);
    - invalid_grant may mean "another instance rotated this token a moment ago": the store is
      re-read for up to `rotation_grace` seconds, and a newer version is refreshed instead of failing.
      Only when nothing newer appears is it ReauthorizationRequiredError ("re-authorize GoTo");
    - a rotated token that cannot be written (store unreachable) is kept in memory and written at
      the next renewal, so a Key Vault hiccup does not lose it.
    Once GoTo refused the stored token, later renewals fail at once (no GoTo call, no grace wait)
    until the store holds another version, e.g. after a new consent.
    """

    def __init__(
        self,
        oauth: GoToOAuthClient,
        store: TokenStore,
        *,
        clock: Clock = time.monotonic,
        expiry_margin: float = 60.0,
        rotation_grace: float = 5.0,
        poll_interval: float = 0.1,
        sleep: Sleep = asyncio.sleep,
        max_followed_rotations: int = 3,
    ) -> None:
        super().__init__(clock=clock, expiry_margin=expiry_margin)
        self._oauth = oauth
        self._store = store
        self._polls = max(1, round(rotation_grace / poll_interval)) if rotation_grace > 0 else 0
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._max_followed = max_followed_rotations
        # a rotated token not yet stored: its value and the version it replaces
        self._unsaved: StoredToken | None = None
        self._refused: tuple[str, ReauthorizationRequiredError] | None = None  # (store version, error)

    def __repr__(self) -> str:
        return f"RefreshTokenProvider(store={self._store.description!r})"

    async def _obtain(self) -> TokenAnswer:
        stored = await self._read()
        if self._refused is not None and self._refused[0] == stored.version:
            refused = self._refused[1]  # a fresh instance: re-raising one would grow its traceback
            raise ReauthorizationRequiredError(str(refused), status=refused.status, error=refused.error)
        for _ in range(self._max_followed + 1):
            try:
                answer = await self._oauth.refresh(stored.value)
            except ReauthorizationRequiredError as exc:
                newer = await self._newer_than(stored)
                if newer is None:
                    self._refused = (stored.version, exc)
                    raise
                log.info("GoTo refused a refresh token another instance had just rotated; using the new one")
                stored = newer
                continue
            if answer.refresh_token and answer.refresh_token != stored.value:
                await self._persist(StoredToken(answer.refresh_token, stored.version))
            return answer
        raise ReauthorizationRequiredError(
            f"GoTo refused {self._max_followed + 1} refresh tokens in a row from {self._store.description}: "
            f"{REAUTHORIZE_HINT}"
        )

    async def _read(self) -> StoredToken:
        if self._unsaved is not None and not await self._persist(self._unsaved):
            return self._unsaved  # the store is still unwritable: go on with the token in memory
        stored = await self._store.get()
        if stored is None:
            raise ReauthorizationRequiredError(
                f"no GoTo refresh token in {self._store.description} yet: GoTo was never authorized "
                f"here; {REAUTHORIZE_HINT}"
            )
        return stored

    async def _newer_than(self, refused: StoredToken) -> StoredToken | None:
        """A token another instance stored after `refused` was read, waiting a little for its write."""
        for poll in range(self._polls + 1):
            current = await self._store.get()
            if current is not None and current.version != refused.version and current.value != refused.value:
                return current
            if poll < self._polls:
                await self._sleep(self._poll_interval)
        return None

    async def _persist(self, rotated: StoredToken) -> bool:
        """Store a rotated token (`rotated.version` = the version it replaces); False if the store failed."""
        try:
            version = await self._store.compare_and_set(rotated.value, expected_version=rotated.version)
        except TokenStoreConflict as exc:
            log.info("%s; keeping the newer refresh token", exc)
        except TokenStoreError as exc:
            log.error(
                "GoTo rotated the refresh token but it could not be stored (%s); "
                "keeping it in memory and storing it at the next renewal",
                exc,
            )
            self._unsaved = rotated
            return False
        else:
            log.info(
                "stored GoTo's rotated refresh token in %s (version %s)", self._store.description, version
            )
        self._unsaved = None
        return True


class PasswordGrantProvider(_RenewingProvider):
    """Legacy: GoTo's deprecated password grant for clients that still have it.

    The refresh token of a password grant is kept in memory only: it saves sending the password
    again within one process; a new process (or a refused refresh) uses the password grant again.
    """

    def __init__(
        self,
        oauth: GoToOAuthClient,
        *,
        username: str,
        password: str,
        clock: Clock = time.monotonic,
        expiry_margin: float = 60.0,
    ) -> None:
        super().__init__(clock=clock, expiry_margin=expiry_margin)
        self._oauth = oauth
        self._username = username
        self._password = password
        self._refresh_token: str | None = None
        log.warning(
            "GoTo credentials: using the password grant (GOTO_USERNAME/GOTO_PASSWORD), which GoTo "
            "deprecated; authorize GoTo with the authorization code flow and remove both settings"
        )

    def __repr__(self) -> str:
        return f"PasswordGrantProvider(username={self._username!r})"

    async def _obtain(self) -> TokenAnswer:
        if self._refresh_token is not None:
            try:
                answer = await self._oauth.refresh(self._refresh_token)
            except ReauthorizationRequiredError:
                self._refresh_token = None
            else:
                self._refresh_token = answer.refresh_token or self._refresh_token
                return answer
        answer = await self._oauth.password_grant(username=self._username, password=self._password)
        self._refresh_token = answer.refresh_token
        return answer
