"""A cycle's status is an enum with its reason apart, and its counts are keyed by (action, status):
nothing parses text by prefix. Rows written before the enum still read back right."""

from __future__ import annotations

import pytest

from provisioning.model import Counts, CycleRecord, CycleStatus


@pytest.mark.parametrize(
    ("stored", "status", "detail"),
    [
        ("succeeded", CycleStatus.SUCCEEDED, None),
        (
            "skipped: off (PROVISIONING_ENABLED is false)",
            CycleStatus.SKIPPED,
            "off (PROVISIONING_ENABLED is false)",
        ),
        (
            "stopped at the time budget: the next cycle resumes from a checkpoint",
            CycleStatus.STOPPED,
            "at the time budget: the next cycle resumes from a checkpoint",
        ),
        (
            "dry-run stopped at the time budget: the plan shown is partial",
            CycleStatus.STOPPED,
            "at the time budget: the plan shown is partial",
        ),
        ("something unknown", CycleStatus.FAILED, "something unknown"),
    ],
)
def test_rows_written_before_the_enum_read_back(stored: str, status: CycleStatus, detail: str | None) -> None:
    assert CycleStatus.read(stored) == (status, detail)


def test_a_stored_detail_wins_over_the_text() -> None:
    assert CycleStatus.read("skipped", "busy") == (CycleStatus.SKIPPED, "busy")


def test_describe_joins_status_and_detail_for_people() -> None:
    cycle = CycleRecord(id="c", started="2026-12-01T00:00:00+00:00", kind="incremental")
    assert cycle.describe() == "running"
    cycle.status, cycle.detail = CycleStatus.SKIPPED, "quarantined (credentials)"
    assert cycle.describe() == "skipped: quarantined (credentials)"


def test_counts_are_keyed_by_action_and_status() -> None:
    counts = Counts()
    counts.add("create", "success", 3)
    counts.add("create", "failure")
    counts.add("stagedDelete", "skipped", 2)
    counts.add("update", "planned", 5)
    assert counts["create", "success"] == 3 and counts["delete", "success"] == 0
    assert (counts.failures(), counts.applied(), counts.done()) == (1, 4, 6)
    wire = counts.to_dict()
    assert wire == {"create/failure": 1, "create/success": 3, "stagedDelete/skipped": 2, "update/planned": 5}
    assert Counts.from_dict(wire) == counts
