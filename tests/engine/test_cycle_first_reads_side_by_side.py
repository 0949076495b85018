"""The first page with users waits for the assigned groups' members and for its own links at once,
not one after the other (on Azurite, 10 groups of 1,000 members and a page's links were 0.5 s and
0.16 s before an incremental cycle's first GoTo request)."""

from __future__ import annotations

import pytest

from tests.engine.conftest import Bench
from tests.engine.spans import Spans


async def test_members_and_the_first_pages_links_are_read_together(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(8)
    await bench.cycle()
    bench.source.update_user(ids[0], displayName="Renamed")
    spans = Spans(pause=0.2)
    monkeypatch.setattr(bench.state, "list_members", spans.slow("members", bench.state.list_members))
    monkeypatch.setattr(bench.state, "get_links", spans.slow("links", bench.state.get_links))
    result = await bench.cycle()
    assert result.counts.to_dict() == {"update/success": 1}
    first_links, *_ = spans.spans["links"]
    assert spans.overlaps(first_links, "members")
