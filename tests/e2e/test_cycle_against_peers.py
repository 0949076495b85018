"""The whole cycle with the DEFAULT settings (no GOTO_SCIM_DIALECT: the goto dialect) against three
SCIM peers: the GoTo simulator and two implementations we did not write (scim2-server, SCIMMY).

Issue 10: the default broke on a strict peer when it adopted an account without an e-mail. Here an
initial cycle adopts such an account, then incremental cycles make every kind of change, and each
peer must end up holding what Entra says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from provisioning.model import AuditStatus
from sandbox.goto import SANDBOX_GOTO_TOKEN
from sandbox.scim2_server import Scim2Server
from sandbox.scimmy import ScimmyServer
from tests.e2e.conftest import Harness
from tests.fixtures.scimmy import scimmy_process  # noqa: F401  (a fixture, used through getfixturevalue)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class PeerUnderTest:
    name: str
    base_url: str
    token: str

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def users(self) -> dict[str, dict[str, Any]]:
        """Accounts by lower-cased userName, read over SCIM as any client would (the admin aside)."""
        found: dict[str, dict[str, Any]] = {}
        with self.http() as client:
            start = 1
            while True:
                body = client.get("/Users", params={"startIndex": start, "count": 100}).json()
                page = body.get("Resources", [])
                found.update({u["userName"].lower(): u for u in page})
                start += len(page)
                if not page or start > body["totalResults"]:
                    break
        found.pop("admin@contoso.com", None)
        return found


@pytest.fixture(params=["goto-sim", "scim2-server", "scimmy"])
def peer(request: pytest.FixtureRequest, harness: Harness) -> Iterator[PeerUnderTest]:
    if request.param == "goto-sim":
        peer = PeerUnderTest("goto-sim", harness.world.goto.scim_base_url, SANDBOX_GOTO_TOKEN)
    elif request.param == "scim2-server":
        scim2: Scim2Server = request.getfixturevalue("scim2_server_process")
        peer = PeerUnderTest("scim2-server", scim2.new_tenant_url(), scim2.token)
    else:
        scimmy: ScimmyServer = request.getfixturevalue("scimmy_process")
        peer = PeerUnderTest("scimmy", scimmy.new_tenant_url(), scimmy.token)
    harness.env.update(GOTO_SCIM_BASE_URL=peer.base_url, GOTO_ACCESS_TOKEN=peer.token)
    assert "GOTO_SCIM_DIALECT" not in harness.env  # the default dialect, as an admin who set nothing
    yield peer


def _pre_existing_without_email(harness: Harness, peer: PeerUnderTest, user_name: str) -> str:
    """The account GoTo already has for this person: same userName, no e-mail."""
    if peer.name == "goto-sim":  # seed_demo_tenant made it with an e-mail: take that away
        store = harness.world.goto.store
        account = store.find_user(user_name)
        assert account is not None
        store.patch_user(
            account["id"], {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails"}]}
        )
        return str(account["id"])
    with peer.http() as client:
        body = {"schemas": [USER_SCHEMA], "userName": user_name, "name": {"familyName": "Pre-existing"}}
        response = client.post("/Users", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_initial_and_incremental_cycles_with_the_default_settings(
    harness: Harness, peer: PeerUnderTest
) -> None:
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    upn = {u: tenant.user(u)["userPrincipalName"].lower() for u in seeded["in_scope"]}
    adopted = seeded["pre_existing"]
    account_id = _pre_existing_without_email(harness, peer, tenant.user(adopted)["userPrincipalName"])
    pool = [u for u in seeded["in_scope"] if u not in seeded["direct"] and u != adopted]
    renamed, mail_changed, mail_added, disabled, restored, deleted = pool[:6]
    unassigned = seeded["direct"][0]
    tenant.update_user(mail_added, mail=None)

    first = await harness.cycle()
    assert first.failures == 0, first.counts
    users = peer.users()
    assert set(users) == set(upn.values())
    assert users[upn[adopted]]["id"] == account_id  # adopted, not duplicated
    assert [e["value"] for e in users[upn[adopted]]["emails"]] == [tenant.user(adopted)["mail"]]
    assert not users[upn[mail_added]].get("emails")
    adoption = {r.source_id: r for r in await harness.audit(first)}[adopted]
    assert (adoption.action, adoption.status) == ("update", AuditStatus.SUCCESS)

    tenant.update_user(renamed, displayName="Renamed Person", surname="Renamed")
    tenant.update_user(mail_changed, mail="changed.address@contoso.com")
    tenant.update_user(mail_added, mail="added.address@contoso.com")
    tenant.disable_user(disabled)
    tenant.unassign(unassigned)
    tenant.soft_delete_user(restored)
    tenant.hard_delete_user(deleted)
    second = await harness.cycle()

    records = {r.source_id: (r.action, r.status) for r in await harness.audit(second)}
    # a hard delete is a DELETE or a deactivation, per HARD_DELETE_ACTION: either default holds here
    assert records.pop(deleted) in {("delete", AuditStatus.SUCCESS), ("disable", AuditStatus.SUCCESS)}
    ok = AuditStatus.SUCCESS
    assert records == {
        renamed: ("update", ok),
        mail_changed: ("update", ok),
        mail_added: ("update", ok),
        disabled: ("disable", ok),
        unassigned: ("disable", ok),
        restored: ("disable", ok),
    }
    users = peer.users()
    assert (users[upn[renamed]]["displayName"], users[upn[renamed]]["name"]["familyName"]) == (
        "Renamed Person",
        "Renamed",
    )
    assert [e["value"] for e in users[upn[mail_changed]]["emails"]] == ["changed.address@contoso.com"]
    assert [e["value"] for e in users[upn[mail_added]]["emails"]] == ["added.address@contoso.com"]
    assert all(users[upn[u]]["active"] is False for u in (disabled, unassigned, restored))
    assert upn[deleted] not in users or users[upn[deleted]]["active"] is False  # inactive or gone

    tenant.restore_user(restored)
    third = await harness.cycle()
    assert [(r.source_id, r.action, r.status) for r in await harness.audit(third)] == [
        (restored, "update", ok)
    ]
    assert peer.users()[upn[restored]]["active"] is True
