"""Links and audit rows are written with orjson (compact) since issue 15; rows the stdlib's json
wrote before (spaces after separators, non-ASCII escaped) read back the same, and what is written
now parses with the stdlib too."""

from __future__ import annotations

import json

from provisioning.model import AuditRecord, AuditStatus, Link, ModifiedProperty, ObjectType
from provisioning.state.codecs import audit_from_entity, audit_to_entity, link_from_entity, link_to_entity

LINK = Link(
    "entra-1",
    "goto-1",
    True,
    {"name.givenName": "Zoë", "emails": [{"value": "z@x", "primary": True}], "active": True},
    {"displayName": "Zoë Ünal", "accountEnabled": True, "department": None},
    ObjectType.USER,
)


def test_a_link_written_by_the_stdlib_reads_as_one_written_now() -> None:
    entity = link_to_entity(LINK)
    old = {
        **entity,
        "Written": json.dumps(LINK.written, sort_keys=True),
        "Source": json.dumps(LINK.source, sort_keys=True),
    }
    assert old["Written"] != entity["Written"]  # the encoders differ in bytes ...
    assert link_from_entity(old) == link_from_entity(entity) == LINK  # ... not in what they hold
    assert json.loads(entity["Written"]) == LINK.written
    assert list(json.loads(entity["Source"])) == sorted(LINK.source)  # keys still sorted


def test_an_audit_row_written_by_the_stdlib_reads_as_one_written_now() -> None:
    record = AuditRecord(
        id="i",
        cycle_id="c",
        change_id="x",
        activity_date_time="2026-12-03T10:00:00+00:00",
        action="update",
        status=AuditStatus.SUCCESS,
        source_id="entra-1",
        modified_properties=(
            ModifiedProperty("displayName", "Zoë", "Zoë Ünal"),
            ModifiedProperty("a", None, "1"),
        ),
    )
    entity = audit_to_entity(record)
    props = json.loads(entity["modified_properties"])
    old = {**entity, "modified_properties": json.dumps(props)}
    assert audit_from_entity(old) == audit_from_entity(entity) == record
