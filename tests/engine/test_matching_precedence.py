"""Matching attributes are tried in precedence order: a null value is skipped, the first attribute
that finds an account wins, even when a later one would find another. No I/O: the fake GoTo."""

from __future__ import annotations

from typing import Any

from provisioning.engine.apply import apply_operation
from provisioning.engine.plan import Action, Operation
from provisioning.mapping.attributes import AttributeMapping, UserMapping
from provisioning.model import AuditStatus
from tests.engine.fakes import FakeTarget

# externalId is tried first, userName second
MAPPING = UserMapping(
    attributes=(
        AttributeMapping("userName", "userPrincipalName", matching_precedence=2),
        AttributeMapping("externalId", "mailNickname", matching_precedence=1),
        AttributeMapping("displayName", "displayName"),
    )
)


def create(source_id: str, **values: Any) -> Operation:
    desired = {**values, "active": True}
    return Operation(Action.CREATE, source_id, "assigned", None, source_id, desired, (), desired)


async def test_the_second_attribute_adopts_when_the_first_finds_nothing() -> None:
    target = FakeTarget()
    held = target.add_existing("pat@contoso.example", externalId="someone-else", displayName="Old")

    outcome = await apply_operation(
        create("u-pat", userName="pat@contoso.example", externalId="pat", displayName="Pat"),
        target,
        MAPPING,
    )

    assert outcome.status is AuditStatus.SUCCESS and outcome.target_id == held
    assert outcome.note == "adopted the existing GoTo account matched on userName"
    assert target.calls["find"] == 2  # externalId first (nothing), then userName
    assert target.accounts[held]["displayName"] == "Pat"


async def test_the_first_attribute_wins_over_a_later_one_that_finds_another_account() -> None:
    target = FakeTarget()
    by_name = target.add_existing("pat@contoso.example", externalId="x")
    by_external_id = target.add_existing("p.old@contoso.example", externalId="pat")

    outcome = await apply_operation(
        create("u-pat", userName="pat@contoso.example", externalId="pat", displayName="Pat"),
        target,
        MAPPING,
    )

    assert outcome.status is AuditStatus.SUCCESS and outcome.target_id == by_external_id
    assert outcome.note == "adopted the existing GoTo account matched on externalId"
    assert target.calls["find"] == 1  # userName was never asked
    assert target.updated[by_name] == 0 and target.accounts[by_name]["externalId"] == "x"


async def test_a_matching_attribute_without_a_value_is_skipped() -> None:
    target = FakeTarget()
    held = target.add_existing("pat@contoso.example")

    outcome = await apply_operation(
        create("u-pat", userName="pat@contoso.example", externalId=None, displayName="Pat"),
        target,
        MAPPING,
    )

    assert outcome.status is AuditStatus.SUCCESS and outcome.target_id == held
    assert outcome.note == "adopted the existing GoTo account matched on userName"
    assert target.calls["find"] == 1  # nothing is looked up by a null externalId
