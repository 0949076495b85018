"""Pure decisions of the safety net: whether a run may start, whether its deprovisions may run,
and what its failures do to the quarantine. Data in, verdict out; tested table-style."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from provisioning.engine.run import SkipKind
from provisioning.model import Assignment, Counts, RetryRow, UserChange

QUARANTINE_RETRY_HOURS = 24  # a quarantined job runs once a day until a cycle succeeds
FAILURE_QUARANTINE_SHARE = 0.4  # more than 40 % of a cycle's operations failing ...
FAILURE_QUARANTINE_MINIMUM = 10  # ... out of at least this many
HELD_REASONS = ("too-many-deletes", "empty-source")  # quarantines only an admin's decision lifts
# Entra's retry ladder: the next cycle, then about 6, 12, 24, 48, 96 and 168 hours, then given up.
RETRY_LADDER_HOURS: tuple[float, ...] = (0, 6, 12, 24, 48, 96, 168)

Verdict = Literal["quarantine", "digest", "lift"]


def skip_reason(
    *, enabled: bool, quarantine: Mapping[str, Any] | None, now: datetime, initiated_by: str
) -> tuple[SkipKind, str] | None:
    """Off, or quarantined: real cycles do nothing (dry runs are never asked)."""
    if not enabled:
        return "off", "off (PROVISIONING_ENABLED is false)"
    if quarantine is None:
        return None
    reason, since = quarantine.get("Reason"), quarantine.get("Since")
    if reason in HELD_REASONS:
        return (
            "quarantined",
            f"quarantined ({reason}) since {since}: approve or reject the staged deprovisions",
        )
    last = datetime.fromisoformat(str(quarantine.get("LastAttempt") or since))
    next_attempt = last + timedelta(hours=QUARANTINE_RETRY_HOURS)
    if initiated_by == "timer" and now < next_attempt:
        return (
            "quarantined",
            f"quarantined ({reason}) since {since}; next attempt after {next_attempt.isoformat()}",
        )
    return None


def deletion_guard(*, provisionable_users: int, deprovisions: int, threshold: int) -> tuple[str, str] | None:
    """Deprovisions are held when the read looks empty or when there are more than the threshold."""
    if deprovisions == 0:
        return None
    if provisionable_users == 0:
        return "empty-source", "the read found no assigned user while provisioned accounts exist"
    if deprovisions > threshold:
        return "too-many-deletes", f"{deprovisions} disables/deletes exceed DEPROVISION_THRESHOLD={threshold}"
    return None


def failure_verdict(counts: Counts) -> tuple[Verdict, str | None]:
    """More than 40 % of at least 10 operations failing quarantines; some failures send a digest;
    a cycle without failures lifts a quarantine that was not held for an admin."""
    failures, operations = counts.failures(), counts.applied()
    if operations >= FAILURE_QUARANTINE_MINIMUM and failures > FAILURE_QUARANTINE_SHARE * operations:
        return "quarantine", f"{failures} of {operations} operations failed"
    return ("digest" if failures else "lift"), None


def climb_retry_ladder(
    failures: Mapping[str, str], existing: Mapping[str, Mapping[str, Any]], *, now: datetime
) -> list[RetryRow]:
    """Each failed object one rung up: next cycle, then ~6, 12, 24, 48, 96, 168 h, then given up
    (it waits for on-demand provisioning or a restart)."""
    rows = []
    for source_id, error in failures.items():
        attempts = int(existing.get(source_id, {}).get("Attempts", 0)) + 1
        rung = RETRY_LADDER_HOURS[min(attempts, len(RETRY_LADDER_HOURS)) - 1]
        rows.append(
            RetryRow(
                source_id,
                attempts,
                error[:1000],
                now.isoformat(),
                (now + timedelta(hours=rung)).isoformat(),
                given_up=attempts > len(RETRY_LADDER_HOURS),
            )
        )
    return rows


def assignment_dirty(previous: Iterable[Assignment], current: Iterable[Assignment]) -> set[str]:
    """Users whose direct assignment appeared, vanished or changed role."""
    before = {(a.principal_id, a.app_role_id) for a in previous if a.principal_type == "User"}
    after = {(a.principal_id, a.app_role_id) for a in current if a.principal_type == "User"}
    return {principal for principal, _ in before ^ after}


def last_per_user(items: Iterable[UserChange]) -> dict[str, UserChange]:
    """A page may hold the same user twice (replays): merge attributes, keep the latest removal state."""
    merged: dict[str, UserChange] = {}
    for item in items:
        earlier = merged.get(item.id)
        if earlier is None or item.removed or earlier.removed:
            merged[item.id] = item
        else:
            merged[item.id] = UserChange(item.id, {**earlier.attributes, **item.attributes}, None)
    return merged
