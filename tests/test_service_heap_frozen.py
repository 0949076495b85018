"""The process's start-up heap (imports, the first clients) is frozen at the first open_services:
full collections during a cycle then leave it out; later opens freeze nothing more (what cycles
make stays collectable). The same first open raises the young generation's threshold (a page's
objects live until it is on record) and leaves the older generations' as they were."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import provisioning.service as service


class Stop(Exception):
    pass


async def test_the_first_open_freezes_the_heap_and_later_ones_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_heap_frozen", False)
    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(len(frozen)))
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *t: thresholds.append(t))
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))

    async def clients(*args: Any) -> None:
        return None

    def tables(*args: Any) -> Any:
        raise Stop  # the clients are built: far enough

    monkeypatch.setattr(service, "_open_clients", clients)
    monkeypatch.setattr(service, "_tables", tables)
    for _ in range(3):
        with pytest.raises(Stop):
            async with service.open_services(object()):  # type: ignore[arg-type]
                pass
    assert frozen == [0]
    assert thresholds == [(service.GC_YOUNG_THRESHOLD, 10, 10)] and service.GC_YOUNG_THRESHOLD > 700
