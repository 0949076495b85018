"""Graph entries as the engine sees them: a user's attributes never carry `id` or annotations, a
member's type comes from @odata.type, and an entry without an id is a SourceError."""

from __future__ import annotations

import pytest

from provisioning.errors import SourceError
from provisioning.model import MemberChange, UserChange
from provisioning.source.graph import _member, _user


def test_a_plain_user_entry_is_its_attributes_without_id() -> None:
    raw = {"id": "u1", "displayName": "Ann", "mail": None}
    assert _user(raw, "users delta") == UserChange("u1", {"displayName": "Ann", "mail": None})
    assert raw == {"id": "u1", "displayName": "Ann", "mail": None}  # the page is left as read


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"id": "u1", "@removed": {"reason": "deleted"}}, UserChange("u1", {}, "deleted")),
        ({"id": "u1", "@removed": {"reason": "changed"}}, UserChange("u1", {}, "changed")),
        ({"id": "u1", "@removed": {}}, UserChange("u1", {}, "changed")),
        (
            {"id": "u1", "@odata.type": "#microsoft.graph.user", "mail": "a@b"},
            UserChange("u1", {"mail": "a@b"}),
        ),
        ({"id": "u1", "manager@delta": [], "jobTitle": "x"}, UserChange("u1", {"jobTitle": "x"})),
    ],
)
def test_annotations_are_left_out(raw: dict[str, object], expected: UserChange) -> None:
    assert _user(raw, "users delta") == expected


@pytest.mark.parametrize("raw", [{"displayName": "no id"}, {"id": ""}, {"id": 7}, ["not", "an object"]])
def test_a_user_entry_without_id_fails(raw: object) -> None:
    with pytest.raises(SourceError, match="users delta"):
        _user(raw, "users delta")


@pytest.mark.parametrize(
    ("odata_type", "member_type"),
    [
        ("#microsoft.graph.user", "user"),
        ("#microsoft.graph.group", "group"),
        ("#microsoft.graph.orgContact", "orgContact"),
        ("", "directoryObject"),
        (None, "directoryObject"),
        (5, "directoryObject"),
    ],
)
def test_a_member_type_comes_from_odata_type(odata_type: object, member_type: str) -> None:
    raw = {"id": "m1"} if odata_type is None else {"id": "m1", "@odata.type": odata_type}
    assert _member(raw, "members") == MemberChange("m1", member_type)


def test_a_removed_member_and_one_without_id() -> None:
    assert _member({"id": "m1", "@removed": {}}, "members") == MemberChange("m1", "directoryObject", True)
    with pytest.raises(SourceError, match="lacks 'id'"):
        _member({"@odata.type": "#microsoft.graph.user"}, "members")
