"""The pure decisions of the safety net, table-style: skip, deletion guard, failure verdict, retry ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provisioning.engine.decisions import (
    RETRY_LADDER_HOURS,
    climb_retry_ladder,
    deletion_guard,
    failure_verdict,
    skip_reason,
)
from provisioning.model import Counts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR_AGO = (NOW - timedelta(hours=1)).isoformat()
DAY_AGO = (NOW - timedelta(hours=25)).isoformat()


@pytest.mark.parametrize(
    ("enabled", "quarantine", "initiated_by", "expected"),
    [
        (True, None, "timer", None),
        (False, None, "timer", "off"),
        (False, {"Reason": "credentials", "Since": HOUR_AGO}, "cli", "off"),
        (True, {"Reason": "too-many-deletes", "Since": HOUR_AGO}, "timer", "quarantined"),
        (True, {"Reason": "empty-source", "Since": DAY_AGO}, "cli", "quarantined"),  # only an admin lifts it
        (True, {"Reason": "credentials", "Since": HOUR_AGO, "LastAttempt": HOUR_AGO}, "timer", "quarantined"),
        (
            True,
            {"Reason": "credentials", "Since": DAY_AGO, "LastAttempt": DAY_AGO},
            "timer",
            None,
        ),  # a day on
        (True, {"Reason": "too-many-failures", "Since": HOUR_AGO}, "cli", None),  # an admin's run goes
    ],
)
def test_skip_reason(
    enabled: bool, quarantine: dict[str, str] | None, initiated_by: str, expected: str | None
) -> None:
    verdict = skip_reason(enabled=enabled, quarantine=quarantine, now=NOW, initiated_by=initiated_by)
    assert (verdict[0] if verdict else None) == expected


@pytest.mark.parametrize(
    ("provisionable", "deprovisions", "threshold", "expected"),
    [
        (10, 0, 500, None),
        (0, 0, 500, None),
        (0, 3, 500, "empty-source"),
        (10, 500, 500, None),
        (10, 501, 500, "too-many-deletes"),
        (10, 1, 0, "too-many-deletes"),  # 0 holds every one
    ],
)
def test_deletion_guard(provisionable: int, deprovisions: int, threshold: int, expected: str | None) -> None:
    guard = deletion_guard(provisionable_users=provisionable, deprovisions=deprovisions, threshold=threshold)
    assert (guard[0] if guard else None) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, "lift"),
        ({"create/success": 9, "create/failure": 1}, "digest"),
        ({"create/success": 5, "create/failure": 5}, "quarantine"),
        ({"create/success": 2, "create/failure": 3}, "digest"),  # fewer than 10 operations
        ({"create/failure": 5, "other/skipped": 50, "create/success": 5}, "quarantine"),  # skips don't count
        ({"create/planned": 50, "create/failure": 5, "create/success": 8}, "digest"),
    ],
)
def test_failure_verdict(counts: dict[str, int], expected: str) -> None:
    assert failure_verdict(Counts.from_dict(counts))[0] == expected


def test_the_retry_ladder_climbs_then_gives_up() -> None:
    existing: dict[str, dict[str, object]] = {}
    waits = []
    for _ in range(len(RETRY_LADDER_HOURS) + 1):
        (row,) = climb_retry_ladder({"u1": "boom " * 500}, existing, now=NOW)
        existing["u1"] = {"Attempts": row.attempts}
        waits.append((datetime.fromisoformat(row.next_attempt) - NOW).total_seconds() / 3600)
        assert len(row.error) == 1000
    assert waits[: len(RETRY_LADDER_HOURS)] == list(RETRY_LADDER_HOURS)
    assert row.given_up and row.attempts == len(RETRY_LADDER_HOURS) + 1
