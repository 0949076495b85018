"""An Entra id with a trailing newline is refused as bad input everywhere an id comes in: `$` in
the GUID pattern matched before the newline, so "guid\\n" reached Graph and Table Storage keys."""

from __future__ import annotations

import io
from contextlib import redirect_stderr

import pytest

from provisioning.api.http import GUID, ApiRequest
from provisioning.api.logs import parse_logs_request
from provisioning.cli import main
from sandbox.world import World, environment
from tests.fixtures.functions import Caller

ID = "0b0b0b0b-1111-2222-3333-444444444444"
NOT_IDS = [f"{ID}\n", f"{ID}\r\n", f" {ID}", f"{ID} ", f"{ID}\n\n", f"\n{ID}"]


@pytest.mark.parametrize("value", NOT_IDS, ids=repr)
def test_the_pattern_takes_only_a_whole_guid(value: str) -> None:
    assert GUID.match(ID) and GUID.fullmatch(ID.upper())
    assert not GUID.match(value)  # cli.py calls .match: the pattern itself must be anchored at \Z
    assert not GUID.fullmatch(value)


@pytest.mark.parametrize("value", [f"{ID}\n", f"{ID}\r\n"], ids=repr)
async def test_routes_refuse_an_id_with_a_newline(call: Caller, value: str) -> None:
    status, body = await call("provision_user", route={"entraId": value})
    assert status == 400 and body["error"]["field"] == "entraId"
    status, body = await call("provision_group", route={"entraId": value})
    assert status == 400 and body["error"]["field"] == "entraId"
    status, body = await call("provision_group", route={"entraId": ID}, body={"memberIds": [ID, value]})
    assert status == 400 and body["error"]["field"] == "memberIds"


@pytest.mark.parametrize("name", ["entraId", "cycleId"])
def test_log_filters_refuse_an_id_with_a_newline(name: str) -> None:
    with pytest.raises(Exception) as raised:
        parse_logs_request(ApiRequest("GET", "/api/logs", params={name: f"{ID}\n"}))
    assert getattr(raised.value, "field", None) == name
    with pytest.raises(Exception) as raised:
        parse_logs_request(ApiRequest("GET", "/api/logs", params={"gotoId": "1001\n"}))
    assert getattr(raised.value, "field", None) == "gotoId"


def test_the_cli_refuses_an_id_with_a_newline(world: World) -> None:
    seeded = world.seed_demo_tenant(users=4, groups=1)
    user = seeded["in_scope"][0]
    err = io.StringIO()
    with environment(world.env()), redirect_stderr(err):
        code = main(["provision", "user", f"{user}\n", "--dry-run"])
    assert code == 2 and "id: must be an Entra object id" in err.getvalue()
    assert world.graph.counters.total() == 0  # refused before any Graph read
