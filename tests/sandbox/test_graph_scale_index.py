"""The Graph simulator's userPrincipalName index stays in step with the directory.

Seeding no longer scans every user per insert; uniqueness (among users not hard-deleted, case
ignored) and `/users/{upn}` must answer as a scan would through create, rename, soft delete,
restore and hard delete.
"""

from __future__ import annotations

import pytest

from sandbox.graph.tenant import Tenant


def test_upns_follow_create_rename_and_deletes() -> None:
    tenant = Tenant()
    ann = tenant.create_user(userPrincipalName="ann@contoso.com")["id"]
    with pytest.raises(ValueError, match="already used"):
        tenant.create_user(userPrincipalName="ANN@contoso.com")

    tenant.update_user(ann, userPrincipalName="bea@contoso.com")
    assert tenant.find_user("ann@contoso.com") is None
    assert tenant.find_user("Bea@Contoso.com")["id"] == ann  # type: ignore[index]
    other = tenant.create_user(userPrincipalName="ann@contoso.com")["id"]  # the old name is free
    with pytest.raises(ValueError, match="already used"):
        tenant.update_user(other, userPrincipalName="bea@contoso.com")
    assert tenant.find_user("ann@contoso.com")["id"] == other  # type: ignore[index]

    tenant.soft_delete_user(ann)  # in the recycle bin it keeps its name
    with pytest.raises(ValueError, match="already used"):
        tenant.create_user(userPrincipalName="bea@contoso.com")
    tenant.restore_user(ann)
    tenant.hard_delete_user(ann)  # gone for good: the name is free again
    again = tenant.create_user(userPrincipalName="bea@contoso.com")["id"]
    assert tenant.find_user("bea@contoso.com")["id"] == again  # type: ignore[index]


def test_seeding_replaces_the_index_with_the_seeded_names() -> None:
    tenant = Tenant()
    tenant.create_user(userPrincipalName="ann@contoso.com")
    tenant.seed(30, 3, seed=1)
    tenant.create_user(userPrincipalName="ann@contoso.com")
    first = tenant.users()[0]
    assert tenant.find_user(first["userPrincipalName"].upper())["id"] == first["id"]  # type: ignore[index]
    with pytest.raises(ValueError, match="already used"):
        tenant.create_user(userPrincipalName=first["userPrincipalName"])
