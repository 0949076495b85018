"""The whole local world in one object: Azurite + Graph simulator + GoTo simulator, and the
settings (environment variables) that point the product at them. Used by `make demo`, the e2e
tests and the benchmarks, so all three exercise the same wiring."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sandbox.azurite import Azurite
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from sandbox.graph import (
    APP_ROLE_USER_ID,
    DEFAULT_ACCESS_ROLE_ID,
    SANDBOX_GRAPH_TOKEN,
    SERVICE_PRINCIPAL_ID,
    GraphSimulator,
)


@dataclass
class World:
    azurite: Azurite
    graph: GraphSimulator
    goto: GoToSimulator
    table_prefix: str = field(default_factory=lambda: "w" + uuid.uuid4().hex[:10])

    def env(self, **overrides: str) -> dict[str, str]:
        """Function app settings for this world (the same names an admin sets in Azure)."""
        values = {
            "ENTRA_SERVICE_PRINCIPAL_ID": SERVICE_PRINCIPAL_ID,
            "GRAPH_BASE_URL": self.graph.base_url,
            "GRAPH_ACCESS_TOKEN": SANDBOX_GRAPH_TOKEN,
            "GOTO_SCIM_BASE_URL": self.goto.scim_base_url,
            "GOTO_ACCESS_TOKEN": SANDBOX_GOTO_TOKEN,
            "GOTO_ADMIN_BASE_URL": self.goto.admin_base_url,
            "AzureWebJobsStorage": self.azurite.connection_string,
            "STATE_TABLE_PREFIX": self.table_prefix,
        }
        values.update(overrides)
        return values

    def seed_demo_tenant(self, *, users: int = 50, groups: int = 5, seed: int = 7) -> dict[str, Any]:
        """About 50 users and 5 groups; two groups and a few users assigned with a real role, one user
        with Default Access only, one assigned user disabled, one GoTo account that already exists."""
        tenant = self.graph.tenant
        tenant.seed(users, groups, seed=seed)
        group_ids = [g["id"] for g in tenant.groups()]
        assigned_groups = group_ids[:2]
        for group_id in assigned_groups:
            tenant.assign(group_id, app_role_id=APP_ROLE_USER_ID)
        in_groups = {u for g in assigned_groups for u, _ in tenant.members(g)}
        outside = [u["id"] for u in tenant.users() if u["id"] not in in_groups]
        direct = outside[:3]
        for user_id in direct:
            tenant.assign(user_id, app_role_id=APP_ROLE_USER_ID)
        default_access = outside[3] if len(outside) > 3 else None
        if default_access:
            tenant.assign(default_access, app_role_id=DEFAULT_ACCESS_ROLE_ID)
        in_scope = sorted(in_groups | set(direct))
        disabled = in_scope[-1]
        tenant.disable_user(disabled)
        existing = tenant.user(in_scope[0])
        self.goto.store.create_user(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": existing["userPrincipalName"],
                "name": {"givenName": existing["givenName"], "familyName": "Pre-existing"},
                "emails": [{"type": "work", "value": existing["mail"], "primary": True}],
                "active": True,
            }
        )
        return {
            "assigned_groups": assigned_groups,
            "direct": direct,
            "default_access": default_access,
            "disabled": disabled,
            "pre_existing": existing["id"],
            "in_scope": [u for u in in_scope if u != disabled],
            "outside": outside[4:],
            "unassigned_groups": group_ids[2:],
        }


@contextmanager
def running_world(*, goto_rate: float = 10.0, graph_page_size: int = 100) -> Iterator[World]:
    """Start everything on free loopback ports; stop everything on the way out."""
    with (
        Azurite() as azurite,
        GraphSimulator(page_size=graph_page_size) as graph,
        GoToSimulator(rate_limit_per_second=goto_rate) as goto,
    ):
        yield World(azurite, graph, goto)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set process environment variables (for in-process runs of the CLI code)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
