"""Request counters per route, read by tests and benchmarks (e.g. "a quiet cycle sends 0 to GoTo")."""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounters:
    """Thread-safe counts keyed by "METHOD /route/template"; the total is their sum."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self, prefix: str = "") -> int:
        with self._lock:
            return sum(
                n for k, n in self._counts.items() if k.split(" ", 1)[-1].startswith(prefix) or not prefix
            )

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
