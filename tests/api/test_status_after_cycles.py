"""Status after real cycles: the last cycle with its counts, requests and error; the last successful
one; the failed object waiting in the retry ladder; and a failed cycle (GoTo refuses the token)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provisioning.api.status import build_status
from provisioning.config import load_settings
from provisioning.errors import UnauthorizedError
from sandbox.world import World
from tests.api.test_logs_support import scene


async def test_status_after_cycles(world: World) -> None:
    async with scene(world) as s:
        settings = load_settings(s.harness.env)
        status = await build_status(state=s.state, settings=settings, now=datetime.now(UTC))
        assert status["provisioningEnabled"] is True and status["running"] is None
        last, success = status["lastCycle"], status["lastSuccessfulCycle"]
        assert last["id"] == s.second.cycle.id and last["status"] == "finished-with-failures"
        assert last["counts"] == {"create/failure": 1, "disable/success": 1, "update/success": 1}
        assert last["kind"] == "incremental" and last["interrupted"] is False and last["error"] is None
        assert last["requests"]["graph"] > 0 and last["requests"]["goto"] > 0
        assert last["started"] == s.second.cycle.started and last["ended"] == s.second.cycle.ended
        assert last["durationSeconds"] >= 0
        assert success["id"] == s.first.cycle.id and success["status"] == "succeeded"
        assert success["counts"] == s.first.cycle.counts.to_dict()
        assert status["retries"] == {
            "pending": 1,
            "givenUp": 0,
            "givenUpIds": [],
            "givenUpIdsTruncated": False,
        }
        assert status["quarantine"] is None and status["lastSkip"] is None

        with pytest.raises(UnauthorizedError):  # the failed object is retried: GoTo refuses the token
            await s.harness.cycle(GOTO_ACCESS_TOKEN="revoked-token")
        status = await build_status(state=s.state, settings=settings, now=datetime.now(UTC))
        failed = status["lastCycle"]
        assert failed["status"] == "failed" and failed["id"] not in (s.first.cycle.id, s.second.cycle.id)
        assert failed["error"].startswith("credentials: ")
        assert status["lastSuccessfulCycle"]["id"] == s.first.cycle.id
        assert status["quarantine"]["reason"] == "credentials"
