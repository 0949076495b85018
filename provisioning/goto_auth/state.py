"""Single-use, expiring OAuth `state` values for the browser flow, shared by all Function instances.

The authorize request and its callback may land on different instances, so states live in Azure
Table Storage (table `{prefix}oauthstate`), through tablestore (retried; failures raise StorageError,
which the API answers with 503). Only a SHA-256 of each state is stored: reading the table does not
yield a usable state. Consuming a state marks its row used with an ETag-guarded replace (If-Match):
of two callbacks carrying the same state exactly one wins, the other gets 412. The replace carries a
fresh nonce (`ConsumedBy`): tablestore takes a 412 whose row holds exactly what we wrote for our own
write landed before a dropped connection, and without the nonce the loser's row would look like
that. A replay, a forged, unknown, expired or malformed state is refused with OAuthStateError. Rows
are deleted once expired, when the next state is issued.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioning.errors import StorageError
from provisioning.goto_auth import pkce
from provisioning.goto_auth.errors import OAuthStateError
from provisioning.state.tablestore import Table, TableStore

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
TABLE_SUFFIX = "oauthstate"
_PARTITION = "state"
_STATE_FORMAT = re.compile(r"\A[A-Za-z0-9_-]{32,128}\Z")
_USED = "the OAuth state was already used (a replayed callback): start the authorization again"
_ISSUE_TRIES = 3  # a fresh 256-bit state colliding with a stored one: never, but not silently

WallClock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _row_key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class PendingAuthorization:
    """What was recorded with the state at authorize time and is needed at the callback."""

    redirect_uri: str
    issued_at: datetime
    code_verifier: str | None = field(default=None, repr=False)  # None: a state issued without PKCE


class OAuthStateStore:
    """Over a TableStore of its own (it closes it), or `from_connection_string` / `from_endpoint`;
    then `async with` (creates the table)."""

    def __init__(
        self,
        store: TableStore,
        *,
        prefix: str,
        ttl: timedelta = STATE_TTL,
        clock: WallClock = _now,
    ) -> None:
        self._store = store
        self.table_name = prefix + TABLE_SUFFIX
        self._ttl = ttl
        self._clock = clock
        self._table: Table | None = None

    @classmethod
    def from_connection_string(
        cls, connection_string: str, *, prefix: str, **options: Any
    ) -> OAuthStateStore:
        """`options`: ttl, clock."""
        return cls(TableStore.from_connection_string(connection_string), prefix=prefix, **options)

    @classmethod
    def from_endpoint(cls, endpoint: str, *, credential: Any, prefix: str, **options: Any) -> OAuthStateStore:
        return cls(TableStore.from_endpoint(endpoint, credential=credential), prefix=prefix, **options)

    async def open(self) -> OAuthStateStore:
        await self._store.open_tables([self.table_name])
        self._table = self._store.table(self.table_name)
        return self

    async def close(self) -> None:
        self._table = None
        await self._store.close()

    async def __aenter__(self) -> OAuthStateStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def _t(self) -> Table:
        if self._table is None:
            raise RuntimeError("OAuthStateStore.open() was not called")
        return self._table

    async def issue(self, *, redirect_uri: str, code_verifier: str | None = None) -> str:
        """A new random state (256 bits), valid once, for `ttl`, for this redirect_uri; the PKCE
        verifier, if given, is kept sealed with it (see pkce.seal) for the code exchange."""
        for _ in range(_ISSUE_TRIES):
            state = secrets.token_urlsafe(32)
            now = self._clock()
            entity: dict[str, Any] = {
                "PartitionKey": _PARTITION,
                "RowKey": _row_key(state),
                "IssuedAt": now,
                "ExpiresAt": now + self._ttl,
                "RedirectUri": redirect_uri,
                "IssuedBy": secrets.token_hex(8),  # so a stored twin is never taken for our write
            }
            if code_verifier is not None:
                entity["SealedVerifier"] = pkce.seal(code_verifier, state=state)
            if await self._t.create(entity) is not None:
                return state
            log.warning("a new OAuth state collided with a stored one; drawing another")
        raise StorageError(
            f"Table Storage create in {self.table_name} failed: {_ISSUE_TRIES} new OAuth states in a row "
            "were already stored",
            hint="The random number source is broken: restart the app.",
        )

    async def consume(self, state: str | None) -> PendingAuthorization:
        """Accept a callback's state once; raise OAuthStateError for anything but a live, unused state."""
        if not state or not _STATE_FORMAT.fullmatch(state):
            raise OAuthStateError("the OAuth state is missing or malformed: start the authorization again")
        entity = await self._t.get(_PARTITION, _row_key(state))
        if entity is None:
            raise OAuthStateError("the OAuth state is unknown: start the authorization again")
        if entity.get("Consumed"):
            raise OAuthStateError(_USED)
        used = {**entity, "Consumed": True, "ConsumedBy": secrets.token_hex(8)}
        if await self._t.replace_if(used, str(entity.metadata["etag"])) is None:
            raise OAuthStateError(_USED)
        expires_at = entity["ExpiresAt"]
        if self._clock() >= expires_at:
            raise OAuthStateError(
                f"the OAuth state expired (states are valid for {int(self._ttl.total_seconds() // 60)} "
                "minutes): start the authorization again"
            )
        sealed = entity.get("SealedVerifier")
        return PendingAuthorization(
            redirect_uri=entity["RedirectUri"],
            issued_at=entity["IssuedAt"],
            code_verifier=pkce.unseal(str(sealed), state=state) if sealed else None,
        )

    async def purge_expired(self) -> int:
        """Delete expired states, used or not; best effort, called when a new one is issued."""
        rows = self._t.query(
            "PartitionKey eq @pk and ExpiresAt lt @cutoff",
            parameters={"pk": _PARTITION, "cutoff": self._clock()},
            select=["PartitionKey", "RowKey"],
        )
        expired = [(str(row["PartitionKey"]), str(row["RowKey"])) async for row in rows]
        for partition_key, row_key in expired:
            await self._t.delete(partition_key, row_key)
        if expired:
            log.info("removed %d expired OAuth states", len(expired))
        return len(expired)
