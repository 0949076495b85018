"""Capabilities survive a round trip through plain JSON, so the engine can persist what was learned."""

from __future__ import annotations

import json

import pytest

from provisioning.target import Capabilities


def test_round_trip_through_json() -> None:
    learned = Capabilities(
        discovered=True,
        config_path="ServiceProviderConfigs",
        patch=False,
        filtered_paths="existing",
        member_removal="path_filter",
        patch_op_case="lower",
    )
    assert Capabilities.from_dict(json.loads(json.dumps(learned.to_dict()))) == learned
    assert Capabilities.from_dict(None) == Capabilities() == Capabilities.from_dict({})


def test_unknown_keys_are_ignored() -> None:
    assert Capabilities.from_dict({"patch": False, "from_a_newer_version": 1}) == Capabilities(patch=False)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("patch", "no"),
        ("discovered", 1),
        ("filtered_paths", "sometimes"),
        ("member_removal", 3),
        ("config_path", 5),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"capabilities.{key}"):
        Capabilities.from_dict({key: value})
