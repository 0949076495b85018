"""The scenarios behind the rows of bench/results.md; each runs in a process of its own.

`python -m bench.scenarios NAME [--users N] [--tables CONNECTION_STRING]` prints its rows as one
JSON line prefixed `BENCH-ROWS `. run_all starts one process per scenario so that each has its
own CPU clock and memory high-water mark; the simulators run in a child (bench.sims).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from bench.measure import Measured, run_cycle
from bench.sims import SimulatorProcess
from sandbox.azurite import ROOT, Azurite

UNLIMITED = 1_000_000.0  # the GoTo simulator's bucket at this rate never answers 429
PRODUCT_MAX_RATE = "1000"  # the highest GOTO_RATE_LIMIT_PER_SECOND the product takes
GROUPS = 10
PLANNING_BUDGET_SECONDS = "180"  # the dry run stops there, so `make bench` stays under 15 minutes
PREFIX = "BENCH-ROWS "


@dataclass
class Row:
    name: str
    target: str
    figure: str
    met: bool
    size: str
    seconds: float = 0.0  # how long the scenario took (not a figure of the product)


@contextmanager
def _tables(connection_string: str | None) -> Iterator[str]:
    if connection_string:
        yield connection_string
        return
    with Azurite() as azurite:
        yield azurite.connection_string


def _prefix() -> str:
    return "b" + uuid.uuid4().hex[:10]


def _pct(rate: float, limit: float) -> float:
    return 100.0 * rate / limit if limit else 0.0


def _whole_rate(m: Measured) -> float:
    """GoTo requests over the whole cycle: what a customer's budget is filled with."""
    return m.calls.get("goto", 0) / m.wall_s if m.wall_s else 0.0


def _rate_detail(m: Measured, limit: float, counters: dict[str, Any]) -> str:
    pauses = m.pauses()
    first = m.first_goto_s()
    mean_pause = sum(pauses) / len(pauses) if pauses else 0.0
    return (
        f"{m.calls.get('goto', 0)} GoTo requests in {m.wall_s:.1f} s = {_whole_rate(m):.2f} req/s "
        f"({_pct(_whole_rate(m), limit):.1f} % of {limit:g}); while sending {m.goto_rate():.2f} req/s; "
        f"first answer at {first if first is not None else 0:.2f} s, last "
        f"{m.wall_s - (m.goto_times[-1] if m.goto_times else 0):.2f} s before the end; "
        f"{len(pauses)} pauses > 0.3 s (mean {mean_pause:.2f} s); {counters['goto_429']} answered 429; "
        f"failures {m.failures}"
    )


def _initial(sims: SimulatorProcess, env: dict[str, str], users: int) -> tuple[Measured, dict[str, Any]]:
    sims.call("seed", users, GROUPS, 42)
    sims.call("reset_counters")
    measured = asyncio.run(run_cycle(env))
    return measured, sims.call("counters")


def rate_row(
    name: str, target: str, users: int, limit: float, latency_ms: float, goal_rps: float, tables: str
) -> Row:
    """An initial cycle against GoTo's limit: requests per second over the whole cycle."""
    started = time.perf_counter()
    with SimulatorProcess(goto_rate=limit, goto_latency_ms=latency_ms) as sims:
        env = sims.env(tables, _prefix(), GOTO_RATE_LIMIT_PER_SECOND=f"{limit:g}")
        m, counters = _initial(sims, env, users)
    rate = _whole_rate(m)
    return Row(
        name=name,
        target=target,
        figure=_rate_detail(m, limit, counters),
        met=rate >= goal_rps and m.failures == 0,
        size=f"initial, {users:,} users, GoTo {limit:g} req/s, {latency_ms:g} ms latency",
        seconds=time.perf_counter() - started,
    )


def _waits(m: Measured) -> str:
    return ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(m.waits().items()))


def _records(m: Measured) -> int:
    """Objects the cycle wrote an audit record for (every count is one processed object)."""
    return sum(m.counts.values())


