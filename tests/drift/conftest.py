"""A tenant of 1,000 users provisioned by one real cycle (msgraph-sdk against the Graph simulator,
SCIM against the GoTo simulator, Table Storage in Azurite), then drift planted behind the cycle's
back, as admins and time make it:

- orphans: `stray` (an account made by hand in GoTo, never managed), `unassigned` (provisioned, then
  unassigned in Entra: its link remains), `unlinked` (provisioned, unassigned, and its link lost: only
  the audit log knows it), and GoTo's own admin (the token's Users/me, never deactivated);
- edited in GoTo: `renamed` (displayName and familyName changed by hand), `deactivated` (active=false);
- in scope without an account: `deleted` (its linked account deleted in GoTo), `new` (assigned after
  the cycle), `matching` (assigned after the cycle, with an account made by hand under its UPN: a
  repair adopts it, and that account is no orphan).

`planted` is built once per worker for the tests that only read; a test that repairs builds its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from provisioning.config import load_settings
from provisioning.service import run_sync
from provisioning.state.tables import TableState
from sandbox.azurite import Azurite
from sandbox.goto import GoToSimulator
from sandbox.graph import APP_ROLE_USER_ID, GraphSimulator
from sandbox.world import World

USERS = 1000
FAST = "1000"  # the product's GoTo rate for tests that are not about the rate
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass
class Planted:
    world: World
    ids: dict[str, str] = field(default_factory=dict)  # plant -> Entra id
    goto: dict[str, str] = field(default_factory=dict)  # plant -> GoTo id

    def env(self, **overrides: str) -> dict[str, str]:
        return self.world.env(**{"GOTO_RATE_LIMIT_PER_SECOND": FAST, **overrides})

    def settings(self, **overrides: str) -> Any:
        return load_settings(self.env(**overrides))

    def state(self) -> TableState:
        return TableState.from_connection_string(
            self.world.azurite.connection_string, prefix=self.world.table_prefix
        )

    def account(self, plant: str) -> dict[str, Any]:
        return self.world.goto.store.get_user(self.goto[plant])

    def snapshot(self) -> list[dict[str, Any]]:
        """Every GoTo account as stored, to prove a run wrote nothing."""
        return sorted(self.world.goto.store.users(), key=lambda u: str(u["id"]))


async def _link_of(state: TableState, user_id: str) -> str:
    link = await state.get_link(user_id)
    assert link is not None, user_id
    return link.target_id


async def plant(world: World, users_count: int = USERS) -> Planted:
    """Provision the users (1,000) with a real cycle, then plant each kind of drift."""
    tenant, store = world.graph.tenant, world.goto.store
    tenant.seed(users_count, 2, seed=16)
    users = [u["id"] for u in tenant.users()]
    for user_id in users:
        tenant.assign(user_id, app_role_id=APP_ROLE_USER_ID)
    planted = Planted(world)
    result = await run_sync(planted.settings(), initiated_by="test")
    assert result.counts.to_dict() == {"create/success": users_count}
    names = ["unassigned", "unlinked", "renamed", "deactivated", "deleted"]
    planted.ids = dict(zip(names, users[10 : 10 + len(names)], strict=True))
    async with planted.state() as state:
        planted.goto = {name: await _link_of(state, planted.ids[name]) for name in names}
        await state.delete_links([planted.ids["unlinked"]])
    tenant.unassign(planted.ids["unassigned"])
    tenant.unassign(planted.ids["unlinked"])
    store.patch_user(
        planted.goto["renamed"],
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": "displayName", "value": "Renamed By Hand"},
                {"op": "replace", "path": "name.familyName", "value": "Hand"},
            ],
        },
    )
    store.patch_user(
        planted.goto["deactivated"],
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )
    store.delete_user(planted.goto["deleted"])
    stray = store.create_user({"schemas": [CORE], "userName": "stray.account@contoso.com", "active": True})
    planted.goto["stray"] = str(stray["id"])
    planted.goto["admin"] = str(store.get_admin()["id"])
    for name in ("new", "matching"):
        user = tenant.create_user(givenName="Drift", surname=name.title())
        tenant.assign(user["id"], app_role_id=APP_ROLE_USER_ID)
        planted.ids[name] = user["id"]
    upn = tenant.user(planted.ids["matching"])["userPrincipalName"]
    made = store.create_user({"schemas": [CORE], "userName": upn, "active": True})
    planted.goto["matching"] = str(made["id"])
    return planted


@contextmanager
def planted_world(azurite: Azurite, users_count: int = USERS) -> Iterator[Planted]:
    """Fresh simulators (the GoTo one fast: these tests are not about its limit) on the session's
    Azurite, planted."""
    with GraphSimulator(page_size=999) as graph, GoToSimulator(rate_limit_per_second=1000) as goto:
        yield asyncio.run(plant(World(azurite, graph, goto), users_count))


@pytest.fixture(scope="package")
def planted(azurite: Azurite) -> Iterator[Planted]:
    """One planted tenant for the tests that only read it (they must leave it as they found it)."""
    with planted_world(azurite) as world:
        yield world
