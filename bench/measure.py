"""One product cycle, measured from inside the product process.

CPU is `time.process_time()` of this process around the cycle: the simulators run in a child
process (bench.sims) and Azurite in node, so it is the product's own (plus the few bench
callbacks below). Calls are counted per kind through `open_services(observe_call=...)`, the hook
the product gives every Graph, GoTo and Table Storage answer; GoTo answer times give the rate
while the cycle was sending and the pauses in between. Memory is this process's resident set,
sampled at every users-delta page.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from provisioning.config import load_settings
from provisioning.engine.ports import Outcome
from provisioning.model import AuditRecord
from provisioning.service import open_services
from provisioning.state.codecs import audit_to_entity
from provisioning.state.memory import MemoryState

PAUSE_SECONDS = 0.3  # a gap between two GoTo answers longer than this is a pause (the queue ran dry)
_PAGE = 4096


def rss_mb() -> float:
    """Resident set size now (Linux /proc; 0 elsewhere, where the figure is then not reported)."""
    try:  # os.read, not Path.read_text: sampled once per page, inside the CPU the figure counts
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            pages = int(os.read(fd, 256).split()[1])
        finally:
            os.close(fd)
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * _PAGE / 2**20


def peak_rss_mb() -> float:
    """High-water mark of the resident set (VmHWM), reset with `reset_peak_rss`."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def reset_peak_rss() -> None:
    """Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM, so a peak is this cycle's, not start-up's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class PlanningState(MemoryState):
    """The product's in-memory store, whose audit rows are encoded as for Table Storage, then
    dropped: "read + plan" measures the product, not a store holding 100,000 rows (Azurite takes
    longer per write the fuller a partition is; MemoryState would hold them in this process)."""

    def __init__(self) -> None:
        super().__init__(prefix="bench")
        self.records = 0
        self.encoding_cpu_s = 0.0

    async def add_audit_records(self, records: Sequence[AuditRecord]) -> None:
        started = time.process_time()
        for record in records:
            audit_to_entity(record)
        self.records += len(records)
        self.encoding_cpu_s += time.process_time() - started


class _Pages:
    """Progress that samples memory per page (the engine calls objects_read once per page)."""

    def __init__(self) -> None:
        self.read = 0
        self.samples: list[tuple[int, float]] = []

    def objects_read(self, count: int) -> None:
        self.read += count
        self.samples.append((self.read, rss_mb()))

    def operations_planned(self, count: int) -> None: ...

    def operation_done(self, outcome: Outcome) -> None: ...


@dataclass
class Measured:
    wall_s: float
    cpu_s: float
    calls: dict[str, int]
    counts: dict[str, int]
    status: str
    failures: int
    rss_before_mb: float
    rss_peak_mb: float
    rss_samples: list[tuple[int, float]] = field(default_factory=list)
    goto_times: list[float] = field(default_factory=list)  # seconds since the cycle started
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (seconds, kind) per answer
    recording_cpu_s: float = 0.0  # of cpu_s, in the dry run's recording (records built and written)

    @property
    def goto_window_s(self) -> float:
        """From the first GoTo answer to the last: the time the cycle was sending to GoTo."""
        return self.goto_times[-1] - self.goto_times[0] if len(self.goto_times) > 1 else 0.0

    def goto_rate(self) -> float:
        """GoTo answers per second while sending (n answers span n-1 intervals)."""
        window = self.goto_window_s
        return (len(self.goto_times) - 1) / window if window > 0 else 0.0

    def pauses(self) -> list[float]:
        gaps = [b - a for a, b in zip(self.goto_times, self.goto_times[1:], strict=False)]
        return [g for g in gaps if g > PAUSE_SECONDS]

    def waits(self) -> dict[str, float]:
        """Seconds from the previous answer (of any kind) to each answer, summed per kind: where a
        mostly sequential cycle (a dry run) spends its wall time, product CPU included."""
        totals: dict[str, float] = {}
        previous = 0.0
        for moment, kind in self.timeline:
            totals[kind] = totals.get(kind, 0.0) + moment - previous
            previous = moment
        return totals

    def first_goto_s(self) -> float | None:
        return self.goto_times[0] if self.goto_times else None


def counts_of(result: Any) -> dict[str, int]:
    """The cycle's counts as "action/status" → n, whatever mapping type the engine uses."""
    counts = result.counts
    if hasattr(counts, "to_dict"):
        return dict(counts.to_dict())
    return {("/".join(k) if isinstance(k, tuple) else str(k)): int(n) for k, n in counts.items() if n}


async def run_cycle(
    env: dict[str, str], *, dry_run: bool = False, store: Literal["tables", "planning"] = "tables"
) -> Measured:
    """One cycle with fresh clients, as `python -m provisioning sync` runs it (service.run_sync),
    with the call observer and a page-sampling progress attached. `store="planning"`: the state is
    a PlanningState instead of Table Storage (the links, watermarks and members start empty)."""
    settings = load_settings(env)
    calls: Counter[str] = Counter()
    goto_times: list[float] = []
    timeline: list[tuple[float, str]] = []
    pages = _Pages()
    reset_peak_rss()
    rss_before = rss_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()

    def observe(kind: str) -> None:
        calls[kind] += 1
        now = time.perf_counter() - t0
        timeline.append((now, kind))
        if kind == "goto":
            goto_times.append(now)

    async with open_services(settings, observe_call=observe) as services:
        if store == "planning":
            services = replace(services, state=await PlanningState().open())
        engine = services.engine(settings, progress=pages)
        recording = _time_recording(engine)
        result = await engine.run_cycle(dry_run=dry_run, initiated_by="bench")
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return Measured(
        wall_s=wall,
        cpu_s=cpu,
        calls=dict(calls),
        counts=counts_of(result),
        status=str(result.cycle.status),
        failures=int(result.failures),
        rss_before_mb=rss_before,
        rss_peak_mb=peak_rss_mb(),
        rss_samples=pages.samples,
        goto_times=goto_times,
        timeline=timeline,
        recording_cpu_s=recording[0],
    )


def _time_recording(engine: Any) -> list[float]:
    """CPU seconds spent in the recorder's dry-run path (building and writing the records), so a
    dry run's figure splits into read + plan and recording."""
    spent = [0.0]
    record = engine.recorder.record_dry_run

    async def timed(*args: Any, **kwargs: Any) -> None:
        started = time.process_time()
        try:
            await record(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - started

    engine.recorder.record_dry_run = timed
    return spent