def _cli_quiet(env: dict[str, str]) -> tuple[float, str]:
    """The same quiet cycle as an admin runs it: `python -m provisioning sync`, start-up included;
    (seconds, what its JSON summary says it did)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "sync", "--json"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - started
    try:
        summary = json.loads(done.stdout)
        said = f"exit {done.returncode}, {summary.get('status')}, counts {summary.get('counts') or {}}"
    except ValueError:
        said = f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-200:]}"
    return seconds, said


def ten_thousand_rows(users: int, tables: str) -> list[Row]:
    """One tenant, four rows: the initial cycle with GoTo unlimited (engine ceiling, Table calls per
    record), then a quiet cycle, then 1 % changed against GoTo's 10 req/s."""
    started = time.perf_counter()
    with SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(tables, _prefix(), GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE)
        initial, initial_counters = _initial(sims, env, users)
        t_initial = time.perf_counter() - started

        sims.call("reset_counters")
        t = time.perf_counter()
        quiet = asyncio.run(run_cycle(env))
        quiet_counters = sims.call("counters")
        cli_seconds, cli_said = _cli_quiet(env)
        t_quiet = time.perf_counter() - t

        t = time.perf_counter()
        changes = max(1, users // 100)
        sims.call("change", changes)
        sims.call("configure_goto", 10.0, 50.0)
        sims.call("reset_counters")
        incr_env = {**env, "GOTO_RATE_LIMIT_PER_SECOND": "10"}
        incremental = asyncio.run(run_cycle(incr_env))
        incr_counters = sims.call("counters")
        t_incr = time.perf_counter() - t

    created = initial_counters["goto_routes"].get("POST /identity/v1/Users", 0)  # users, not groups
    ms_per_user = 1000.0 * initial.cpu_s / created if created else float("inf")
    records = _records(initial)
    per_record = initial.calls.get("tables", 0) / records if records else float("inf")
    patches = sum(n for k, n in incr_counters["goto_routes"].items() if k.startswith("PATCH "))
    incr_goto = incr_counters["goto"]
    incr_rate = _whole_rate(incremental)
    return [
        Row(
            name="engine ceiling (GoTo unlimited)",
            target="≤ 1 ms product CPU per created user (≥ 500 users/s on one core)",
            figure=(
                f"{ms_per_user:.2f} ms CPU per created user ({initial.cpu_s:.1f} s CPU for {created:,} "
                f"created); {created / initial.wall_s if initial.wall_s else 0:.0f} users/s wall "
                f"({initial.wall_s:.1f} s); {initial.calls.get('goto', 0):,} GoTo, "
                f"{initial.calls.get('graph', 0)} Graph, {initial.calls.get('tables', 0):,} Table calls; "
                f"failures {initial.failures}"
            ),
            met=ms_per_user <= 1.0 and initial.failures == 0,
            size=f"initial, {users:,} users; GoTo simulator unlimited, product paced at 1,000 req/s",
            seconds=t_initial,
        ),
        Row(
            name="Table transactions per record",
            target="≤ 0.01 Table calls per record",
            figure=(
                f"{per_record:.3f} ({initial.calls.get('tables', 0):,} Table calls, a batch counting one, "
                f"for {records:,} records)"
            ),
            met=per_record <= 0.01,
            size=f"the engine ceiling's run ({users:,} users initial)",
            seconds=0.0,
        ),
        Row(
            name="quiet cycle",
            target="0 GoTo, ≤ 3 Graph, < 1 s",
            figure=(
                f"{quiet_counters['goto']} GoTo, {quiet_counters['graph']} Graph, "
                f"{quiet.calls.get('tables', 0)} Table calls, {quiet.wall_s:.2f} s wall, "
                f"{quiet.cpu_s:.2f} s CPU; as a CLI process (`python -m provisioning sync`): "
                f"{cli_seconds:.2f} s ({cli_said})"
            ),
            met=quiet_counters["goto"] == 0 and quiet_counters["graph"] <= 3 and quiet.wall_s < 1.0,
            size=f"{users:,} users, nothing changed",
            seconds=t_quiet,
        ),
        Row(
            name="1 % incremental",
            target="GoTo requests = changes, ≥ 95 % of the limit",
            figure=(
                f"{incr_goto} GoTo requests ({patches} PATCH) for {changes} changed users; "
                + _rate_detail(incremental, 10.0, incr_counters)
            ),
            met=incr_goto == changes and _pct(incr_rate, 10.0) >= 95.0 and incremental.failures == 0,
            size=f"{changes:,} of {users:,} users changed, GoTo 10 req/s, 50 ms latency",
            seconds=t_incr,
        ),
    ]


def planning_row(users: int, tables: str) -> Row:
    """A dry run (read + plan, dry-run audit records built and encoded, nothing to GoTo) of a whole
    tenant, on the product's in-memory store (bench.measure.PlanningState), not Azurite: Azurite
    takes longer per write the fuller a partition is, and 100,000 dry-run records in one cycle's
    partition do not finish in `make bench`'s 15 minutes; the Table writes have their own row."""
    started = time.perf_counter()
    with SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(
            tables,
            _prefix(),
            GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE,
            CYCLE_TIME_BUDGET_SECONDS=PLANNING_BUDGET_SECONDS,
        )
        seeded = sims.call("seed", users, GROUPS, 42)
        sims.call("reset_counters")
        m = asyncio.run(run_cycle(env, dry_run=True, store="planning"))
        counters = sims.call("counters")
    samples = m.rss_samples
    half = samples[len(samples) // 2][1] if samples else m.rss_before_mb
    end = samples[-1][1] if samples else m.rss_before_mb
    second_half_mb = end - half
    flat = second_half_mb < 20.0
    read = samples[-1][0] if samples else 0
    read_and_plan = m.cpu_s - m.recording_cpu_s
    return Row(
        name="100,000-user planning",
        target="< 5 s CPU, < 300 MB, flat in pages",
        figure=(
            f"read + plan {read_and_plan:.1f} s CPU ({1e6 * read_and_plan / max(read, 1):.0f} µs per user); "
            f"with the {sum(m.counts.values()):,} dry-run records built and encoded "
            f"{m.cpu_s:.1f} s CPU, {m.wall_s:.1f} s wall; peak RSS {m.rss_peak_mb:.0f} MB "
            f"({m.rss_peak_mb - m.rss_before_mb:+.0f} MB over {m.rss_before_mb:.0f} MB before the cycle); "
            f"second half of the pages {second_half_mb:+.0f} MB ({'flat' if flat else 'growing'}); "
            f"{m.calls.get('graph', 0)} Graph, {counters['goto']} GoTo; status {m.status}; "
            f"tenant seeded in {seeded['seconds']:.1f} s"
            + (f", stopped after {read:,} of {users:,} users at the time budget" if read < users else "")
        ),
        met=read_and_plan < 5.0
        and m.rss_peak_mb < 300.0
        and flat
        and counters["goto"] == 0
        and read >= users,
        size=(
            f"dry run, {users:,} users in {GROUPS} assigned groups; the in-memory store, dry-run "
            "records encoded and dropped (Tables: the rows below)"
        ),
        seconds=time.perf_counter() - started,
    )


SCENARIOS: dict[str, Callable[[int, str], list[Row]]] = {
    "rate10": lambda users, tables: [
        rate_row("10 req/s rate", "≥ 95 % of the limit", users, 10.0, 50.0, 9.5, tables)
    ],
    "rate200": lambda users, tables: [
        rate_row("200 req/s rate", "≥ 180 req/s", users, 200.0, 80.0, 180.0, tables)
    ],
    "tenk": ten_thousand_rows,
    "planning": lambda users, tables: [planning_row(users, tables)],
}
DEFAULT_USERS = {"rate10": 1000, "rate200": 2000, "tenk": 10_000, "planning": 100_000}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios", description=__doc__)
    parser.add_argument("name", choices=sorted(SCENARIOS))
    parser.add_argument("--users", type=int, help="tenant size (default: the issue's size)")
    parser.add_argument("--tables", help="a Table Storage connection string (default: a fresh Azurite)")
    args = parser.parse_args(argv)
    users = args.users or DEFAULT_USERS[args.name]
    with _tables(args.tables) as tables:
        rows = SCENARIOS[args.name](users, tables)
    print(PREFIX + json.dumps([asdict(r) for r in rows]), flush=True)


if __name__ == "__main__":
    main()
