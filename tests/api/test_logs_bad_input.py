"""GET /api/logs refuses bad input with 400 and a JSON error naming the field: unknown parameters,
malformed ids, unknown actions and statuses, bad dates, bad `top`, forged or foreign tokens."""

from __future__ import annotations

import base64
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


@pytest.fixture
async def empty_log(tables_connection_string: str, table_prefix: str) -> AsyncIterator[AuditLog]:
    async with AuditLog.from_connection_string(tables_connection_string, prefix=table_prefix) as log:
        yield log


def forged(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


BAD: list[tuple[dict[str, str], str]] = [
    ({"cycle": "x"}, "cycle"),
    ({"entraid": "x"}, "entraid"),  # names are case-sensitive, as documented
    ({"$filter": "PartitionKey eq 'x'"}, "$filter"),
    ({"entraId": "not-a-guid"}, "entraId"),
    ({"entraId": "' or PartitionKey ne '"}, "entraId"),
    ({"cycleId": "1234"}, "cycleId"),
    ({"gotoId": "12 34"}, "gotoId"),
    ({"gotoId": "x' or '1' eq '1"}, "gotoId"),
    ({"action": "remove"}, "action"),
    ({"action": "Create"}, "action"),
    ({"status": "ok"}, "status"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01T00:00:00Z"}, "to"),
    ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from"),
    ({"from": "0001-01-01T00:00:00Z"}, "from"),  # was an OverflowError answered 500
    ({"from": "0001-01-01T00:00:00+01:00"}, "from"),
    ({"to": "9999-12-31T23:59:59-05:00"}, "to"),
    ({"to": "9999-12-31T23:59:59Z"}, "to"),
    ({"from": "1969-12-31T23:59:59Z"}, "from"),
    ({"to": "0001-01-01"}, "to"),
    ({"top": "0"}, "top"),
    ({"top": "1001"}, "top"),
    ({"top": "ten"}, "top"),
    ({"format": "xml"}, "format"),
    ({"continuationToken": "forged!"}, "continuationToken"),
    ({"continuationToken": forged({"v": 1, "q": "0" * 16, "c": None, "r": "1"})}, "continuationToken"),
]


@pytest.mark.parametrize(("params", "field"), BAD, ids=[f"{f}={list(p.values())[-1]}" for p, f in BAD])
async def test_bad_input_is_a_400_naming_the_field(
    empty_log: AuditLog, params: dict[str, str], field: str
) -> None:
    response = await handle_logs(ApiRequest("GET", "/api/logs", params=params), log=empty_log)
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == "badRequest" and error["field"] == field
    assert field in error["message"]
    assert "Traceback" not in response.body.decode()


async def test_a_token_from_another_query_is_refused(seeded_log: tuple[AuditLog, Seeded]) -> None:
    log, seeded = seeded_log
    first = await handle_logs(ApiRequest("GET", "/api/logs", params={"top": "2"}), log=log)
    token = first.json()["continuationToken"]
    assert token
    for other in ({"action": "update"}, {"cycleId": seeded.cycles[0]}, {"entraId": seeded.users[0]}):
        response = await handle_logs(
            ApiRequest("GET", "/api/logs", params={**other, "top": "2", "continuationToken": token}), log=log
        )
        assert response.status == 400 and response.json()["error"]["field"] == "continuationToken"
    again = await handle_logs(
        ApiRequest("GET", "/api/logs", params={"top": "2", "continuationToken": token}), log=log
    )
    assert again.status == 200 and len(again.json()["value"]) == 2


async def test_an_unexpected_failure_is_a_500_without_internals(
    tables_connection_string: str, table_prefix: str
) -> None:
    log = AuditLog.from_connection_string(tables_connection_string, prefix=table_prefix)  # never opened
    response = await handle_logs(ApiRequest("GET", "/api/logs"), log=log)
    await log.close()
    assert response.status == 500
    error = response.json()["error"]
    assert error["code"] == "internalError" and "incident" in error["message"]
    assert "AuditLog.open" not in response.body.decode() and "Traceback" not in response.body.decode()


async def test_dates_at_the_edges_of_the_audit_range_are_answered(
    seeded_log: tuple[AuditLog, Seeded],
) -> None:
    log, seeded = seeded_log
    edges = {"from": "1970-01-01T00:00:00Z", "to": "8999-12-31T23:59:59Z"}
    response = await handle_logs(ApiRequest("GET", "/api/logs", params=edges), log=log)
    assert response.status == 200 and len(response.json()["value"]) == len(seeded.records)
    for name, value in (("from", "8999-12-31T23:59:59Z"), ("to", "1970-01-01T00:00:00Z")):
        response = await handle_logs(ApiRequest("GET", "/api/logs", params={name: value}), log=log)
        assert response.status == 200 and response.json()["value"] == []


@pytest.mark.parametrize("name", ["from", "to"])
async def test_the_cli_exits_2_naming_a_date_outside_the_range(empty_log: AuditLog, name: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = await logs_command({name: "0001-01-01T00:00:00Z"}, log=empty_log, out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue().startswith(f"error: {name}: must be between 1970-01-01 and 8999-12-31")
