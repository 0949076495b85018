"""Whole cycles pushing groups, with the DEFAULT settings (goto dialect), against SCIM implementations we
did not write (scim2-server, SCIMMY) and the GoTo simulator: two assigned groups with members, then a
rename, a membership removal and an unassigned group, a quiet cycle, then the group deleted in Entra.
Each peer must end up holding Entra's groups, filled with the GoTo ids of their members' accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from provisioning.model import AuditStatus, ObjectType
from sandbox.goto import SANDBOX_GOTO_TOKEN
from sandbox.graph import APP_ROLE_USER_ID
from sandbox.scim2_server import Scim2Server
from sandbox.scimmy import ScimmyServer
from tests.e2e.conftest import Harness
from tests.fixtures.scimmy import scimmy_process  # noqa: F401  (a fixture, used through getfixturevalue)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class Peer:
    name: str
    base_url: str
    token: str

    def _get_all(self, client: httpx.Client, kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = 1
        while True:
            body = client.get(f"/{kind}", params={"startIndex": start, "count": 100}).json()
            page = body.get("Resources", [])
            found += page
            start += len(page)
            if not page or start > body["totalResults"]:
                return found

    def accounts(self) -> dict[str, dict[str, Any]]:
        """Accounts by lower-cased userName, read over SCIM as any client would."""
        with self.http() as client:
            return {u["userName"].lower(): u for u in self._get_all(client, "Users")}

    def groups(self) -> dict[str, set[str]]:
        """displayName -> members' ids, each group read by id (a list answer may leave members out)."""
        with self.http() as client:
            out: dict[str, set[str]] = {}
            for listed in self._get_all(client, "Groups"):
                group = client.get(f"/Groups/{listed['id']}").json()
                out[group["displayName"]] = {m["value"] for m in group.get("members") or []}
            return out

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )


@pytest.fixture(params=["scim2-server", "scimmy", "goto-sim"])
def peer(request: pytest.FixtureRequest, harness: Harness) -> Iterator[Peer]:
    if request.param == "goto-sim":
        peer = Peer("goto-sim", harness.world.goto.scim_base_url, SANDBOX_GOTO_TOKEN)
    elif request.param == "scim2-server":
        scim2: Scim2Server = request.getfixturevalue("scim2_server_process")
        peer = Peer("scim2-server", scim2.new_tenant_url(), scim2.token)
    else:
        scimmy: ScimmyServer = request.getfixturevalue("scimmy_process")
        peer = Peer("scimmy", scimmy.new_tenant_url(), scimmy.token)
    harness.env.update(GOTO_SCIM_BASE_URL=peer.base_url, GOTO_ACCESS_TOKEN=peer.token)
    assert "GOTO_SCIM_DIALECT" not in harness.env  # the default dialect, as an admin who set nothing
    yield peer


async def test_groups_created_renamed_emptied_and_deleted(harness: Harness, peer: Peer) -> None:
    tenant = harness.world.graph.tenant
    people = {
        name: tenant.create_user(givenName=name.title(), surname="Tester")["id"]
        for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal")
    }
    upn = {u: tenant.user(u)["userPrincipalName"].lower() for u in people.values()}
    sales = tenant.create_group("Sales")["id"]
    eng = tenant.create_group("Engineering")["id"]
    marketing = tenant.create_group("Marketing")["id"]  # never assigned: never pushed
    for name in ("ann", "bob", "cat", "dan"):
        tenant.add_member(sales, people[name])
    for name in ("dan", "eve", "fay"):
        tenant.add_member(eng, people[name])
    tenant.add_member(marketing, people["gus"])
    tenant.assign(sales, app_role_id=APP_ROLE_USER_ID)
    tenant.assign(eng, app_role_id=APP_ROLE_USER_ID)
    tenant.assign(people["hal"], app_role_id=APP_ROLE_USER_ID)

    def ids(*names: str) -> set[str]:
        accounts = peer.accounts()
        return {accounts[upn[people[n]]]["id"] for n in names}

    first = await harness.cycle()
    assert first.failures == 0, first.counts
    assert upn[people["gus"]] not in peer.accounts()
    assert peer.groups() == {
        "Sales": ids("ann", "bob", "cat", "dan"),
        "Engineering": ids("dan", "eve", "fay"),
    }
    group_records = {
        r.source_id: (r.action, r.status)
        for r in await harness.audit(first, object_type=None)
        if r.object_type is ObjectType.GROUP
    }
    ok = AuditStatus.SUCCESS
    assert group_records == {sales: ("create", ok), eng: ("create", ok)}

    tenant.update_group(sales, displayName="Sales EMEA")
    tenant.remove_member(sales, people["ann"])
    tenant.unassign(eng)
    second = await harness.cycle()
    assert second.failures == 0, second.counts
    assert peer.groups() == {"Sales EMEA": ids("bob", "cat", "dan")}
    records = {r.source_id: (r.action, r.status) for r in await harness.audit(second, object_type=None)}
    assert records[sales] == ("update", ok) and records[eng] == ("delete", ok)
    accounts = peer.accounts()
    assert all(accounts[upn[people[n]]]["active"] is False for n in ("ann", "eve", "fay"))  # out of scope
    assert all(accounts[upn[people[n]]]["active"] is True for n in ("bob", "cat", "dan", "hal"))  # dan: Sales

    third = await harness.cycle()
    assert third.failures == 0 and third.counts.done() == 0, third.counts
    assert peer.groups() == {"Sales EMEA": ids("bob", "cat", "dan")}

    tenant.delete_group(sales)  # a security group: gone for good (groups/delta @removed deleted)
    fourth = await harness.cycle()
    assert fourth.failures == 0, fourth.counts
    assert peer.groups() == {}
    assert {
        r.source_id: r.action
        for r in await harness.audit(fourth, object_type=None)
        if r.object_type is ObjectType.GROUP
    } == {sales: "delete"}
    accounts = peer.accounts()
    assert [n for n in people if n != "gus" and accounts[upn[people[n]]]["active"]] == ["hal"]


