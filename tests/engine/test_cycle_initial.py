"""An initial cycle against fakes: every in-scope user created once, others skipped or left alone,
an existing account adopted (not duplicated), links and watermarks recorded."""

from __future__ import annotations

from tests.engine.conftest import Bench
from tests.engine.fakes import DEFAULT_ACCESS


async def test_creates_each_in_scope_user_once_and_moves_the_watermarks(bench: Bench) -> None:
    ids = bench.seed(8)
    result = await bench.cycle()
    assert result.cycle.status == "succeeded" and result.cycle.kind == "initial"
    assert result.counts.to_dict() == {"create/success": 8}
    assert bench.target.active_names() == {f"{u}@contoso.example" for u in ids}
    assert await bench.state.get_watermark("users") == f"v{bench.source.version}"
    assert await bench.state.get_watermark("groups") is not None
    links = {link.source_id async for link in bench.state.list_links()}
    assert links == set(ids)


async def test_default_access_and_disabled_users_are_skipped_with_a_reason(bench: Bench) -> None:
    bench.source.add_user("ann")
    bench.source.assign("ann", role=DEFAULT_ACCESS)
    bench.source.add_user("bob", accountEnabled=False)
    bench.source.assign("bob")
    result = await bench.cycle()
    assert result.counts.to_dict() == {"other/skipped": 2}
    assert bench.target.accounts == {}


async def test_an_existing_account_is_adopted_not_duplicated(bench: Bench) -> None:
    bench.source.add_user("ann", displayName="Ann New")
    bench.source.assign("ann")
    existing = bench.target.add_existing("ANN@contoso.example", displayName="Old")
    result = await bench.cycle()
    assert result.counts.to_dict() == {"update/success": 1}
    assert list(bench.target.accounts) == [existing]
    assert bench.target.accounts[existing]["displayName"] == "Ann New"
    link = await bench.state.get_link("ann")
    assert link is not None and link.target_id == existing


async def test_a_refused_user_is_a_failure_retried_later_and_the_others_go_on(bench: Bench) -> None:
    bench.seed(4)
    bench.target.refuse.add("u01@contoso.example")
    result = await bench.cycle()
    assert result.cycle.status == "finished-with-failures" and result.failures == 1
    assert result.counts.to_dict() == {"create/failure": 1, "create/success": 3}
    assert set(await bench.state.list_retries()) == {"u01"}
    bench.target.refuse.clear()
    again = await bench.cycle()  # the retry ladder's first rung is the next cycle
    assert again.counts.to_dict() == {"create/success": 1} and await bench.state.list_retries() == {}
