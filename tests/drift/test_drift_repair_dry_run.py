"""A repair is a dry run unless applied: `--repair --deactivate-orphans` (and `?repair=true&
deactivateOrphans=true`) list exactly what would be sent (updates of the two edited accounts,
creates of the three users without one, disables of the three orphans that are not the signed-in
admin) and write nothing anywhere: no GoTo request but reads, no link, cycle or audit record."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from provisioning.cli.drift import drift
from provisioning.drift.run import Request, run_drift
from sandbox.world import environment
from tests.drift.conftest import Planted
from tests.fixtures.functions import Caller


async def tables(planted: Planted) -> tuple[list[Any], list[str]]:
    async with planted.state() as state:
        links = sorted([link async for link in state.list_links()], key=lambda link: link.source_id)
        cycles = [c.id for c in await state.list_cycles(limit=50)]
    return links, cycles


def expected(planted: Planted) -> set[tuple[str, str | None, str | None]]:
    ids, goto = planted.ids, planted.goto
    return {
        ("update", ids["renamed"], goto["renamed"]),
        ("update", ids["deactivated"], goto["deactivated"]),
        ("create", ids["deleted"], None),
        ("create", ids["new"], None),
        ("create", ids["matching"], None),
        ("disable", None, goto["stray"]),
        ("disable", ids["unassigned"], goto["unassigned"]),
        ("disable", ids["unlinked"], goto["unlinked"]),  # its Entra id from the audit log
    }


def planned(repair: dict[str, Any]) -> set[tuple[str, str | None, str | None]]:
    return {(op["action"], op["entraId"], op["gotoId"]) for op in repair["operations"]}


async def test_a_repair_without_apply_shows_and_writes_nothing(
    planted: Planted, call: Caller, capsys: pytest.CaptureFixture[str]
) -> None:
    goto, before, stored = planted.world.goto, planted.snapshot(), await tables(planted)
    goto.counters.reset()

    document = await run_drift(planted.settings(), Request(repair=True, deactivate_orphans=True))
    repair = document["repair"]
    assert repair["dryRun"] is True and repair["cycleId"] is None and repair["counts"] == {}
    assert planned(repair) == expected(planted)
    renamed = next(op for op in repair["operations"] if op["entraId"] == planted.ids["renamed"])
    assert {c["attribute"] for c in renamed["changes"]} == {"displayName", "name.familyName"}

    with environment(planted.env()):
        status, body = await call(
            "drift", method="GET", params={"repair": "true", "deactivateOrphans": "true"}
        )
        assert status == 200, body
        assert body["repair"]["dryRun"] is True and planned(body["repair"]) == expected(planted)

    # the CLI runs its own event loop, as `python -m provisioning drift --repair --format json` does
    assert await asyncio.to_thread(drift, Request(repair=True), fmt="json", environ=planted.env()) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["repair"]["dryRun"] is True
    assert planned(cli["repair"]) == {op for op in expected(planted) if op[0] != "disable"}

    assert all(key.startswith("GET ") for key in goto.counters.snapshot())
    assert planted.snapshot() == before
    assert await tables(planted) == stored
