"""`make bench`: every figure of issue 15's table, one scenario process after the other, written
to bench/results.md (one row per figure, the goal beside it, met or not, the machine and commit).

`python -m bench.run_all [--smoke] [--out PATH] [--only NAME ...]`; `--smoke` runs every scenario
at 30 users (the test in tests/bench does, and asserts no timing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scenarios import DEFAULT_USERS, PLANNING_BUDGET_SECONDS, PREFIX
from sandbox.azurite import ROOT, Azurite

RESULTS = ROOT / "bench" / "results.md"
SMOKE_USERS = 30
ORDER = ("rate10", "rate200", "tenk", "planning")
# Every row of the table, in its order; the file has each, measured or failed.
ROW_NAMES = (
    "10 req/s rate",
    "200 req/s rate",
    "engine ceiling (GoTo unlimited)",
    "100,000-user planning",
    "Table transactions per record",
    "1 % incremental",
    "quiet cycle",
)
SCENARIO_OF = {
    "10 req/s rate": "rate10",
    "200 req/s rate": "rate200",
    "engine ceiling (GoTo unlimited)": "tenk",
    "Table transactions per record": "tenk",
    "quiet cycle": "tenk",
    "1 % incremental": "tenk",
    "100,000-user planning": "planning",
}
HOW = """\
How it is measured (bench/scenarios.py, bench/measure.py):
- Each scenario runs in a fresh process; the Graph and GoTo simulators run in a child process
  (bench/sims.py) and Azurite in node, so CPU is `time.process_time()` of the product process
  around one cycle, as `python -m provisioning sync` runs it (open_services + engine.run_cycle).
- Calls are counted through the product's `open_services(observe_call=...)`: one per Graph, GoTo
  and Table Storage HTTP answer (a Table batch is one call). GoTo figures are the simulator's own
  counters; rates are GoTo requests over the **whole cycle's wall time** (what fills the budget),
  "while sending" is from the first GoTo answer to the last, a pause is a gap over 0.3 s.
- Memory: the product process's resident set (VmHWM reset before the cycle, sampled per page).
- The GoTo simulator keeps HTTP/1.1 connections open as GoTo does (werkzeug closed each one, and
  the product paid a TCP connection per request); GoTo's latency is the simulator's `latency_ms`,
  held before each answer, and its limit the token bucket GoTo documents.
- Sizes: as the issue's table (1,000 / 2,000 / 10,000 / 100,000 users; 10 assigned groups, Graph
  pages of 100). "GoTo unlimited" is the simulator without a limit and the product paced at its
  highest setting, 1,000 req/s. The planning dry run keeps the product's time budget
  (CYCLE_TIME_BUDGET_SECONDS, here {planning_budget}): when the product cannot plan 100,000 users
  in it, the cycle stops `dry-run`-partial and the row shows how far it got, so `make bench` stays
  under 15 minutes; simulator clocks are not scaled.
- The planning row runs on the product's in-memory store (`bench.measure.PlanningState`): its
  dry-run records are built and encoded as for Table Storage, then dropped. Azurite takes longer
  per write the fuller a partition is (about 13 ms per row at 10,000 rows of 2 KB), so 100,000
  records in one cycle's partition would measure Azurite; an in-memory store would hold them in
  the product's process. "read + plan" is the cycle's CPU less the recorder's dry-run path.
- Azurite's per-partition cost also weighs on wall-time figures that write into big partitions
  (the 1 % incremental writes 100 rows into the 10,000-row links and index partitions); Azure
  Table Storage's documented targets are per partition (2,000 entities/s), not per partition size.
- The machine is shared (2 cores, other sessions running): figures are noisy, a rerun varies by
  about 10 %; no test asserts a time.
"""


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram = f"{kb / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        ram = "RAM unknown"
    return f"{cores} cores, {ram}, {platform.platform()}, Python {platform.python_version()}"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def run_scenario(name: str, users: int, tables: str, env: dict[str, str]) -> list[dict[str, Any]]:
    """One scenario in its own process; its rows, or one failed row per figure it owns."""
    cmd = [sys.executable, "-m", "bench.scenarios", name, "--users", str(users), "--tables", tables]
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - fixed argv
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(PREFIX):
            rows: list[dict[str, Any]] = json.loads(line[len(PREFIX) :])
            return rows
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    why = " / ".join(tail) or f"exit {done.returncode}"
    return [
        {
            "name": row,
            "target": "",
            "figure": f"not measured: the scenario failed ({why})",
            "met": False,
            "size": f"{users:,} users",
            "seconds": time.perf_counter() - started,
        }
        for row, owner in SCENARIO_OF.items()
        if owner == name
    ]


def render(rows: list[dict[str, Any]], *, smoke: bool, total_seconds: float) -> str:
    by_name = {r["name"]: r for r in rows}
    head = commit()
    lines = [
        "# Benchmark results (issue 15)",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Commit: {head}",
        f"- Command: `make bench` (`python -m bench.run_all{' --smoke' if smoke else ''}`), "
        f"{total_seconds / 60:.1f} minutes",
        "",
        "| figure | target (goal) | measured | met | run |",
        "|---|---|---|---|---|",
    ]
    for name in ROW_NAMES:
        row = by_name.get(name)
        if row is None:
            lines.append(f"| {name} | | not run | no | |")
            continue
        met = "yes" if row["met"] else "no"
        run = row["size"] + (f"; at {row['commit']}" if row.get("commit", head) != head else "")
        lines.append(f"| {name} | {row['target']} | {row['figure']} | {met} | {run} |")
    lines += ["", HOW.format(planning_budget=f"{PLANNING_BUDGET_SECONDS} s")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help=f"every scenario at {SMOKE_USERS} users")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write (default bench/results.md)")
    parser.add_argument("--only", action="append", choices=ORDER, help="run only these scenarios")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with Azurite() as azurite:
        for name in args.only or ORDER:
            users = SMOKE_USERS if args.smoke else DEFAULT_USERS[name]
            print(f"bench: {name} ({users:,} users) ...", flush=True)
            at = commit()  # the tree can move under a long run: each row says what it measured
            found = run_scenario(name, users, azurite.connection_string, env)
            for row in found:
                row["commit"] = at
            for row in found:
                mark = "met" if row["met"] else "NOT met"
                print(f"  {row['name']}: {row['figure']} [{mark}; {row['seconds']:.0f} s]", flush=True)
            rows += found
    text = render(rows, smoke=args.smoke, total_seconds=time.perf_counter() - started)
    args.out.write_text(text + "\n")
    print(f"bench: wrote {args.out} in {(time.perf_counter() - started) / 60:.1f} minutes", flush=True)


if __name__ == "__main__":
    main()
