"""An account that the state links to one Entra user is never adopted by another: a 409 on create
or a relink that finds it is a recorded MatchingConflict, and nothing is written to the account.

The state is real (memory and Azurite, through the Bench) and written by real cycles; the second
user's operation is applied with `apply_operations(..., owners=bench.state)`, which is how the
cycle hands the state to the engine.
"""

from __future__ import annotations

from typing import Any

from provisioning.engine.apply import Outcome, apply_operations
from provisioning.engine.plan import Action, Change, Operation
from provisioning.mapping.attributes import DEFAULT_USER_MAPPING
from provisioning.model import AuditStatus
from tests.engine.conftest import Bench

PAT = "pat@contoso.example"


def _values(bench: Bench, user_id: str) -> dict[str, Any]:
    return {**DEFAULT_USER_MAPPING.map_user(bench.source.users[user_id], creating=True), "active": True}


def _create(bench: Bench, user_id: str) -> Operation:
    values = _values(bench, user_id)
    changes = tuple(Change(p, None, v) for p, v in values.items())
    return Operation(Action.CREATE, user_id, "assigned", None, user_id, values, changes, values)


async def _apply(bench: Bench, op: Operation) -> Outcome:
    [outcome] = await apply_operations(
        [op], bench.target, DEFAULT_USER_MAPPING, concurrency=4, owners=bench.state
    )
    return outcome


async def _pat_left_with_a_disabled_account(bench: Bench) -> str:
    """Pat is provisioned, then unassigned: the account stays (disabled) and linked to u-pat."""
    bench.source.add_user("u-pat", upn=PAT)
    bench.source.add_user("u-keep")  # someone stays assigned (else the empty-source guard holds all)
    bench.source.assign("u-pat")
    bench.source.assign("u-keep")
    await bench.cycle()
    bench.source.unassign("u-pat")
    await bench.cycle()
    link = await bench.state.get_link("u-pat")
    assert link is not None and not link.active
    return link.target_id


def _assert_conflict(outcome: Outcome, *, user: str, other: str, account: str) -> None:
    assert outcome.status is AuditStatus.FAILURE and outcome.error_code == "MatchingConflict"
    assert outcome.target_id == outcome.operation.target_id  # never the other user's account
    reason = outcome.error_reason or ""
    assert f"Entra users {user} and {other} both match GoTo account {account}" in reason
    assert f"on userName = '{PAT}'" in reason and f"is deactivated and still linked to {other}" in reason
    advice = outcome.recommended_action or ""
    assert f"share the matching value userName = '{PAT}'" in advice
    assert f"fix one of them in Entra ID ({user} or {other})" in advice
    assert f"or delete or rename {other}'s deactivated account {account} in GoTo Admin Center" in advice


async def test_a_409_on_an_account_linked_to_another_user_is_a_conflict_until_one_changes(
    bench: Bench,
) -> None:
    account = await _pat_left_with_a_disabled_account(bench)
    before, updates = dict(bench.target.accounts[account]), bench.target.updated[account]
    bench.source.add_user("u-newpat", upn=PAT, displayName="Pat Newcomer")  # the UPN is reused

    first = await _apply(bench, _create(bench, "u-newpat"))
    _assert_conflict(first, user="u-newpat", other="u-pat", account=account)
    assert bench.target.updated[account] == updates and bench.target.accounts[account] == before

    again = await _apply(bench, _create(bench, "u-newpat"))  # retried: still the same conflict
    _assert_conflict(again, user="u-newpat", other="u-pat", account=account)

    bench.source.update_user("u-newpat", userPrincipalName="pat.newcomer@contoso.example")
    fixed = await _apply(bench, _create(bench, "u-newpat"))
    assert fixed.status is AuditStatus.SUCCESS and fixed.action == "create"
    assert fixed.target_id not in (None, account)
    assert bench.target.updated[account] == updates and bench.target.accounts[account] == before


async def test_a_relink_that_finds_another_users_account_is_a_conflict(bench: Bench) -> None:
    account = await _pat_left_with_a_disabled_account(bench)
    before, updates = dict(bench.target.accounts[account]), bench.target.updated[account]
    bench.source.add_user("u-bob", upn="bob@contoso.example")
    bench.source.assign("u-bob")
    await bench.cycle()
    bob = await bench.state.get_link("u-bob")
    assert bob is not None
    del bench.target.accounts[bob.target_id]  # removed in GoTo Admin Center
    bench.source.update_user("u-bob", userPrincipalName=PAT)  # and renamed to Pat's old name in Entra
    values = _values(bench, "u-bob")
    changes = tuple(Change(p, bob.written.get(p), v) for p, v in values.items() if bob.written.get(p) != v)
    update = Operation(
        Action.UPDATE, "u-bob", "attributes changed in Entra", bob.target_id, "u-bob",
        {c.path: c.new for c in changes}, changes, values,
    )  # fmt: skip

    outcome = await _apply(bench, update)

    _assert_conflict(outcome, user="u-bob", other="u-pat", account=account)
    assert outcome.action == "update" and outcome.target_id == bob.target_id
    assert bench.target.updated[account] == updates and bench.target.accounts[account] == before


async def test_an_account_linked_to_the_same_user_is_still_adopted(bench: Bench) -> None:
    """A crash after the link was written but before the audit (or a replay): its own account."""
    account = await _pat_left_with_a_disabled_account(bench)
    outcome = await _apply(bench, _create(bench, "u-pat"))
    assert outcome.status is AuditStatus.SUCCESS and outcome.target_id == account
    assert bench.target.accounts[account]["active"] is True
