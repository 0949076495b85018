"""On 1,000 provisioned users with planted drift, the report finds each kind exactly: the four
orphans (and how each was managed), the two accounts edited in GoTo (with GoTo's and the mapping's
values), the three in-scope users without an account (one with a GoTo account to adopt), and no
other user of the thousand."""

from __future__ import annotations

from typing import Any

from provisioning.drift.run import Request, run_drift
from tests.drift.conftest import USERS, Planted


def by_kind(document: dict[str, Any], kind: str, key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in document["drift"] if item["kind"] == kind}


async def test_each_kind_is_found_exactly(planted: Planted) -> None:
    before = planted.snapshot()
    document = await run_drift(planted.settings(), Request())

    assert document["counts"] == {"orphan": 4, "edited": 2, "missing": 3}
    assert document["inScopeUsers"] == USERS - 2 + 2  # two unassigned, two assigned after the cycle
    assert document["inactiveUnaccounted"] == 0 and document["unmappable"] == []

    goto = planted.goto
    orphans = by_kind(document, "orphan", "gotoId")
    assert set(orphans) == {goto["stray"], goto["unassigned"], goto["unlinked"], goto["admin"]}
    assert {gid: o["managed"] for gid, o in orphans.items()} == {
        goto["stray"]: "never",
        goto["unassigned"]: "linked",
        goto["unlinked"]: "audit",
        goto["admin"]: "never",
    }
    assert orphans[goto["unassigned"]]["entraId"] == planted.ids["unassigned"]
    assert orphans[goto["unlinked"]]["entraId"] == planted.ids["unlinked"]  # from its audit record
    assert "not assigned to the app" in orphans[goto["unassigned"]]["detail"]
    assert "last: create" in orphans[goto["unlinked"]]["detail"]
    assert [gid for gid, o in orphans.items() if o["signedInAdmin"]] == [goto["admin"]]

    edited = by_kind(document, "edited", "entraId")
    assert set(edited) == {planted.ids["renamed"], planted.ids["deactivated"]}
    entra = planted.world.graph.tenant.user(planted.ids["renamed"])
    assert {c["attribute"]: (c["goto"], c["mapping"]) for c in edited[planted.ids["renamed"]]["changes"]} == {
        "displayName": ("Renamed By Hand", entra["displayName"]),
        "name.familyName": ("Hand", entra["surname"]),
    }
    assert edited[planted.ids["deactivated"]]["changes"] == [
        {"attribute": "active", "goto": False, "mapping": True}
    ]
    assert edited[planted.ids["renamed"]]["gotoId"] == goto["renamed"]

    missing = by_kind(document, "missing", "entraId")
    assert set(missing) == {planted.ids["deleted"], planted.ids["new"], planted.ids["matching"]}
    assert missing[planted.ids["matching"]]["gotoId"] == goto["matching"]
    assert "adopts" in missing[planted.ids["matching"]]["detail"]
    assert f"linked GoTo account {goto['deleted']} is gone" in missing[planted.ids["deleted"]]["detail"]
    assert missing[planted.ids["new"]]["gotoId"] is None

    assert "repair" not in document
    assert planted.snapshot() == before  # a report writes nothing to GoTo
