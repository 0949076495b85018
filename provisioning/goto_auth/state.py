"""Single-use, expiring OAuth `state` values for the browser flow, shared by all Function instances.

The authorize request and its callback may land on different instances, so states live in Azure
Table Storage (table `{prefix}oauthstate`). Only a SHA-256 of each state is stored: reading the
table does not yield a usable state. Consuming a state marks its row used with an ETag-guarded
update (If-Match): of two callbacks carrying the same state exactly one wins, the other gets 412.
(An ETag-guarded delete cannot do this with azure-data-tables: `delete_entity` swallows the 404
the loser gets.) A replay, a forged, unknown, expired or malformed state is refused with
OAuthStateError. Rows are deleted once expired, when the next state is issued.
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

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from provisioning.goto_auth import pkce
from provisioning.goto_auth.errors import OAuthStateError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
TABLE_SUFFIX = "oauthstate"
_PARTITION = "state"
_STATE_FORMAT = re.compile(r"\A[A-Za-z0-9_-]{32,128}\Z")
_USED = "the OAuth state was already used (a replayed callback): start the authorization again"

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
    """Create with `from_connection_string` / `from_endpoint`, then `async with` (creates the table)."""

    def __init__(
        self,
        service: TableServiceClient,
        *,
        prefix: str,
        ttl: timedelta = STATE_TTL,
        clock: WallClock = _now,
    ) -> None:
        self._service = service
        self.table_name = prefix + TABLE_SUFFIX
        self._ttl = ttl
        self._clock = clock
        self._table: TableClient | None = None

    @classmethod
    def from_connection_string(
        cls, connection_string: str, *, prefix: str, **options: Any
    ) -> OAuthStateStore:
        return cls(TableServiceClient.from_connection_string(connection_string), prefix=prefix, **options)

    @classmethod
    def from_endpoint(cls, endpoint: str, *, credential: Any, prefix: str, **options: Any) -> OAuthStateStore:
        return cls(TableServiceClient(endpoint=endpoint, credential=credential), prefix=prefix, **options)

    async def open(self) -> OAuthStateStore:
        self._table = await self._service.create_table_if_not_exists(self.table_name)
        return self

    async def close(self) -> None:
        if self._table is not None:
            await self._table.close()
        await self._service.close()

    async def __aenter__(self) -> OAuthStateStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def _t(self) -> TableClient:
        if self._table is None:
            raise RuntimeError("OAuthStateStore.open() was not called")
        return self._table

    async def issue(self, *, redirect_uri: str, code_verifier: str | None = None) -> str:
        """A new random state (256 bits), valid once, for `ttl`, for this redirect_uri; the PKCE
        verifier, if given, is kept sealed with it (see pkce.seal) for the code exchange."""
        state = secrets.token_urlsafe(32)
        now = self._clock()
        entity: dict[str, Any] = {
            "PartitionKey": _PARTITION,
            "RowKey": _row_key(state),
            "IssuedAt": now,
            "ExpiresAt": now + self._ttl,
            "RedirectUri": redirect_uri,
        }
        if code_verifier is not None:
            entity["SealedVerifier"] = pkce.seal(code_verifier, state=state)
        await self._t.create_entity(entity)
        return state

    async def consume(self, state: str | None) -> PendingAuthorization:
        """Accept a callback's state once; raise OAuthStateError for anything but a live, unused state."""
        if not state or not _STATE_FORMAT.fullmatch(state):
            raise OAuthStateError("the OAuth state is missing or malformed: start the authorization again")
        try:
            entity = await self._t.get_entity(_PARTITION, _row_key(state))
        except ResourceNotFoundError:
            raise OAuthStateError("the OAuth state is unknown: start the authorization again") from None
        if entity.get("Consumed"):
            raise OAuthStateError(_USED)
        try:
            await self._t.update_entity(
                {"PartitionKey": _PARTITION, "RowKey": entity["RowKey"], "Consumed": True},
                mode=UpdateMode.MERGE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceNotFoundError, ResourceModifiedError):
            raise OAuthStateError(_USED) from None
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
        cutoff = self._clock()
        removed = 0
        rows = self._t.query_entities(
            "PartitionKey eq @pk and ExpiresAt lt @cutoff",
            parameters={"pk": _PARTITION, "cutoff": cutoff},
            select=["PartitionKey", "RowKey"],
        )
        async for row in rows:
            try:
                await self._t.delete_entity(row["PartitionKey"], row["RowKey"])
                removed += 1
            except ResourceNotFoundError:
                continue
        if removed:
            log.info("removed %d expired OAuth states", removed)
        return removed
