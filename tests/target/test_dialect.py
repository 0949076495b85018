"""Dialect presets and their guards."""

from __future__ import annotations

import dataclasses

import pytest

from provisioning.target import ScimDialect


def test_presets_differ_where_goto_is_known_to_differ() -> None:
    goto, rfc = ScimDialect.goto(), ScimDialect.rfc7644()
    differing = {
        f.name for f in dataclasses.fields(ScimDialect) if getattr(goto, f.name) != getattr(rfc, f.name)
    }
    assert differing == {
        "name",
        "patch_op_case",
        "patch_returns_body",
        "list_keys",
        "member_removal",
        "filtered_value_patch",
        "me_path",
        "max_page_size",
    }
    assert (goto.op("replace"), rfc.op("replace")) == ("Replace", "replace")


@pytest.mark.parametrize("name", ["goto", "rfc7644"])
def test_named_matches_the_setting_values(name: str) -> None:
    assert ScimDialect.named(name).name == name


def test_named_refuses_unknown_dialects() -> None:
    with pytest.raises(ValueError, match="unknown SCIM dialect"):
        ScimDialect.named("scim1")


@pytest.mark.parametrize(
    "options", [{"members_per_request": 0}, {"max_page_size": 0}, {"list_keys": ()}], ids=str
)
def test_nonsense_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScimDialect(**options)  # type: ignore[arg-type]


def test_dialects_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ScimDialect.goto().patch_op_case = "lower"  # type: ignore[misc]
