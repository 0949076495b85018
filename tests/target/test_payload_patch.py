"""PatchOp bodies from changed paths: exact wire form per dialect, and their effect per scim2-models."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import Context, EnterpriseUser, PatchOp, User

from provisioning.target import (
    ENTERPRISE_USER_SCHEMA,
    PATCH_OP_SCHEMA,
    ScimDialect,
    build_add_members,
    build_patch,
    build_remove_members,
    build_user,
    parse_user,
)

ENT = ENTERPRISE_USER_SCHEMA
WORK = 'emails[type eq "work"].value'
GOTO = ScimDialect.goto()
RFC = ScimDialect.rfc7644()
U = User[EnterpriseUser]

WIRE_CASES: list[tuple[str, ScimDialect, dict[str, Any], list[dict[str, Any]]]] = [
    ("disable, Entra casing", GOTO, {"active": False}, [{"op": "Replace", "path": "active", "value": False}]),
    ("disable, RFC casing", RFC, {"active": False}, [{"op": "replace", "path": "active", "value": False}]),
    ("None removes", GOTO, {"title": None}, [{"op": "Remove", "path": "title"}]),
    (
        "extension attribute keeps its URN path",
        RFC,
        {f"{ENT}:department": "IT", f"{ENT}:costCenter": None},
        [
            {"op": "replace", "path": f"{ENT}:department", "value": "IT"},
            {"op": "remove", "path": f"{ENT}:costCenter"},
        ],
    ),
    (
        "filtered path as Entra sends it",
        GOTO,
        {WORK: "b@contoso.com", 'phoneNumbers[type eq "mobile"].value': None},
        [
            {"op": "Replace", "path": WORK, "value": "b@contoso.com"},
            {"op": "Remove", "path": 'phoneNumbers[type eq "mobile"].value'},
        ],
    ),
    (
        "filtered path as a whole entry for RFC peers",
        RFC,
        {"name.givenName": "B", WORK: "b@contoso.com"},
        [
            {"op": "replace", "path": "name.givenName", "value": "B"},
            {"op": "remove", "path": 'emails[type eq "work"]'},
            {
                "op": "add",
                "path": "emails",
                "value": [{"type": "work", "value": "b@contoso.com", "primary": True}],
            },
        ],
    ),
    (
        "clearing a whole entry for RFC peers",
        RFC,
        {WORK: None},
        [{"op": "remove", "path": 'emails[type eq "work"]'}],
    ),
    ("nothing changed", GOTO, {}, []),
]


@pytest.mark.parametrize(
    ("dialect", "changes", "operations"), [c[1:] for c in WIRE_CASES], ids=[c[0] for c in WIRE_CASES]
)
def test_patch_wire_form(
    dialect: ScimDialect, changes: dict[str, Any], operations: list[dict[str, Any]]
) -> None:
    assert build_patch(changes, dialect=dialect) == {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


BEFORE = {
    "userName": "a@contoso.com",
    "active": True,
    "displayName": "A B",
    "name.givenName": "A",
    "name.familyName": "B",
    WORK: "a@contoso.com",
    "title": "Engineer",
    f"{ENT}:department": "IT",
}
EFFECT_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("disable", BEFORE, {"active": False}),
    ("rename", BEFORE, {"displayName": "A C", "name.familyName": "C"}),
    ("clear title and department", BEFORE, {"title": None, f"{ENT}:department": None}),
    ("new work e-mail", BEFORE, {WORK: "b@contoso.com"}),
    (
        "set department on a user without the extension",
        {"userName": "a@contoso.com"},
        {f"{ENT}:department": "HR"},
    ),
]


@pytest.mark.parametrize("dialect", [GOTO, RFC], ids=["goto", "rfc7644"])
@pytest.mark.parametrize(
    ("before", "changes"), [c[1:] for c in EFFECT_CASES], ids=[c[0] for c in EFFECT_CASES]
)
def test_patch_has_the_intended_effect(
    dialect: ScimDialect, before: dict[str, Any], changes: dict[str, Any]
) -> None:
    """scim2-models applies our PatchOp to our User; reading it back gives exactly before + changes."""
    user = U.model_validate(build_user(before), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    patch = PatchOp[U].model_validate(
        build_patch(changes, dialect=dialect), scim_ctx=Context.RESOURCE_PATCH_REQUEST
    )
    patch.patch(user)
    expected = {**before, **changes}
    assert parse_user(user.model_dump(), paths=expected) == expected


def test_entry_mode_sets_an_email_the_user_does_not_have_yet() -> None:
    """The reason for filtered_value_patch="entry": a strict peer refuses a replace that matches nothing."""
    user = U.model_validate(
        build_user({"userName": "a@contoso.com"}), scim_ctx=Context.RESOURCE_CREATION_REQUEST
    )
    patch = PatchOp[U].model_validate(build_patch({WORK: "a@contoso.com"}, dialect=RFC))
    patch.patch(user)
    assert parse_user(user.model_dump(), paths=[WORK]) == {WORK: "a@contoso.com"}


def test_add_members_is_chunked_and_deduplicated() -> None:
    dialect = ScimDialect(patch_op_case="title", members_per_request=2)
    bodies = build_add_members(["u1", "u2", "u3", "u2", "u4", "u5"], dialect=dialect)
    assert [b["Operations"] for b in bodies] == [
        [{"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}],
        [{"op": "Add", "path": "members", "value": [{"value": "u3"}, {"value": "u4"}]}],
        [{"op": "Add", "path": "members", "value": [{"value": "u5"}]}],
    ]
    assert build_add_members([], dialect=dialect) == []


def test_goto_chunks_members_at_its_group_cap() -> None:
    bodies = build_add_members([f"u{i}" for i in range(250)], dialect=GOTO)
    assert [len(b["Operations"][0]["value"]) for b in bodies] == [100, 100, 50]


def test_remove_members_value_list_form() -> None:
    bodies = build_remove_members(["u1", "u2", "u3"], dialect=ScimDialect.goto())
    assert bodies == [
        {
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [
                {
                    "op": "Remove",
                    "path": "members",
                    "value": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}],
                }
            ],
        }
    ]


def test_remove_members_path_filter_form_escapes_ids() -> None:
    dialect = ScimDialect(member_removal="path_filter", members_per_request=2)
    bodies = build_remove_members(["u1", 'odd"id\\', "u3"], dialect=dialect)
    assert [b["Operations"] for b in bodies] == [
        [
            {"op": "remove", "path": 'members[value eq "u1"]'},
            {"op": "remove", "path": 'members[value eq "odd\\"id\\\\"]'},
        ],
        [{"op": "remove", "path": 'members[value eq "u3"]'}],
    ]
