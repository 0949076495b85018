"""The GoTo simulator's uniqueness indexes stay in step with its users and groups.

The store answers "is this userName / e-mail / group name taken?" from dicts instead of scanning
every account (so 100,000-user organizations seed in seconds); a create, rename, failed write,
delete and re-create must give exactly the 409s a scan of the data would give, no more, no fewer.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.goto.constants import PATCH_SCHEMA, USER_SCHEMA
from sandbox.goto.errors import ScimError
from sandbox.goto.store import Store


def person(user_name: str, mail: str | None = None) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "Person"},
        "emails": [{"type": "work", "value": mail or user_name, "primary": True}],
        "active": True,
    }


def replace(path: str, value: Any) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": path, "value": value}]}


def conflict(call: Any, *args: Any) -> str:
    with pytest.raises(ScimError) as caught:
        call(*args)
    assert caught.value.status == 409, caught.value.detail
    return caught.value.detail


def test_user_names_and_addresses_follow_create_rename_delete() -> None:
    store = Store()
    ann = store.create_user(person("ann@contoso.com"))
    assert "userName" in conflict(store.create_user, person("ANN@contoso.com", "other@contoso.com"))
    assert "e-mail" in conflict(store.create_user, person("x@contoso.com", "Ann@Contoso.com"))

    store.patch_user(ann["id"], replace("userName", "bea@contoso.com"))
    store.patch_user(ann["id"], replace("emails", [{"type": "work", "value": "bea@contoso.com"}]))
    assert store.find_user("ann@contoso.com") is None
    assert store.find_user("BEA@contoso.com")["id"] == ann["id"]  # type: ignore[index]
    again = store.create_user(person("ann@contoso.com"))  # the old name and address are free
    conflict(store.create_user, person("bea@contoso.com", "new@contoso.com"))
    conflict(store.create_user, person("new@contoso.com", "bea@contoso.com"))

    store.replace_user(again["id"], person("cy@contoso.com"))  # PUT moves both entries too
    store.create_user(person("ann@contoso.com"))

    store.delete_user(ann["id"])
    assert store.find_user("bea@contoso.com") is None
    store.create_user(person("bea@contoso.com"))  # re-created after the delete: no false 409
    conflict(store.create_user, person("Bea@Contoso.com", "z@contoso.com"))


def test_a_refused_write_leaves_the_index_as_it_was() -> None:
    store = Store()
    ann = store.create_user(person("ann@contoso.com"))
    bob = store.create_user(person("bob@contoso.com"))
    conflict(store.patch_user, bob["id"], replace("userName", "ann@contoso.com"))
    conflict(store.patch_user, bob["id"], replace("emails", [{"type": "work", "value": "ann@contoso.com"}]))
    assert store.find_user("bob@contoso.com")["id"] == bob["id"]  # type: ignore[index]
    assert store.find_user("ann@contoso.com")["id"] == ann["id"]  # type: ignore[index]
    conflict(store.create_user, person("bob@contoso.com", "q@contoso.com"))
    store.patch_user(bob["id"], replace("displayName", "Bob"))  # a write that keeps its own names
    store.replace_user(bob["id"], person("bob@contoso.com"))


def test_group_names_follow_create_rename_delete() -> None:
    store = Store()
    sales = store.create_group({"displayName": "Sales", "members": []})
    conflict(store.create_group, {"displayName": "SALES", "members": []})
    store.patch_group(sales["id"], replace("displayName", "Marketing"))
    assert store.find_group("sales") is None
    assert store.find_group("MARKETING")["id"] == sales["id"]  # type: ignore[index]
    other = store.create_group({"displayName": "sales", "members": []})
    conflict(store.create_group, {"displayName": "marketing", "members": []})
    conflict(store.patch_group, other["id"], replace("displayName", "Marketing"))
    assert store.find_group("Sales")["id"] == other["id"]  # type: ignore[index]
    store.delete_group(sales["id"])
    store.create_group({"displayName": "Marketing", "members": []})


def test_reset_forgets_every_name() -> None:
    store = Store()
    store.create_user(person("ann@contoso.com"))
    store.create_group({"displayName": "Sales", "members": []})
    store.reset()
    store.create_user(person("ann@contoso.com"))
    store.create_group({"displayName": "Sales", "members": []})


def test_a_page_renders_the_same_users_as_the_whole_list() -> None:
    store = Store()
    for n in range(7):
        store.create_user(person(f"u{n}@contoso.com"))
    everyone = store.list_users()
    assert store.page_users(None, 3, 2) == (len(everyone), everyone[2:4])
    total, page = store.page_users(lambda u: u["userName"].startswith("u"), 6, 100)
    assert (total, [u["userName"] for u in page]) == (7, ["u5@contoso.com", "u6@contoso.com"])
