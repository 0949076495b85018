"""SelectUniqueValue asks GoTo: on create, the first of its values no account holds is written; when
all are taken the user fails alone (MappingExpressionFailed) and is retried."""

from __future__ import annotations

from provisioning.engine.records import UNMAPPABLE_CODE
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from tests.engine.conftest import Bench

UNIQUE_NICKNAME = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - target: externalId
      apply: on-create
      expression: 'SelectUniqueValue(ToLower([givenName]), ToLower(Join(".", [givenName], [surname])))'
"""


def mapping() -> UserMapping:
    return parse_mapping_text(UNIQUE_NICKNAME, kind="yaml", origin="test").users


async def test_the_first_value_goto_does_not_hold_is_written(bench: Bench) -> None:
    bench.source.add_user("u1", givenName="Ann", surname="Lee")
    bench.source.assign("u1")
    bench.target.add_existing("someone@else.example", externalId="ann")  # "ann" is taken
    result = await bench.cycle(mapping=mapping())
    assert result.counts.to_dict() == {"create/success": 1}
    created = bench.target.by_name("u1@contoso.example")
    assert created is not None and created["externalId"] == "ann.lee"


async def test_every_value_taken_fails_that_user_alone(bench: Bench) -> None:
    for user_id, given in (("u1", "Ann"), ("u2", "Bob")):
        bench.source.add_user(user_id, givenName=given, surname="Lee")
        bench.source.assign(user_id)
    bench.target.add_existing("a@else.example", externalId="ann")
    bench.target.add_existing("b@else.example", externalId="ann.lee")
    result = await bench.cycle(mapping=mapping())
    assert result.counts.to_dict() == {"create/success": 1, "other/failure": 1}
    records = await bench.state.list_audit_records(result.cycle.id)
    assert [(r.source_id, r.error_code) for r in records if r.status == "failure"] == [
        ("u1", UNMAPPABLE_CODE)
    ]
    assert "u1" in await bench.state.list_retries()
