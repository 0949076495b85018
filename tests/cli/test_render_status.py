"""`status` as text (pure: the status document in, lines out): provisioning off, a running cycle, an
interrupted last cycle, the last skip, a quarantine awaiting approval and truncated given-up ids, the
lines tests/api/test_status_cli.py does not reach through Table Storage."""

from __future__ import annotations

from typing import Any

from provisioning.cli.render import render_status

CYCLE = {
    "id": "c-2",
    "kind": "full",
    "initiatedBy": "timer",
    "dryRun": False,
    "started": "2026-03-04T08:00:00+00:00",
    "ended": None,
    "durationSeconds": None,
    "status": "running",
    "interrupted": True,
    "counts": {},
    "error": "lease lost",
    "requests": {"graph": 5, "goto": 7},
}


def document(**changes: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "provisioningEnabled": False,
        "dryRun": False,
        "schedule": "0 */10 * * * *",
        "nextScheduledRun": None,
        "running": {
            "id": "c-3",
            "kind": "incremental",
            "initiatedBy": "cli",
            "started": "2026-03-04T09:00:00+00:00",
            "pages": 2,
            "objectsRead": 150,
            "operationsDone": 12,
            "leaseExpires": "2026-03-04T09:00:30+00:00",
        },
        "lastCycle": CYCLE,
        "lastSuccessfulCycle": None,
        "lastSkip": {"id": "c-4", "time": "2026-03-04T09:10:00+00:00", "status": "skipped: off"},
        "quarantine": {
            "reason": "too-many-deletes",
            "since": "2026-03-04T07:00:00+00:00",
            "detail": "612 deprovisions > 500",
            "lastAttempt": "2026-03-04T07:00:00+00:00",
            "nextAttempt": None,
            "awaitingApproval": True,
        },
        "stagedDeprovisions": 612,
        "retries": {"pending": 3, "givenUp": 2, "givenUpIds": ["u1", "u2"], "givenUpIdsTruncated": True},
    }
    status.update(changes)
    return status


def test_every_part_of_the_status_as_lines() -> None:
    assert render_status(document()) == [
        "provisioning: OFF (PROVISIONING_ENABLED is false)",
        "schedule:     0 */10 * * * *; next run unknown",
        "running:      cycle c-3 (incremental) since 2026-03-04T09:00:00+00:00: 2 pages, 150 objects read,"
        " 12 operations done",
        "last cycle:   c-2 (full) running (interrupted), started 2026-03-04T08:00:00+00:00: nothing to do;"
        " 5 Graph and 7 GoTo requests",
        "              error: lease lost",
        "last success: none",
        "last skip:    2026-03-04T09:10:00+00:00: skipped: off",
        "quarantine:   too-many-deletes since 2026-03-04T07:00:00+00:00: 612 deprovisions > 500;"
        " approve or reject the staged deprovisions",
        "staged:       612 deprovisions awaiting approval",
        "retries:      3 pending, 2 given up (u1, u2, ...)",
    ]


def test_a_quarantine_that_retries_says_when() -> None:
    quarantine = {
        "reason": "credentials",
        "since": "2026-03-04T07:00:00+00:00",
        "detail": "GoTo answered 401",
        "lastAttempt": "2026-03-04T07:00:00+00:00",
        "nextAttempt": "2026-03-05T07:00:00+00:00",
        "awaitingApproval": False,
    }
    lines = render_status(document(quarantine=quarantine, provisioningEnabled=True, dryRun=True))
    assert lines[0] == "provisioning: on; dry run (DRY_RUN is true)"
    assert (
        "quarantine:   credentials since 2026-03-04T07:00:00+00:00: GoTo answered 401;"
        " next attempt after 2026-03-05T07:00:00+00:00"
    ) in lines
