"""`logs` on the CLI: the same query code as the API, printed as a readable table, JSON or CSV;
bad input exits 2 naming the field; --all follows the continuation tokens to the end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from provisioning.api.http import ApiRequest
from provisioning.api.logs import handle_logs
from provisioning.cli.commands import logs_command
from provisioning.state.audit_log import AuditLog
from tests.state.test_audit_log_support import Seeded, opened, seed


@pytest.fixture
async def seeded_log(
    tables_connection_string: str, table_prefix: str
) -> AsyncIterator[tuple[AuditLog, Seeded]]:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        yield log, await seed(state, log)


async def run(
    log: AuditLog, filters: dict[str, str], *, fmt: str = "table", all_pages: bool = False
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await logs_command(filters, log=log, out=out, err=err, fmt=fmt, all_pages=all_pages)
    return code, out.getvalue(), err.getvalue()


async def test_table_is_one_readable_line_per_record(seeded_log: tuple[AuditLog, Seeded]) -> None:
    log, seeded = seeded_log
    code, out, _ = await run(log, {})
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(seeded.records)
    bob = seeded.users[1]
    failure = next(line for line in lines if "failure" in line)
    assert failure.startswith("2026-11-01 09:00:20Z  update")
    assert f"{bob} -> GoTo 1002" in failure
    assert "[SystemForCrossDomainIdentityManagementBadRequest: bad domain]" in failure
    code, out, _ = await run(log, {"action": "disable"})
    assert code == 0 and out.splitlines() == [
        f"2026-11-01 10:00:30Z  disable      success  {seeded.users[2]} -> GoTo 1003"
    ]
    code, out, _ = await run(log, {"action": "stagedDelete"})
    assert (code, out) == (0, "no records\n")


async def test_paging_from_the_cli(seeded_log: tuple[AuditLog, Seeded]) -> None:
    log, seeded = seeded_log
    code, out, _ = await run(log, {"top": "3"})
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    token = lines[-1].split("continuationToken=")[1]
    code, out, _ = await run(log, {"top": "3", "continuationToken": token}, fmt="json")
    assert [r["id"] for r in json.loads(out)["value"]] == [r.id for r in seeded.records[3:6]]
    code, out, err = await run(log, {"top": "2"}, fmt="csv", all_pages=True)
    assert [row["id"] for row in csv.DictReader(io.StringIO(out))] == [r.id for r in seeded.records]
    assert err == ""
    code, out, err = await run(log, {"top": "2"}, fmt="csv")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 2 and "continuationToken=" in err


async def test_json_is_what_the_api_answers(seeded_log: tuple[AuditLog, Seeded]) -> None:
    log, seeded = seeded_log
    filters = {"entraId": seeded.users[0], "top": "2"}
    code, out, _ = await run(log, filters, fmt="json")
    api = await handle_logs(ApiRequest("GET", "/api/logs", params=filters), log=log)
    assert code == 0 and json.loads(out) == api.json()


@pytest.mark.parametrize(
    ("filters", "fmt", "field"),
    [
        ({"entraId": "nope"}, "table", "entraId"),
        ({"status": "done"}, "json", "status"),
        ({"since": "2026-11-01"}, "table", "since"),
        ({}, "xml", "format"),
        ({"format": "csv"}, "table", "format"),
        ({"continuationToken": "AAAA"}, "csv", "continuationToken"),
    ],
)
async def test_bad_input_exits_2_naming_the_field(
    tables_connection_string: str, table_prefix: str, filters: dict[str, str], fmt: str, field: str
) -> None:
    async with AuditLog.from_connection_string(tables_connection_string, prefix=table_prefix) as log:
        code, out, err = await run(log, filters, fmt=fmt)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {field}: ")
