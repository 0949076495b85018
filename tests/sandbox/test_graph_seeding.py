"""Seeding is a pure function of the seed: same ids, names and UPNs every time."""

from __future__ import annotations

import re

from sandbox.graph import TENANT_DOMAIN, Tenant


def test_same_seed_same_tenant_other_seed_other_tenant() -> None:
    one, two, other = Tenant(), Tenant(), Tenant()
    one.seed(300, 12, seed=42)
    two.seed(300, 12, seed=42)
    other.seed(300, 12, seed=43)

    assert one.users() == two.users()
    assert one.groups() == two.groups()
    assert [one.members(g["id"]) for g in one.groups()] == [two.members(g["id"]) for g in two.groups()]
    assert {u["id"] for u in one.users()}.isdisjoint({u["id"] for u in other.users()})

    users = one.users()
    assert len(users) == 300 and len(one.groups()) == 12
    assert len({u["userPrincipalName"].lower() for u in users}) == 300
    for n, user in enumerate(users, start=1):
        assert re.fullmatch(rf"[a-z]+\.[a-z]+{n:04d}@{re.escape(TENANT_DOMAIN)}", user["userPrincipalName"])
        assert user["displayName"] == f"{user['givenName']} {user['surname']}"
        assert user["mail"] == user["userPrincipalName"]
        assert user["mailNickname"] == user["userPrincipalName"].split("@")[0]
        assert user["accountEnabled"] is True
        assert user["employeeId"] == f"E{n:06d}"
        assert all(user[k] for k in ("jobTitle", "department", "mobilePhone"))
        assert 1 <= len(one.member_of(user["id"])) <= 3
    assert one.assignments() == []


def test_reseeding_replaces_the_directory() -> None:
    tenant = Tenant()
    tenant.seed(5, 1, seed=1)
    tenant.create_user(givenName="Extra", surname="Person")
    tenant.seed(5, 1, seed=1)
    fresh = Tenant()
    fresh.seed(5, 1, seed=1)
    assert tenant.users() == fresh.users()
