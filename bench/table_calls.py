"""`python -m bench.table_calls --users 2000`: where a cycle's Table Storage calls go, by table and kind.

The tenk scenario's three cycles (initial with GoTo unlimited, quiet, 1 % changed at 10 req/s) on
one tenant, each followed by its Table calls grouped by what the product's TableStore called them
("transaction on links", "query of members", ...; a batch is one call, a query one call per page)
and, for the incremental cycle, when each call ran against the first and last GoTo answers. It
counts by wrapping `TableStore.run`, the one place every Table call goes through (a bench-only
wrapper; the product has no hook that names the table), so the sum is the `tables` count the
other scenarios report through `observe_call`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from bench.measure import Measured, run_cycle
from bench.scenarios import PRODUCT_MAX_RATE, UNLIMITED, _initial, _prefix
from bench.sims import SimulatorProcess
from provisioning.state import tablestore
from sandbox.azurite import Azurite

_calls: Counter[str] = Counter()
_spans: list[tuple[float, float, str]] = []
_origin = [0.0]


def _watch(prefix: str) -> None:
    """Wrap TableStore.run once: count each call under its description, with the table prefix cut."""
    run: Callable[..., Awaitable[Any]] = tablestore.TableStore.run

    async def counted(self: Any, description: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await run(self, description, *args, **kwargs)
        finally:
            what = description.replace(prefix, "")
            _calls[what] += 1
            _spans.append((started - _origin[0], time.perf_counter() - _origin[0], what))

    tablestore.TableStore.run = counted  # type: ignore[method-assign,assignment]


def _cycle(name: str, run: Callable[[], Measured]) -> Measured:
    _calls.clear()
    _spans.clear()
    _origin[0] = time.perf_counter()
    measured = run()
    records = sum(measured.counts.values())
    tables = measured.calls.get("tables", 0)
    print(
        f"{name}: {tables} Table calls for {records} records "
        f"({tables / records if records else 0:.3f} per record), {measured.wall_s:.2f} s wall"
    )
    for what, n in _calls.most_common():
        print(f"  {n:6d}  {what}")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()
    prefix = _prefix()
    _watch(prefix)
    with Azurite() as azurite, SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(azurite.connection_string, prefix, GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE)
        _cycle("initial (GoTo unlimited)", lambda: _initial(sims, env, args.users)[0])
        _cycle("quiet", lambda: asyncio.run(run_cycle(env)))
        sims.call("change", max(1, args.users // 100))
        sims.call("configure_goto", 10.0, 50.0)
        sims.call("reset_counters")
        slow = {**env, "GOTO_RATE_LIMIT_PER_SECOND": "10"}
        incremental = _cycle("1 % incremental (GoTo 10 req/s)", lambda: asyncio.run(run_cycle(slow)))
    answers = incremental.goto_times
    if answers:
        first, last = answers[0], answers[-1]
        end = incremental.wall_s
        print(f"incremental: first GoTo answer at {first:.3f} s, last at {last:.3f} s, end {end:.3f} s")
        print("  Table calls before the first answer and after the last (start, end, seconds, call):")
        for start, end, what in _spans:
            if start < first or end > last:
                print(f"  {start:7.3f} {end:7.3f} {end - start:6.3f}  {what}")


if __name__ == "__main__":
    main()
