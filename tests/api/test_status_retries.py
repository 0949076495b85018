"""Retries in status: objects still on the retry ladder, and those given up (with their ids, capped)."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioning.api.status import GIVEN_UP_IDS_SHOWN, build_status
from provisioning.config import Settings
from provisioning.engine.decisions import RETRY_LADDER_HOURS
from provisioning.state.tables import TableState
from tests.fixtures.retries import record_failures

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_pending_and_given_up(tables_connection_string: str, table_prefix: str) -> None:
    settings = Settings(service_principal_id="x")
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        for _ in range(len(RETRY_LADDER_HOURS) + 1):  # past the last rung: given up
            await record_failures(state, {"u-gone": "400 bad domain"}, now=NOW)
        await record_failures(state, {"u-waiting": "timeout", "u-other": "timeout"}, now=NOW)
        status = await build_status(state=state, settings=settings, now=NOW)
        assert status["retries"] == {
            "pending": 2,
            "givenUp": 1,
            "givenUpIds": ["u-gone"],
            "givenUpIdsTruncated": False,
        }
        many = {f"u{n:03d}": "400" for n in range(GIVEN_UP_IDS_SHOWN + 5)}
        for _ in range(len(RETRY_LADDER_HOURS) + 1):
            await record_failures(state, many, now=NOW)
        status = await build_status(state=state, settings=settings, now=NOW)
    retries = status["retries"]
    assert retries["givenUp"] == GIVEN_UP_IDS_SHOWN + 6 and retries["pending"] == 2
    assert retries["givenUpIds"] == sorted([*many, "u-gone"])[:GIVEN_UP_IDS_SHOWN]
    assert retries["givenUpIdsTruncated"] is True
