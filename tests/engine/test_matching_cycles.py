"""Whole cycles (memory and Azurite): two Entra users matching one GoTo account are a recorded
MatchingConflict (audit record with code, reason and advice, the retry ladder), never an
overwrite; the next cycle retries and still conflicts until one user changes, then succeeds.

Here userName is mapped from `mail` and two Entra users carry the same mail (a realistic clash:
Entra keeps UPNs unique, not `mail`)."""

from __future__ import annotations

import pytest

from provisioning.mapping.attributes import AttributeMapping, UserMapping
from provisioning.model import AuditStatus
from tests.engine.conftest import Bench

SHARED = "sales@contoso.example"
BY_MAIL = UserMapping(
    attributes=(
        AttributeMapping("userName", "mail", matching_precedence=1),
        AttributeMapping("displayName", "displayName"),
        AttributeMapping("externalId", "mailNickname"),
    )
)


def _two_users_sharing_a_mail(bench: Bench) -> None:
    bench.source.add_user("u-ann", mail=SHARED, displayName="Ann")
    bench.source.add_user("u-bob", mail=SHARED, displayName="Bob")
    bench.source.assign("u-ann")
    bench.source.assign("u-bob")


async def test_two_users_of_one_page_matching_one_account_are_a_recorded_conflict(bench: Bench) -> None:
    _two_users_sharing_a_mail(bench)

    result = await bench.cycle(mapping=BY_MAIL)

    assert result.counts.to_dict() == {"create/success": 1, "create/failure": 1}
    [account] = bench.target.accounts
    [record] = result.failed_records
    winner = (await bench.state.get_link_by_target(account)) or pytest.fail("the account has no link")
    loser = "u-bob" if winner.source_id == "u-ann" else "u-ann"
    assert record.source_id == loser and record.status is AuditStatus.FAILURE
    assert record.error_code == "MatchingConflict" and record.target_id is None
    assert f"both match GoTo account {account} on userName = '{SHARED}'" in (record.error_reason or "")
    assert "fix one of them in Entra ID" in (record.recommended_action or "")
    assert bench.target.updated[account] == 0
    assert await bench.state.get_link(loser) is None
    assert set(await bench.state.list_retries()) == {loser}


async def test_the_next_cycles_retry_and_still_conflict_until_one_user_changes(bench: Bench) -> None:
    _two_users_sharing_a_mail(bench)
    await bench.cycle(mapping=BY_MAIL)
    [account] = bench.target.accounts
    before = dict(bench.target.accounts[account])
    winner = (await bench.state.get_link_by_target(account)) or pytest.fail("the account has no link")
    loser = "u-bob" if winner.source_id == "u-ann" else "u-ann"

    again = await bench.cycle(mapping=BY_MAIL)  # the ladder's first rung: the next cycle

    assert again.counts.to_dict() == {"create/failure": 1}
    [record] = again.failed_records
    assert record.source_id == loser and record.error_code == "MatchingConflict"
    assert f"linked to {winner.source_id}" in (record.error_reason or "")
    assert bench.target.accounts == {account: before} and bench.target.updated[account] == 0
    assert (await bench.state.list_retries())[loser]["Attempts"] == 2

    bench.source.update_user(loser, mail=f"{loser}@contoso.example")  # one of them is fixed in Entra
    fixed = await bench.cycle(mapping=BY_MAIL)

    assert fixed.counts.to_dict() == {"create/success": 1}
    assert bench.target.accounts[account] == before and await bench.state.list_retries() == {}
    link = await bench.state.get_link(loser)
    assert link is not None and link.target_id != account


async def test_a_relink_onto_another_users_account_is_a_conflict_in_a_cycle(bench: Bench) -> None:
    """Bob's account was removed in GoTo and his mail now is Ann's: his relink finds Ann's account."""
    bench.source.add_user("u-ann", mail=SHARED, displayName="Ann")
    bench.source.add_user("u-bob", displayName="Bob")
    bench.source.assign("u-ann")
    bench.source.assign("u-bob")
    await bench.cycle(mapping=BY_MAIL)
    ann, bob = await bench.state.get_link("u-ann"), await bench.state.get_link("u-bob")
    assert ann is not None and bob is not None
    before = dict(bench.target.accounts[ann.target_id])
    del bench.target.accounts[bob.target_id]
    bench.source.update_user("u-bob", mail=SHARED)

    result = await bench.cycle(mapping=BY_MAIL)

    assert result.counts.to_dict() == {"update/failure": 1}
    [record] = result.failed_records
    assert record.source_id == "u-bob" and record.error_code == "MatchingConflict"
    assert record.target_id == bob.target_id and "linked to u-ann" in (record.error_reason or "")
    assert bench.target.accounts[ann.target_id] == before
    assert await bench.state.get_link("u-bob") == bob  # still pointing at his own (gone) account
