"""A fresh deployment: nothing has run yet; status says so without failing (no cycles, no rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioning.api.http import ApiRequest
from provisioning.api.status import handle_status
from provisioning.config import Settings
from provisioning.mapping.file import load_default
from provisioning.state.tables import TableState

NOW = datetime(2026, 11, 23, 8, 4, 30, tzinfo=UTC)


async def test_fresh_deployment(tables_connection_string: str, table_prefix: str) -> None:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        response = await handle_status(
            ApiRequest("GET", "/api/status"),
            state=state,
            settings=Settings(service_principal_id="x"),
            now=NOW,
        )
    assert response.status == 200 and response.content_type == "application/json"
    assert response.json() == {
        "provisioningEnabled": True,
        "dryRun": False,
        "schedule": "0 */10 * * * *",
        "nextScheduledRun": "2026-11-23T08:10:00+00:00",
        "running": None,
        "lastCycle": None,
        "lastSuccessfulCycle": None,
        "lastSkip": None,
        "quarantine": None,
        "stagedDeprovisions": 0,
        "groups": {"managed": 0, "truncated": [], "truncatedCount": 0},
        "retries": {"pending": 0, "givenUp": 0, "givenUpIds": [], "givenUpIdsTruncated": False},
        "mappings": {
            "file": "built-in default",
            "ok": True,
            "problems": [],
            "fingerprint": load_default().users.fingerprint,
            "applied": None,  # no complete read yet
            "fullCycleNext": False,
        },
    }
