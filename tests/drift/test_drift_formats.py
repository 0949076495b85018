"""`--format table|json|csv` print the same report: the table opens with the estimate and the counts
and gives one line per drift (the repair's dry run after it); json and csv keep stdout one document
(the estimate goes to stderr); GET /api/drift?format=csv answers the same rows as text/csv."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter

import pytest

from provisioning.cli.drift import drift
from provisioning.drift.report import CSV_COLUMNS
from provisioning.drift.run import Request
from sandbox.world import environment
from tests.drift.conftest import Planted
from tests.fixtures.functions import Caller

KINDS = {"orphan": 4, "edited": 2, "missing": 3}


async def cli(
    planted: Planted, fmt: str, capsys: pytest.CaptureFixture[str], **asked: bool
) -> tuple[str, str]:
    code = await asyncio.to_thread(drift, Request(**asked), fmt=fmt, environ=planted.env())
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


async def test_table_json_and_csv(planted: Planted, call: Caller, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = await cli(planted, "table", capsys, repair=True)
    lines = out.splitlines()
    assert lines[0].startswith("reading ") and "GOTO_RATE_LIMIT_PER_SECOND" in lines[0] and err == ""
    assert lines[2] == "orphans: 4, edited in GoTo: 2, in scope without an account: 3"
    firsts = [line.split(maxsplit=1)[0] for line in lines[3:] if line.strip()]
    assert Counter(word for word in firsts if word in KINDS) == KINDS
    upn = planted.world.graph.tenant.user(planted.ids["renamed"])["userPrincipalName"]
    renamed = next(i for i, line in enumerate(lines) if line.startswith(f"edited   {upn} "))
    assert "displayName: 'Renamed By Hand' -> " in lines[renamed + 1]
    assert any(line.startswith("repair, dry run (nothing written; --apply sends it): 5 ") for line in lines)

    out, err = await cli(planted, "json", capsys)
    document = json.loads(out)
    assert document["counts"] == KINDS and err.startswith("reading ")

    out, err = await cli(planted, "csv", capsys)
    found = rows(out)
    assert Counter(r["kind"] for r in found) == KINDS and err.startswith("reading ")
    by_entra = {r["entraId"]: r for r in found if r["entraId"]}
    edited = by_entra[planted.ids["renamed"]]
    assert "displayName: 'Renamed By Hand' -> " in edited["changes"] and edited["gotoActive"] == "true"
    assert {r["gotoId"] for r in found if r["signedInAdmin"] == "true"} == {planted.goto["admin"]}

    with environment(planted.env()):
        status, text = await call("drift", method="GET", params={"format": "csv"})
    assert status == 200
    assert sorted((r["kind"], r["gotoId"], r["entraId"]) for r in rows(text)) == sorted(
        (r["kind"], r["gotoId"], r["entraId"]) for r in found
    )
