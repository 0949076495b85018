"""Audit ids come from records.new_guid (half of str(uuid.uuid4())'s CPU): they must still be
random version-4 GUIDs in the canonical form, and never repeat."""

from __future__ import annotations

import re
import uuid

from provisioning.engine.records import new_guid

CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_new_guids_are_canonical_random_version_4_guids() -> None:
    ids = [new_guid() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        assert CANONICAL.match(text), text
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text


def test_every_variant_digit_and_every_hex_digit_appear() -> None:
    ids = [new_guid() for _ in range(2_000)]
    assert {text[19] for text in ids} == set("89ab")
    assert set("".join(ids).replace("-", "")) == set("0123456789abcdef")
