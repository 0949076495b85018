"""RecentReads skips an id only when this process read it from Graph later than the notification
arrived plus the clock-skew margin; bounded in size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.notifications.worker import SKEW_MARGIN_SECONDS, RecentReads

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_only_a_read_after_the_arrival_and_the_margin_covers_it() -> None:
    recent = RecentReads()
    received = T0.isoformat()
    assert not recent.covers("a", received)  # never read
    recent.note("a", T0 + timedelta(seconds=SKEW_MARGIN_SECONDS / 2))
    assert not recent.covers("a", received)  # within the margin: may predate the change
    recent.note("a", T0 + timedelta(seconds=SKEW_MARGIN_SECONDS + 0.1))
    assert recent.covers("a", received)
    assert not recent.covers("a", "")  # a message without its arrival time
    assert not recent.covers("a", "yesterday")


def test_it_keeps_the_newest_reads_only() -> None:
    recent = RecentReads(size=2)
    for name in ("a", "b", "c"):
        recent.note(name, T0 + timedelta(minutes=1))
    assert not recent.covers("a", T0.isoformat())
    assert recent.covers("c", T0.isoformat())
