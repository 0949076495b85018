"""The chart's numbers (GET /api/cycles): cycles sorted into UTC days, successes under their action,
skipped and failed operations under skip and failure, dry-run plans, staged deprovisions, skipped
cycles and cycles before the window not counted. Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioning.api.status import history_buckets
from provisioning.model import Counts, CycleRecord, CycleStatus

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _cycle(started: str, counts: dict[str, int], status: CycleStatus = CycleStatus.SUCCEEDED) -> CycleRecord:
    return CycleRecord(
        id=started, started=started, kind="incremental", status=status, counts=Counts.from_dict(counts)
    )


def test_cycles_are_counted_per_utc_day() -> None:
    cycles = [
        _cycle("2026-12-01T00:30:00+02:00", {"create/success": 2}),  # 22:30 UTC the day before
        _cycle("2026-12-01T08:00:00+00:00", {"update/success": 3, "disable/failure": 1, "create/skipped": 4}),
        _cycle("2026-12-01T09:00:00+00:00", {"create/planned": 9, "stagedDelete/skipped": 5}),
        _cycle("2026-12-01T09:10:00+00:00", {}, status=CycleStatus.SKIPPED),
        _cycle("2026-11-01T12:00:00+00:00", {"delete/success": 7}),  # before the 30 days
        _cycle("2026-11-02T12:00:00+00:00", {"delete/success": 1, "other/warning": 2}),
    ]
    days = history_buckets(cycles, now=NOW, days=30)
    assert len(days) == 30 and days[0]["date"] == "2026-11-02" and days[-1]["date"] == "2026-12-01"
    zero = {"create": 0, "update": 0, "disable": 0, "delete": 0, "skip": 0, "failure": 0}
    assert days[-1] == {"date": "2026-12-01", "cycles": 2, **zero, "update": 3, "skip": 4, "failure": 1}
    assert days[-2] == {"date": "2026-11-30", "cycles": 1, **zero, "create": 2}
    assert days[0] == {"date": "2026-11-02", "cycles": 1, **zero, "delete": 1}
    assert all(d == {"date": d["date"], "cycles": 0, **zero} for d in days[1:-2])
