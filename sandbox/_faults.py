"""Fault injection shared by both simulators: by share (a probability) or on the next N calls."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

FaultKind = Literal["throttle", "unavailable", "server_error", "timeout", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("throttle", "unavailable", "server_error", "timeout", "drop")


@dataclass
class FaultConfig:
    """Shares are probabilities in [0, 1]; they are drawn in FAULT_KINDS order per request."""

    throttle_share: float = 0.0  # 429
    unavailable_share: float = 0.0  # 503
    server_error_share: float = 0.0  # 500
    timeout_share: float = 0.0  # hold the request for timeout_seconds, then answer 504
    drop_share: float = 0.0  # close the connection without an answer
    retry_after: float | None = 1.0  # Retry-After seconds on 429/503; None = no header
    timeout_seconds: float = 30.0
    latency_ms: float = 0.0  # added to every answer

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown fault setting {key!r}; known: {sorted(known)}")
            setattr(self, key, None if value is None else float(value))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Decides, per request, whether and which fault to inject. Deterministic for a given seed."""

    def __init__(self, *, seed: int = 0) -> None:
        self.config = FaultConfig()
        self._queued: deque[FaultKind] = deque()
        self._seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    def configure(self, **values: Any) -> None:
        with self._lock:
            self.config.update(values)

    def queue(self, kind: FaultKind, count: int = 1) -> None:
        """Inject `kind` on each of the next `count` requests (before any share is drawn)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {list(FAULT_KINDS)}")
        with self._lock:
            self._queued.extend([kind] * count)

    def reset(self) -> None:
        with self._lock:
            self.config = FaultConfig()
            self._queued.clear()
            self.injected = dict.fromkeys(FAULT_KINDS, 0)
            self._rng = random.Random(self._seed)  # the same faults again after a reset

    def draw(self) -> FaultKind | None:
        with self._lock:
            kind: FaultKind | None = None
            if self._queued:
                kind = self._queued.popleft()
            else:
                for candidate in FAULT_KINDS:
                    share = getattr(self.config, f"{candidate}_share")
                    if share and self._rng.random() < share:
                        kind = candidate
                        break
            if kind is not None:
                self.injected[kind] += 1
            return kind
