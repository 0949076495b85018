"""Once per condition per day, across Function instances and restarts: claims in Table Storage.

One entity per condition (PartitionKey "condition", RowKey the condition) holds the UTC day of the
last mail and whether it was sent or is being sent. An instance must win an ETag claim (tablestore's
`Table.claim`: create, or replace of exactly the version it read) before it sends, so two instances
racing for the same condition cannot both mail. A claim whose sender died mid-send goes stale after
`claim_timeout` and may be taken over; a send that failed gives its claim back, so a later cycle
the same day can try again.

Every write carries `Holder`, a nonce of this claim: tablestore counts a conflicting row that holds
exactly what we wrote as our own write landed before a dropped connection, and without the nonce
two instances claiming at the same instant would both look like the winner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioning.state.tablestore import Table

PARTITION = "condition"
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=10)
_CLAIMED = "claimed"
_SENT = "sent"
_KEYS = ("PartitionKey", "RowKey")


@dataclass(frozen=True)
class Claim:
    """The right to send one condition's mail today; `previous` is what to restore if sending fails."""

    condition: str
    day: str
    etag: str
    previous: dict[str, Any] | None
    holder: str = ""


def utc_day(moment: datetime) -> str:
    """The calendar day (UTC) a moment falls on; naive datetimes are taken as UTC."""
    return _as_utc(moment).strftime("%Y-%m-%d")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class DailyLedger:
    """Claims and records the day's mail per condition in one opened table.

    Storage failures outlasting tablestore's retries raise StorageError; the Notifier decides what
    that costs (the mail, never the cycle).
    """

    def __init__(self, table: Table, *, claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> None:
        self._table = table
        self._claim_timeout = claim_timeout

    async def claim(self, condition: str, now: datetime) -> Claim | None:
        """A claim if this condition has had no mail today (and none is being sent), else None."""
        day = utc_day(now)
        holder = secrets.token_hex(8)
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": condition,
            "Day": day,
            "State": _CLAIMED,
            "ClaimedAt": _as_utc(now),
            "Holder": holder,
        }
        won = await self._table.claim(
            entity, may_take=lambda current: current.get("Day") != day or self._stale(current, now)
        )
        if won is None:
            return None
        previous = None if won.previous is None else {k: v for k, v in won.previous.items() if k not in _KEYS}
        return Claim(condition, day, won.etag, previous, holder)

    def _stale(self, entity: Any, now: datetime) -> bool:
        """A claim left behind by an instance that died while sending."""
        if entity.get("State") != _CLAIMED or entity.get("ClaimedAt") is None:
            return False
        claimed_at: datetime = entity["ClaimedAt"]
        return _as_utc(now) - _as_utc(claimed_at) >= self._claim_timeout

    async def confirm(self, claim: Claim, now: datetime) -> bool:
        """Record the mail as sent; False if another instance took the claim over meanwhile."""
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": claim.condition,
            "Day": claim.day,
            "State": _SENT,
            "SentAt": _as_utc(now),
            "Holder": claim.holder,
        }
        return await self._table.replace_if(entity, claim.etag) is not None

    async def release(self, claim: Claim) -> bool:
        """Give a claim back after a failed send; False if it was no longer ours."""
        if claim.previous is None:
            return await self._table.delete_if(PARTITION, claim.condition, claim.etag)
        entity = {"PartitionKey": PARTITION, "RowKey": claim.condition, **claim.previous}
        return await self._table.replace_if(entity, claim.etag) is not None
