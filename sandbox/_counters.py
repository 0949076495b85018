"""Request counters per route, read by tests and benchmarks (e.g. "a quiet cycle sends 0 to GoTo")."""

from __future__ import annotations

import threading
from collections import Counter, deque


class RequestCounters:
    """Thread-safe counts keyed by "METHOD /route/template"; the total is their sum."""

    def __init__(self, *, log_size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._log: deque[tuple[str, str]] = deque(maxlen=log_size)  # the newest requests' queries

    def add(self, key: str, query: str = "") -> None:
        with self._lock:
            self._counts[key] += 1
            self._log.append((key, query))

    def queries(self, key: str) -> list[str]:
        """The query strings of the logged requests to `key` ("GET /v1.0/users/delta"), oldest first."""
        with self._lock:
            return [query for logged, query in self._log if logged == key]

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
            self._log.clear()