async def test_an_existing_group_is_adopted_and_a_restored_one_pushed_again(
    harness: Harness, peer: Peer
) -> None:
    """A GoTo group already named exactly so is adopted (its outsider kept); a Microsoft 365 group
    deleted in Entra (recycle bin: @removed changed) leaves GoTo, and comes back when restored.
    scim2-server keeps no displayName unique (RFC 7643: uniqueness none), so it takes the create
    and holds two "Sales" groups: adoption needs a peer that answers 409, as GoTo does."""
    tenant = harness.world.graph.tenant
    ann = tenant.create_user(givenName="Ann", surname="Tester")["id"]
    hal = tenant.create_user(givenName="Hal", surname="Tester")["id"]
    sales = tenant.create_group("Sales", groupTypes=["Unified"], mailEnabled=True)["id"]
    tenant.add_member(sales, ann)
    tenant.assign(sales, app_role_id=APP_ROLE_USER_ID)
    tenant.assign(hal, app_role_id=APP_ROLE_USER_ID)
    with peer.http() as client:
        outsider = client.post(
            "/Users", json={"schemas": [USER_SCHEMA], "userName": "outsider@contoso.com"}
        ).json()["id"]
        existing = client.post(
            "/Groups",
            json={"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": outsider}]},
        ).json()["id"]
    upn = tenant.user(ann)["userPrincipalName"].lower()

    first = await harness.cycle()
    assert first.failures == 0, first.counts
    ann_id = peer.accounts()[upn]["id"]
    if peer.name == "scim2-server":
        with peer.http() as client:
            listed = client.get("/Groups", params={"filter": 'displayName eq "Sales"'}).json()["Resources"]
        held = {g["id"]: {m["value"] for m in g.get("members") or []} for g in listed}
        assert held == {existing: {outsider}, next(i for i in held if i != existing): {ann_id}}
        return
    assert peer.groups() == {"Sales": {outsider, ann_id}}  # adopted, not duplicated

    tenant.delete_group(sales)
    second = await harness.cycle()
    assert second.failures == 0, second.counts
    assert peer.groups() == {}
    assert peer.accounts()[upn]["active"] is False

    tenant.restore_group(sales)
    third = await harness.cycle()
    assert third.failures == 0, third.counts
    assert peer.groups() == {"Sales": {ann_id}}
    assert peer.accounts()[upn]["active"] is True


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"missing_group_status": 401},
        {"patch_format": "partial_json"},
        {"list_key": "resources"},
        {"ignore_filter": True},
        {"delete_answer": "ok_with_body", "error_body": "goto_json"},
    ],
    ids=[
        "plain",
        "missing-group-401",
        "partial-json",
        "lower-resources",
        "ignore-filter",
        "200-delete-json-errors",
    ],
)
async def test_goto_variants_through_cycles(harness: Harness, variant: dict[str, Any]) -> None:
    """The GoTo simulator's group variants, whole cycles: a linked group deleted in GoTo behind our
    back is created again (with GoTo's 401 for a missing group too), renamed and refilled."""
    goto = harness.world.goto
    goto.configure(**variant)
    tenant = harness.world.graph.tenant
    ann, bob, cat = (tenant.create_user(givenName=n, surname="Tester")["id"] for n in ("Ann", "Bob", "Cat"))
    upn = {u: tenant.user(u)["userPrincipalName"].lower() for u in (ann, bob, cat)}
    sales = tenant.create_group("Sales")["id"]
    tenant.add_member(sales, ann)
    tenant.add_member(sales, bob)
    tenant.assign(sales, app_role_id=APP_ROLE_USER_ID)
    tenant.assign(cat, app_role_id=APP_ROLE_USER_ID)

    first = await harness.cycle()
    assert first.failures == 0, first.counts
    accounts = goto.store.users()
    by_name = {u["userName"].lower(): u["id"] for u in accounts}
    (group,) = goto.store.groups()
    assert {m["value"] for m in group["members"]} == {by_name[upn[ann]], by_name[upn[bob]]}

    goto.store.delete_group(group["id"])  # an admin deletes it in GoTo
    tenant.update_group(sales, displayName="Sales EMEA")
    tenant.add_member(sales, cat)
    tenant.remove_member(sales, ann)
    second = await harness.cycle()
    assert second.failures == 0, second.counts
    (again,) = goto.store.groups()
    assert again["displayName"] == "Sales EMEA" and again["id"] != group["id"]
    assert {m["value"] for m in again["members"]} == {by_name[upn[bob]], by_name[upn[cat]]}
    (record,) = [
        r for r in await harness.audit(second, object_type=None) if r.object_type is ObjectType.GROUP
    ]
    assert record.status is AuditStatus.SUCCESS and "gone" in (record.reason or ""), record

    tenant.unassign(sales)
    third = await harness.cycle()
    assert third.failures == 0, third.counts
    assert goto.store.groups() == []
