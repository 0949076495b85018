"""Two Entra users of one run that match one GoTo account: the first takes it, the other is a
MatchingConflict, whatever order the answers come back in. Here userName is mapped from `mail`,
and two Entra users carry the same mail. No state is involved: the run's claims decide."""

from __future__ import annotations

from typing import Any

from provisioning.engine.apply import apply_operations
from provisioning.engine.plan import Action, Operation
from provisioning.mapping.attributes import AttributeMapping, UserMapping
from provisioning.model import AuditStatus
from tests.engine.fakes import FakeTarget

SHARED = "sales@contoso.example"
BY_MAIL = UserMapping(
    attributes=(
        AttributeMapping("userName", "mail", matching_precedence=1),
        AttributeMapping("displayName", "displayName"),
    )
)


def create(source_id: str, **values: Any) -> Operation:
    desired = {**values, "active": True}
    return Operation(Action.CREATE, source_id, "assigned", None, source_id, desired, (), desired)


async def test_the_account_one_user_creates_is_not_adopted_by_the_other() -> None:
    target = FakeTarget()
    ops = [
        create("u-ann", userName=SHARED, displayName="Ann"),
        create("u-bob", userName=SHARED, displayName="Bob"),
    ]

    ann, bob = await apply_operations(ops, target, BY_MAIL, concurrency=2)

    assert ann.status is AuditStatus.SUCCESS and ann.action == "create"
    assert bob.status is AuditStatus.FAILURE and bob.error_code == "MatchingConflict"
    assert "the account was taken in this run by u-ann" in (bob.error_reason or "")
    assert list(target.accounts) == [ann.target_id]
    assert target.accounts[ann.target_id or ""]["displayName"] == "Ann" and target.calls["update"] == 0


async def test_a_create_whose_answer_is_late_still_holds_its_account() -> None:
    """Ann's account exists at GoTo before her 201 comes back; Bob's 409 and lookup arrive first.
    Bob waits for the creates in flight, so Ann's claim is in before Bob's is checked."""
    target = FakeTarget(slow_answers={SHARED: 0.05})
    ops = [
        create("u-ann", userName=SHARED, displayName="Ann"),
        create("u-bob", userName=SHARED, displayName="Bob"),
    ]

    ann, bob = await apply_operations(ops, target, BY_MAIL, concurrency=2)

    assert ann.status is AuditStatus.SUCCESS and ann.action == "create"
    assert bob.status is AuditStatus.FAILURE and bob.error_code == "MatchingConflict"
    assert target.calls["update"] == 0 and target.accounts[ann.target_id or ""]["displayName"] == "Ann"


async def test_two_users_matching_one_existing_account_do_not_both_adopt_it() -> None:
    target = FakeTarget()
    held = target.add_existing(SHARED, displayName="Sales desk")
    ops = [
        create("u-ann", userName=SHARED, displayName="Ann"),
        create("u-bob", userName=SHARED, displayName="Bob"),
    ]

    outcomes = await apply_operations(ops, target, BY_MAIL, concurrency=2)

    adopted = [o for o in outcomes if o.status is AuditStatus.SUCCESS]
    refused = [o for o in outcomes if o.status is AuditStatus.FAILURE]
    assert len(adopted) == 1 and adopted[0].target_id == held and len(refused) == 1
    assert refused[0].error_code == "MatchingConflict" and refused[0].target_id is None
    other = adopted[0].operation.source_id
    assert f"both match GoTo account {held} on userName = '{SHARED}'" in (refused[0].error_reason or "")
    assert f"taken in this run by {other}" in (refused[0].error_reason or "")
    assert target.updated[held] == 1  # only the adopter's update reached the account


async def test_an_account_linked_to_an_operation_of_the_run_is_not_adopted_by_another() -> None:
    """Ann's account is in this run already (her update); Bob's relink finds it: no second owner."""
    target = FakeTarget()
    held = target.add_existing(SHARED, displayName="Ann")
    ann = Operation(
        Action.UPDATE, "u-ann", "attributes changed in Entra", held, "u-ann",
        {"displayName": "Ann B."}, (), {"userName": SHARED, "displayName": "Ann B.", "active": True},
    )  # fmt: skip
    bob = Operation(
        Action.UPDATE, "u-bob", "attributes changed in Entra", "goto-gone", "u-bob",
        {"userName": SHARED}, (), {"userName": SHARED, "displayName": "Bob", "active": True},
    )  # fmt: skip

    done_ann, done_bob = await apply_operations([ann, bob], target, BY_MAIL, concurrency=2)

    assert done_ann.status is AuditStatus.SUCCESS
    assert done_bob.error_code == "MatchingConflict" and done_bob.target_id == "goto-gone"
    assert target.accounts[held]["displayName"] == "Ann B." and target.updated[held] == 1
