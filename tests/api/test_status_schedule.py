"""nextScheduledRun from SYNC_SCHEDULE: NCRONTAB with the seconds first, evaluated in UTC, a day
matching both day-of-month and weekday (as NCrontab does); an unreadable schedule gives null."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from provisioning.api.status import build_status, next_run
from provisioning.config import Settings
from provisioning.state.tables import TableState

SATURDAY = datetime(2026, 11, 21, 12, 3, 7, tzinfo=UTC)  # 2026-11-21 is a Saturday


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("0 */10 * * * *", SATURDAY, datetime(2026, 11, 21, 12, 10, tzinfo=UTC)),
        (
            "0 */10 * * * *",
            datetime(2026, 11, 21, 12, 10, tzinfo=UTC),
            datetime(2026, 11, 21, 12, 20, tzinfo=UTC),
        ),
        (
            "0 */10 * * * *",
            datetime(2026, 12, 31, 23, 55, tzinfo=UTC),
            datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        ),
        ("30 0 3 * * 1-5", SATURDAY, datetime(2026, 11, 23, 3, 0, 30, tzinfo=UTC)),  # Monday
        (
            "30 0 3 * * 1-5",
            datetime(2026, 11, 23, 3, 0, 30, tzinfo=UTC),
            datetime(2026, 11, 24, 3, 0, 30, tzinfo=UTC),
        ),
        (
            "30 0 3 * * 1-5",
            datetime(2026, 11, 27, 3, 0, 31, tzinfo=UTC),
            datetime(2026, 11, 30, 3, 0, 30, tzinfo=UTC),
        ),
        ("*/15 * * * * *", SATURDAY, datetime(2026, 11, 21, 12, 3, 15, tzinfo=UTC)),  # seconds come first
        ("0 30 9 * * Mon", SATURDAY, datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
        ("0 0 0 13 * 5", SATURDAY, datetime(2027, 8, 13, tzinfo=UTC)),  # a Friday the 13th: both must match
        (
            "0 0 12 * * *",
            SATURDAY.astimezone(timezone(timedelta(hours=-5))),
            datetime(2026, 11, 22, 12, tzinfo=UTC),
        ),
    ],
)
def test_next_run(schedule: str, after: datetime, expected: datetime) -> None:
    got = next_run(schedule, after)
    assert got == expected and got is not None and got.tzinfo is not None
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "schedule", ["61 * * * * *", "0 */10 * * *", "every ten minutes", "0 0 0 31 2 *", ""]
)
def test_an_unreadable_schedule_has_no_next_run(schedule: str) -> None:
    assert next_run(schedule, SATURDAY) is None


async def test_status_shows_the_next_run_of_the_configured_schedule(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        settings = Settings(service_principal_id="x", sync_schedule="30 0 3 * * 1-5")
        status = await build_status(state=state, settings=settings, now=SATURDAY)
    assert status["schedule"] == "30 0 3 * * 1-5"
    assert status["nextScheduledRun"] == "2026-11-23T03:00:30+00:00"
