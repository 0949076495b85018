"""A transaction's entities are serialised as the SDK serialises them (`_add_entity_properties`):
the same properties, `@odata.type` tags and order for every type an entity may hold, and the same
TypeError for what the SDK refuses, though the common types no longer go through the SDK."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.data.tables import EdmType
from azure.data.tables._serialize import _add_entity_properties

from provisioning.state.batch import entity_properties


class Named(str, enum.Enum):  # noqa: UP042 - the mixin, not StrEnum: str() differs
    A = "a"


class Numbered(enum.Enum):
    B = 2


ENTITY: dict[str, Any] = {
    "PartitionKey": "p",
    "RowKey": "r",
    "text": "x\u00e9\u2603",
    "empty": "",
    "yes": True,
    "no": False,
    "small": 5,
    "lowest": -(2**31),
    "highest": 2**31 - 1,
    "float": 1.5,
    "nan": float("nan"),
    "when": datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    "guid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "bytes": b"ab",
    "none": None,
    "str_enum": Named.A,
    "enum": Numbered.B,
    "typed": ("5", EdmType.INT64),
    "typed_none": (None, EdmType.STRING),
}


def test_same_properties_in_the_same_order() -> None:
    ours, sdk = entity_properties(ENTITY), _add_entity_properties(ENTITY)
    assert list(ours) == list(sdk)
    assert json.dumps(ours) == json.dumps(sdk)


@pytest.mark.parametrize(
    "value", [2**31, -(2**31) - 1, object(), [1]], ids=["over", "under", "object", "list"]
)
def test_the_same_refusal(value: object) -> None:
    with pytest.raises(TypeError) as sdk:
        _add_entity_properties({"x": value})
    with pytest.raises(TypeError) as ours:
        entity_properties({"x": value})
    assert str(ours.value) == str(sdk.value)
