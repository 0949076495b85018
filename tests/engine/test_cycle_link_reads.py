"""Links are read only when there can be any: a first cycle on empty state reads none per user
(one probe instead of one read per user); any later cycle reads the links of each page's users."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from provisioning.engine.admin import restart
from provisioning.model import Link, ObjectType
from tests.engine.conftest import Bench


def count_link_reads(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads = [0]
    real = bench.state.get_links

    async def counted(
        source_ids: Iterable[str], *, object_type: ObjectType = ObjectType.USER
    ) -> dict[str, Link]:
        ids = list(source_ids)
        reads[0] += len(ids)
        return await real(ids, object_type=object_type)

    monkeypatch.setattr(bench.state, "get_links", counted)
    return reads


async def test_a_first_cycle_on_empty_state_reads_no_link(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.seed(8)
    reads = count_link_reads(bench, monkeypatch)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"create/success": 8} and reads[0] == 0


async def test_a_full_cycle_after_a_restart_reads_the_links_and_adopts(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.seed(8)
    await bench.cycle()
    await restart(bench.engine(), reset_links=False)
    reads = count_link_reads(bench, monkeypatch)
    again = await bench.cycle()
    assert again.cycle.kind == "initial" and again.counts.to_dict() == {}  # linked: nothing to write
    assert reads[0] >= 8
