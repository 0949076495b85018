"""The group phase takes the GoTo accounts of users this run just linked from the run, not from
Table Storage again (an initial cycle's group phase read every user link back); accounts linked
in earlier runs are still read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from provisioning.model import Link, ObjectType
from tests.engine.conftest import Bench


def count_user_link_reads(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads = [0]
    get_links, list_links = bench.state.get_links, bench.state.list_links

    async def counted_get(
        source_ids: Iterable[str], *, object_type: ObjectType = ObjectType.USER
    ) -> dict[str, Link]:
        ids = list(source_ids)
        if object_type is ObjectType.USER:
            reads[0] += len(ids)
        return await get_links(ids, object_type=object_type)

    def counted_list(*, object_type: ObjectType = ObjectType.USER) -> Any:
        if object_type is ObjectType.USER:
            reads[0] += 1
        return list_links(object_type=object_type)

    monkeypatch.setattr(bench.state, "get_links", counted_get)
    monkeypatch.setattr(bench.state, "list_links", counted_list)
    return reads


async def test_an_initial_cycle_reads_no_user_link_for_its_groups(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = bench.push_groups()
    bench.seed(8)  # four users through group g1
    reads = count_user_link_reads(bench, monkeypatch)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"create/success": 9}  # 8 users and the group
    assert reads[0] == 1  # the first cycle's one probe for any link, nothing for the group phase
    assert groups.member_names("Group g1") == {"u04", "u05", "u06", "u07"}


async def test_accounts_linked_before_the_run_are_still_read(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = bench.push_groups()
    bench.seed(8)
    await bench.cycle()
    bench.source.add_user("u-new")
    bench.source.add_member("g1", "u-new")
    reads = count_user_link_reads(bench, monkeypatch)
    await bench.cycle()
    assert groups.member_names("Group g1") == {"u04", "u05", "u06", "u07", "u-new"}
    assert reads[0] >= 4  # the four members linked by the first run were read
