"""Pace requests under GoTo's rate limit and retry what is worth retrying, then give up as TransientError.

Pacing: aiolimiter's leaky bucket with a small capacity (`burst`), so a steady stream approaches
the rate without exceeding it and never bursts into the peer's 429s (GoTo: 10 requests/s per API).
At a high rate the capacity is BURST_SECONDS' worth of requests and the bucket drains that much
slower: a request the event loop wakes a little late no longer loses its slot for good (with a
capacity of 1 at 200 req/s, 2 ms of lateness per wake cost a quarter of the rate), and any window
of t seconds still holds at most rate x t + 1 requests, as with a capacity of 1.
Retrying: 429, 500/502/503/504, timeouts and dropped connections; waits are jittered
exponential backoff, or the peer's Retry-After (seconds or HTTP date) when it sends one, never more
than `max_delay`. Each attempt takes its own token from the bucket. 4xx other than 429 are final.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from aiolimiter import AsyncLimiter

from provisioning.errors import TargetError
from provisioning.target.responses import RETRYABLE_STATUSES, error_for, transport_error

log = logging.getLogger(__name__)

# Worth another try: the peer was slow or the connection broke. UnsupportedProtocol and
# LocalProtocolError are the caller's bugs (a bad base URL, a bad header) and would fail again.
RETRYABLE_EXCEPTIONS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)

Sleep = Callable[[float], Awaitable[None]]
BURST_SECONDS = 0.02  # the bucket's capacity in seconds of the rate (1 request below 100 req/s)
INITIAL_IN_FLIGHT = 4  # before the first answer: no latency measured yet
IN_FLIGHT_HEADROOM = 1.5  # latency varies; a little more in flight keeps the bucket busy
LATENCY_WEIGHT = 0.2  # the moving average follows a change within about ten answers


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try; tests shrink the delays (base_delay=0.01) rather than patching time."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, attempt: int) -> float:
        """Equal jitter: half the exponential step fixed, half random, so retriers spread out."""
        step = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(step / 2, step)

    def wait_for(self, attempt: int, retry_after: float | None) -> float:
        """The peer's Retry-After (plus a little jitter) wins over backoff; both capped by max_delay."""
        if retry_after is None:
            return self.backoff(attempt)
        return min(self.max_delay, retry_after + random.uniform(0, self.base_delay))


@dataclass(slots=True)
class CallStats:
    """What the CLI reports: attempts sent (retries included), retries, and 429s seen."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class Throttle:
    """Shared by every request of one client: one bucket, one policy, one set of counters."""

    def __init__(
        self,
        *,
        rate_per_second: float = 10.0,
        burst: int | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if burst is None:
            burst = max(1, math.floor(rate_per_second * BURST_SECONDS))
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_per_second = rate_per_second
        self.burst = burst
        # drained at the rate less what the capacity adds: burst + drain x t <= rate x t + 1 for t >= 1 s
        drain = rate_per_second - (burst - 1)
        if drain <= 0:
            raise ValueError("burst must be below rate_per_second + 1")
        self.retry = retry or RetryPolicy()
        self.stats = CallStats()
        self._sleep = sleep
        # capacity `burst`, drained at `drain` per second
        self.limiter = AsyncLimiter(burst, burst / drain)
        self.latency: float | None = None  # seconds per answer, a moving average of what GoTo took

    def in_flight(self, cap: int) -> int:
        """How many requests to keep in flight: enough to fill the rate at the measured latency
        (Little's law: rate x latency, with headroom), never more than `cap`. The bucket still paces;
        this only keeps it from running dry while answers are on their way."""
        if self.latency is None:
            return min(cap, INITIAL_IN_FLIGHT)
        return max(1, min(cap, math.ceil(self.rate_per_second * self.latency * IN_FLIGHT_HEADROOM) + 1))

    def _observe(self, seconds: float) -> None:
        self.latency = (
            seconds if self.latency is None else self.latency + LATENCY_WEIGHT * (seconds - self.latency)
        )

    async def request_json(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str | httpx.URL,
        *,
        what: str,
        accept: str,
        content_type: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One JSON request through `send` (paced, retried); the caller reads the answer's status."""
        headers = {"Accept": accept}
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = content_type
            content = json.dumps(body).encode()

        async def attempt() -> httpx.Response:
            response = await http.request(method, url, params=params, headers=headers, content=content)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %d", method, response.request.url.path, response.status_code)
            return response

        return await self.send(attempt, what=what)

    async def send(self, attempt: Callable[[], Awaitable[httpx.Response]], *, what: str) -> httpx.Response:
        """The first answer that is not worth retrying; raises TransientError once attempts run out.

        The loop tenacity ran before (stop after max_attempts; wait from Retry-After or backoff;
        retry timeouts, dropped connections and RETRYABLE_STATUSES), written out: tenacity's
        machinery cost more CPU per GoTo request than the request's own JSON."""
        number = 0
        while True:
            number += 1
            try:
                response = await self._paced(attempt)
            except RETRYABLE_EXCEPTIONS as exc:
                if number >= self.retry.max_attempts:
                    raise transport_error(exc, what=what, attempts=number) from exc
                await self._pause(what, type(exc).__name__, number, None)
                continue
            except httpx.TransportError as exc:  # not retryable: a bad URL or header; no point going on
                raise TargetError(f"{what}: {type(exc).__name__}: {exc}", detail=str(exc)) from exc
            if response.status_code not in RETRYABLE_STATUSES:
                return response
            if number >= self.retry.max_attempts:
                raise error_for(response, what=what, attempts=number)
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            await self._pause(what, f"HTTP {response.status_code}", number, retry_after)

    async def _paced(self, attempt: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        async with self.limiter:
            self.stats.requests += 1
            started = time.monotonic()
            response = await attempt()
            self._observe(time.monotonic() - started)
        if response.status_code == 429:
            self.stats.throttled += 1
        return response

    async def _pause(self, what: str, after: str, number: int, retry_after: float | None) -> None:
        """Before attempt `number` + 1: count the retry, say why, wait."""
        delay = self.retry.wait_for(number, retry_after)
        self.stats.retries += 1
        log.info(
            "%s: retrying after %s (attempt %d of %d, waiting %.2fs)",
            what,
            after,
            number,
            self.retry.max_attempts,
            delay,
        )
        await self._sleep(delay)
