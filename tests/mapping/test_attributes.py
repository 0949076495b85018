"""The default mapping is data: $select and matching order derive from its rows."""

from __future__ import annotations

import pytest

from provisioning.mapping.attributes import (
    DEFAULT_USER_MAPPING,
    WORK_EMAIL,
    ApplyWhen,
    AttributeMapping,
    UserMapping,
)


def test_graph_select_is_derived_from_the_mapping() -> None:
    assert DEFAULT_USER_MAPPING.graph_select() == [
        "id",
        "userPrincipalName",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "accountEnabled",
    ]


def test_matching_attribute_is_username_from_upn() -> None:
    assert [(a.target, a.source) for a in DEFAULT_USER_MAPPING.matching] == [
        ("userName", "userPrincipalName")
    ]


def test_on_create_rows_apply_only_when_creating() -> None:
    mapping = UserMapping(
        (
            AttributeMapping("userName", "userPrincipalName", matching_precedence=1),
            AttributeMapping("title", "jobTitle", ApplyWhen.ON_CREATE),
        )
    )
    source = {"userPrincipalName": "a@contoso.com", "jobTitle": "Chef"}
    assert mapping.map_user(source, creating=True) == {"userName": "a@contoso.com", "title": "Chef"}
    assert mapping.map_user(source, creating=False) == {"userName": "a@contoso.com"}


def test_empty_string_maps_to_none() -> None:
    values = DEFAULT_USER_MAPPING.map_user({"mail": ""}, creating=True)
    assert values[WORK_EMAIL] is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            (AttributeMapping("userName", "a", matching_precedence=1), AttributeMapping("userName", "b")),
            "more than once",
        ),
        ((AttributeMapping("userName", "a"),), "matching attribute"),
        (
            (
                AttributeMapping("userName", "a", matching_precedence=1),
                AttributeMapping("externalId", "b", matching_precedence=1),
            ),
            "unique",
        ),
    ],
)
def test_invalid_mappings_are_refused(rows: tuple[AttributeMapping, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UserMapping(rows)


@pytest.mark.parametrize(
    "sources",
    [{}, {"source": "a", "constant": "x"}, {"constant": "x", "expression": "[a]"}],
    ids=["none", "source and constant", "constant and expression"],
)
def test_a_row_needs_exactly_one_source(sources: dict[str, str]) -> None:
    source = sources.pop("source", None)
    with pytest.raises(ValueError, match="exactly one of source, constant, expression"):
        AttributeMapping("title", source, **sources)  # type: ignore[arg-type]


def test_apply_values_are_the_file_format_words() -> None:
    assert [a.value for a in ApplyWhen] == ["always", "on-create"]
