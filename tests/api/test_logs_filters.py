"""GET /api/logs over two real cycles: every record newest first, shaped like Entra's provisioning
logs; each filter and combinations; paging with the continuation token returns each record once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest

from provisioning.model import AuditRecord
from sandbox.world import World
from tests.api.test_logs_support import Scene, body, scene

Case = Callable[[Scene], tuple[dict[str, str], Callable[[AuditRecord], bool]]]


@pytest.fixture
async def world_scene(world: World) -> AsyncIterator[Scene]:
    async with scene(world) as built:
        yield built


def ids(response_body: object) -> list[str]:
    assert isinstance(response_body, dict)
    return [r["id"] for r in response_body["value"]]


async def test_every_record_newest_first_shaped_like_entra(world_scene: Scene) -> None:
    s = world_scene
    response = await s.get()
    assert response.status == 200 and response.content_type == "application/json"
    data = body(response)
    assert ids(data) == [r.id for r in s.records] and data["continuationToken"] is None
    assert len(data["value"]) == sum(s.first.counts.values()) + sum(s.second.counts.values())
    failed = next(r for r in data["value"] if r["sourceIdentity"]["id"] == s.failed)
    assert set(failed) == {
        "id",
        "activityDateTime",
        "cycleId",
        "changeId",
        "provisioningAction",
        "provisioningStatusInfo",
        "sourceIdentity",
        "targetIdentity",
        "modifiedProperties",
        "provisioningSteps",
        "durationInMilliseconds",
        "initiatedBy",
        "dryRun",
    }
    assert failed["cycleId"] == s.second.cycle.id and failed["provisioningAction"] == "create"
    info = failed["provisioningStatusInfo"]
    assert info["status"] == "failure"
    assert info["errorInformation"]["errorCode"] == "GoToBadRequest400"
    assert "not a verified domain" in info["errorInformation"]["reason"]
    assert "verify the e-mail domain" in info["errorInformation"]["recommendedAction"]
    assert failed["sourceIdentity"] == {
        "id": s.failed,
        "displayName": "x0@fabrikam.example",
        "identityType": "User",
    }
    assert failed["targetIdentity"] == {"id": None, "displayName": "x0@fabrikam.example"}
    assert {"displayName": "userName", "oldValue": None, "newValue": "x0@fabrikam.example"} in failed[
        "modifiedProperties"
    ]
    assert failed["initiatedBy"] == "test" and failed["dryRun"] is False
    renamed = next(
        r
        for r in data["value"]
        if r["sourceIdentity"]["id"] == s.renamed and r["cycleId"] == s.second.cycle.id
    )
    assert renamed["provisioningStatusInfo"] == {"status": "success", "errorInformation": None}
    assert renamed["modifiedProperties"] == [
        {
            "displayName": "displayName",
            "oldValue": renamed["modifiedProperties"][0]["oldValue"],
            "newValue": "Renamed Person",
        }
    ]
    assert renamed["provisioningSteps"][0]["description"] == "attributes changed in Entra"


def moment(record: AuditRecord) -> datetime:
    return datetime.fromisoformat(record.activity_date_time)


CASES: dict[str, Case] = {
    "cycleId": lambda s: ({"cycleId": s.second.cycle.id}, lambda r: r.cycle_id == s.second.cycle.id),
    "entraId": lambda s: ({"entraId": s.renamed.upper()}, lambda r: r.source_id == s.renamed),
    "gotoId": lambda s: (
        {"gotoId": next(r.target_id for r in s.records if r.source_id == s.renamed and r.target_id)},
        lambda r: r.source_id == s.renamed,
    ),
    "action": lambda s: ({"action": "disable"}, lambda r: r.action == "disable"),
    "status": lambda s: ({"status": "skipped"}, lambda r: r.status.value == "skipped"),
    "from": lambda s: (
        {"from": s.second.cycle.started},
        lambda r: moment(r) >= datetime.fromisoformat(s.second.cycle.started),
    ),
    "to": lambda s: (
        {"to": moment(s.records[-5]).isoformat().replace("+00:00", "Z")},
        lambda r: moment(r) <= moment(s.records[-5]),
    ),
    "cycleId+action": lambda s: (
        {"cycleId": s.first.cycle.id, "action": "update"},
        lambda r: r.cycle_id == s.first.cycle.id and r.action == "update",
    ),
    "entraId+cycleId": lambda s: (
        {"entraId": s.renamed, "cycleId": s.first.cycle.id},
        lambda r: r.source_id == s.renamed and r.cycle_id == s.first.cycle.id,
    ),
    "status+from+to": lambda s: (
        {
            "status": "success",
            "from": (moment(s.records[-1]) + timedelta(microseconds=1)).isoformat(),
            "to": s.second.cycle.ended or "",
        },
        lambda r: r.status.value == "success" and moment(r) > moment(s.records[-1]),
    ),
}


async def test_each_filter_and_combinations(world_scene: Scene, subtests: pytest.Subtests) -> None:
    s = world_scene
    for name, case in CASES.items():
        with subtests.test(name):
            params, keep = case(s)
            want = [r.id for r in s.records if keep(r)]
            assert 0 < len(want) < len(s.records), "the case must select some records and not all"
            response = await s.get(**params)
            assert response.status == 200, response.body
            assert ids(body(response)) == want


async def test_paging_with_the_continuation_token(world_scene: Scene) -> None:
    s = world_scene
    seen: list[str] = []
    token = None
    while True:
        params = {"top": "7"} | ({"continuationToken": token} if token else {})
        data = body(await s.get(**params))
        assert len(data["value"]) <= 7
        seen += ids(data)
        token = data["continuationToken"]
        if token is None:
            break
    assert seen == [r.id for r in s.records]
