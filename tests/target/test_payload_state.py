"""Bodies built from the account's known state (pure: no I/O). A missing multi-valued entry is
added, an existing one replaced; the filter-free form replaces the attribute merged from a read."""

from __future__ import annotations

from provisioning.target import PATCH_OP_SCHEMA, ScimDialect
from provisioning.target.payload import apply_values, build_patch, build_whole_attribute_patch, has_filtered

WORK = 'emails[type eq "work"].value'
GOTO = ScimDialect.goto()


def ops(body: dict[str, object]) -> object:
    assert body["schemas"] == [PATCH_OP_SCHEMA]
    return body["Operations"]


def test_a_missing_entry_is_added_whole() -> None:
    body = build_patch({WORK: "a@contoso.com", "displayName": "A"}, dialect=GOTO, current={WORK: None})
    assert ops(body) == [
        {"op": "Replace", "path": "displayName", "value": "A"},
        {
            "op": "Add",
            "path": "emails",
            "value": [{"type": "work", "value": "a@contoso.com", "primary": True}],
        },
    ]


def test_an_existing_entry_is_replaced_in_place_and_cleared_by_remove() -> None:
    assert ops(build_patch({WORK: "b@contoso.com"}, dialect=GOTO, current={WORK: "a@contoso.com"})) == [
        {"op": "Replace", "path": WORK, "value": "b@contoso.com"}
    ]
    assert ops(build_patch({WORK: None}, dialect=GOTO, current={WORK: "a@contoso.com"})) == [
        {"op": "Remove", "path": WORK}
    ]
    assert ops(build_patch({WORK: None}, dialect=GOTO, current={WORK: None})) == []  # nothing to clear


def test_without_state_the_dialects_blind_form_is_kept() -> None:
    assert ops(build_patch({WORK: "a@contoso.com"}, dialect=GOTO)) == [
        {"op": "Replace", "path": WORK, "value": "a@contoso.com"}
    ]


def test_the_whole_attribute_keeps_entries_we_do_not_manage() -> None:
    read = {"id": "1", "emails": [{"type": "home", "value": "h@example.org", "primary": True}]}
    body = build_whole_attribute_patch(read, {WORK: "w@contoso.com", "active": False}, dialect=GOTO)
    assert ops(body) == [
        {"op": "Replace", "path": "active", "value": False},
        {
            "op": "Replace",
            "path": "emails",
            "value": [
                {"type": "home", "value": "h@example.org", "primary": True},
                {"type": "work", "value": "w@contoso.com"},
            ],
        },
    ]
    cleared = build_whole_attribute_patch(
        {"emails": [{"type": "work", "value": "w@contoso.com"}]}, {WORK: None}
    )
    assert ops(cleared) == [{"op": "Remove", "path": "emails"}]  # the only entry went: no empty list


def test_apply_values_writes_into_a_copy() -> None:
    read = {"id": "1", "name": {"givenName": "A"}, "emails": [{"type": "work", "value": "old@contoso.com"}]}
    merged = apply_values(
        read,
        {
            "name.familyName": "B",
            WORK: "new@contoso.com",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "IT",
            "title": None,
        },
    )
    assert merged["name"] == {"givenName": "A", "familyName": "B"}
    assert merged["emails"] == [{"type": "work", "value": "new@contoso.com"}]
    assert merged["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == {"department": "IT"}
    assert read["emails"] == [{"type": "work", "value": "old@contoso.com"}]  # the read is left alone
    assert has_filtered([WORK]) and not has_filtered(["name.familyName", "active"])
