"""A page's links are read LINKS_PER_QUERY at a time, by a filter Table Storage takes (≤ 15
comparisons), and exactly the links asked for come back: on Azurite and in memory alike."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.model import Link, ObjectType
from provisioning.state.memory import compile_filter
from provisioning.state.tables import LINKS_PER_QUERY, TableState


async def test_a_page_of_ids_reads_exactly_its_links(
    state: TableState, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = [Link(f"u{i:03d}", f"g{i}", True, {"userName": f"u{i}@x.com"}, {}) for i in range(60)]
    group = Link("u005", "group-5", True, {}, {}, object_type=ObjectType.GROUP)  # same id, other type
    await state.upsert_links([*links, group])
    filters: list[str] = []
    table = state._t("links")
    query = table.query

    def counted(query_filter: str, **options: Any) -> Any:
        filters.append(query_filter)
        return query(query_filter, **options)

    monkeypatch.setattr(table, "query", counted)
    wanted = [f"u{i:03d}" for i in range(0, 60, 2)] + ["missing-1", "missing-2", "u004"]  # a repeat too
    found = await state.get_links(wanted)
    assert found == {link.source_id: link for link in links[::2]}
    assert len(filters) == -(-32 // LINKS_PER_QUERY)  # 32 distinct ids
    assert all(f.count(" eq ") <= 15 for f in filters)
    assert await state.get_links(["u005"], object_type=ObjectType.GROUP) == {"u005": group}
    assert await state.get_links([]) == {}


def test_the_memory_filter_reads_an_or_group_and_refuses_what_it_cannot() -> None:
    test = compile_filter(
        "PartitionKey eq @pk and ( RowKey eq @r0 or RowKey eq @r1 )", {"pk": "user", "r0": "a", "r1": "b"}
    )
    assert test({"PartitionKey": "user", "RowKey": "b"})
    assert not test({"PartitionKey": "user", "RowKey": "c"})
    assert not test({"PartitionKey": "group", "RowKey": "a"})
    with pytest.raises(ValueError, match="cannot evaluate"):
        compile_filter("( RowKey eq 'a' or RowKey startswith 'b' )", None)
