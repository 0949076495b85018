"""Once per condition per day, across Function instances and restarts: claims in Table Storage.

One entity per condition (PartitionKey "condition", RowKey the condition) holds the UTC day of the
last mail and whether it was sent or is being sent. An instance must win an ETag-guarded write
(create, or replace of exactly the version it read) before it sends, so two instances racing for
the same condition cannot both mail. A claim whose sender died mid-send goes stale after
`claim_timeout` and may be taken over; a send that failed gives its claim back, so a later cycle
the same day can try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

PARTITION = "condition"
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=10)
_CLAIMED = "claimed"
_SENT = "sent"


@dataclass(frozen=True)
class Claim:
    """The right to send one condition's mail today; `previous` is what to restore if sending fails."""

    condition: str
    day: str
    etag: str
    previous: dict[str, Any] | None


def utc_day(moment: datetime) -> str:
    """The calendar day (UTC) a moment falls on; naive datetimes are taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class DailyLedger:
    """Claims and records the day's mail per condition in one table (which must exist)."""

    def __init__(self, table: TableClient, *, claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> None:
        self._table = table
        self._claim_timeout = claim_timeout

    async def claim(self, condition: str, now: datetime) -> Claim | None:
        """A claim if this condition has had no mail today (and none is being sent), else None."""
        day = utc_day(now)
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": condition,
            "Day": day,
            "State": _CLAIMED,
            "ClaimedAt": _as_utc(now),
        }
        try:
            current = await self._table.get_entity(PARTITION, condition)
        except ResourceNotFoundError:
            try:
                written = await self._table.create_entity(entity)
            except ResourceExistsError:
                return None  # another instance claimed it between our read and write
            return Claim(condition, day, str(written["etag"]), None)
        if current.get("Day") == day and not self._stale(current, now):
            return None
        try:
            written = await self._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return None  # another instance got there first
        previous = {k: v for k, v in current.items() if k not in ("PartitionKey", "RowKey")}
        return Claim(condition, day, str(written["etag"]), previous)

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
        }
        try:
            await self._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=claim.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    async def release(self, claim: Claim) -> bool:
        """Give a claim back after a failed send; False if it was no longer ours."""
        try:
            if claim.previous is None:
                await self._table.delete_entity(
                    PARTITION, claim.condition, etag=claim.etag, match_condition=MatchConditions.IfNotModified
                )
            else:
                entity = {"PartitionKey": PARTITION, "RowKey": claim.condition, **claim.previous}
                await self._table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=claim.etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True
