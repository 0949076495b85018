"""GoTo's documented limit (10 requests/second per API, 429 beyond) as a continuous token bucket."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Capacity = the rate (at least 1, so rates below 1/s still let single requests through)."""

    def __init__(self, rate_per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = 0.0
        self._capacity = 0.0
        self._tokens = 0.0
        self._stamp = clock()
        self.set_rate(rate_per_second)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate_per_second: float) -> None:
        """Also refills the bucket: a reconfigured limit starts from a clean slate."""
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        with self._lock:
            self._rate = float(rate_per_second)
            self._capacity = max(self._rate, 1.0)
            self._tokens = self._capacity
            self._stamp = self._clock()

    def take(self) -> float | None:
        """Take one token. None when granted, else the seconds until one will be available."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / self._rate


def retry_after_value(wait_seconds: float) -> str:
    """Retry-After carries whole seconds (RFC 9110); round up so a client that obeys it succeeds."""
    return str(max(1, math.ceil(wait_seconds)))
