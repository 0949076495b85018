"""?format=csv: a header row and one row per record, parsing back to what the JSON says; the
continuation token rides in a header; a cell a spreadsheet would run as a formula is defused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from provisioning.api.http import ApiRequest
from provisioning.api.logs import CONTINUATION_HEADER, CSV_COLUMNS, handle_logs
from provisioning.model import ModifiedProperty
from sandbox.world import World
from tests.api.test_logs_support import scene
from tests.state.test_audit_log_support import BASE, guid, opened, record


def rows(text: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.decode()))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


async def test_csv_parses_back_to_the_json(world: World) -> None:
    async with scene(world) as s:
        as_json = (await s.get()).json()["value"]
        response = await s.get(format="csv")
        paged, token = [], None
        while True:
            page = await s.get(format="csv", top="4", **({"continuationToken": token} if token else {}))
            paged += rows(page.body)
            token = page.headers.get(CONTINUATION_HEADER)
            if token is None:
                break
    assert response.status == 200 and response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert CONTINUATION_HEADER not in response.headers
    parsed = rows(response.body)
    assert paged == parsed
    assert [row["id"] for row in parsed] == [r["id"] for r in as_json]
    for row, item in zip(parsed, as_json, strict=True):
        error = item["provisioningStatusInfo"]["errorInformation"] or {}
        assert row["activityDateTime"] == item["activityDateTime"]
        assert row["cycleId"] == item["cycleId"] and row["changeId"] == item["changeId"]
        assert row["provisioningAction"] == item["provisioningAction"]
        assert row["status"] == item["provisioningStatusInfo"]["status"]
        assert row["sourceId"] == item["sourceIdentity"]["id"]
        assert row["sourceDisplayName"] == (item["sourceIdentity"]["displayName"] or "")
        assert row["identityType"] == item["sourceIdentity"]["identityType"]
        assert row["targetId"] == (item["targetIdentity"]["id"] or "")
        assert row["errorCode"] == (error.get("errorCode") or "")
        assert row["errorReason"] == (error.get("reason") or "")
        assert row["durationInMilliseconds"] == str(item["durationInMilliseconds"])
        assert row["dryRun"] == "false" and row["initiatedBy"] == "test"
        joined = "; ".join(
            f"{p['displayName']}: {p['oldValue'] or '(none)'} -> {p['newValue'] or '(none)'}"
            for p in item["modifiedProperties"]
        )
        assert row["modifiedProperties"] == joined
    renamed = next(
        row for row in parsed if row["sourceId"] == s.renamed and row["cycleId"] == s.second.cycle.id
    )
    assert renamed["modifiedProperties"].endswith("-> Renamed Person")


async def test_formulas_are_defused_and_commas_quoted(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (_, log):
        cycle_id = guid()
        changes = (ModifiedProperty("displayName", "Smith, Ann", '@SUM(1+1)*cmd|" /C calc"!A0'),)
        await log.add(
            [
                record(
                    cycle_id, guid(), BASE, name='=HYPERLINK("http://evil.example","click")', changes=changes
                ),
                record(cycle_id, guid(), BASE + timedelta(seconds=1), name="-2+3", target_id="7"),
            ]
        )
        response = await handle_logs(
            ApiRequest("GET", "/api/logs", params={"cycleId": cycle_id, "format": "csv"}), log=log
        )
    minus, formula = rows(response.body)
    assert minus["sourceDisplayName"] == "'-2+3"
    assert formula["sourceDisplayName"] == '\'=HYPERLINK("http://evil.example","click")'
    assert formula["modifiedProperties"] == 'displayName: Smith, Ann -> @SUM(1+1)*cmd|" /C calc"!A0'
