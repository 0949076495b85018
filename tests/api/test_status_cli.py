"""`status` on the CLI: the status document as JSON, or as readable lines."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from provisioning.api.status import build_status
from provisioning.cli.commands import status_command
from provisioning.config import Settings
from provisioning.engine.quarantine import QUARANTINE
from provisioning.state.tables import TableState
from tests.fixtures.retries import record_failures
from tests.state.test_audit_log_support import BASE, cycle, guid


async def test_status_command(tables_connection_string: str, table_prefix: str) -> None:
    settings = Settings(service_principal_id="x", dry_run=True)
    done, failed = guid(), guid()
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        await state.upsert_cycle(cycle(done, BASE, counts={"create/success": 3, "update/success": 1}))
        broken = replace(
            cycle(failed, BASE + timedelta(minutes=10), status="failed"), error="credentials: 401"
        )
        await state.upsert_cycle(broken)
        await state.set_control(
            QUARANTINE, {"Reason": "credentials", "Since": BASE.isoformat(), "Detail": "GoTo answered 401"}
        )
        await record_failures(state, {"u1": "timeout"})
        out = io.StringIO()
        assert await status_command(state=state, settings=settings, out=out, as_json=True) == 0
        as_json = json.loads(out.getvalue())
        expected = await build_status(state=state, settings=settings, now=datetime.now(UTC))
        out = io.StringIO()
        assert await status_command(state=state, settings=settings, out=out, as_json=False) == 0
    assert {k: v for k, v in as_json.items() if k != "nextScheduledRun"} == {
        k: v for k, v in expected.items() if k != "nextScheduledRun"
    }
    lines = out.getvalue().splitlines()
    assert lines[0] == "provisioning: on; dry run (DRY_RUN is true)"
    assert lines[1].startswith("schedule:     0 */10 * * * *; next run 20")
    assert "running:      no" in lines
    last = next(line for line in lines if line.startswith("last cycle:"))
    assert f"{failed} (incremental) failed" in last and "nothing to do" in last
    assert "              error: credentials: 401" in lines
    success = next(line for line in lines if line.startswith("last success:"))
    assert f"{done} (incremental) succeeded" in success
    assert "create/success 3, update/success 1; 3 Graph and 4 GoTo requests" in success
    quarantine = next(line for line in lines if line.startswith("quarantine:"))
    assert "credentials since" in quarantine and "next attempt after" in quarantine
    assert lines[-2:] == [
        "staged:       0 deprovisions awaiting approval",
        "retries:      1 pending, 0 given up",
    ]
