"""`python -m bench.profile --users 10000`: where the product's time goes in an initial cycle.

cProfile of one initial cycle with GoTo unlimited (simulators in a child process, so only the
product is profiled; Azurite is node). Prints the top functions by cumulative and by own time,
the product's own functions as milliseconds per created user, own time per package (which
library the milliseconds are spent in), and how often an import was attempted for a module that
is not installed (`--missing sniffio`: httpcore imports it on every lock acquisition).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.abc
import importlib.machinery
import io
import pstats
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from types import ModuleType

from bench.measure import run_cycle
from bench.scenarios import GROUPS, PRODUCT_MAX_RATE, UNLIMITED
from bench.sims import SimulatorProcess
from sandbox.azurite import Azurite


class ImportAttempts(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: counts lookups of the watched names, then lets the others decide."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = set(names)
        self.counts: Counter[str] = Counter()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.names:
            self.counts[fullname] += 1
        return None


def _package(filename: str) -> str:
    """`…/site-packages/azure/core/x.py` → "azure.core"; the product and the stdlib by name."""
    path = filename.replace("\\", "/")
    if "/provisioning/" in path:
        return "provisioning"
    if "site-packages/" in path:
        parts = path.split("site-packages/", 1)[1].split("/")
        top = parts[0]
        if top in ("azure", "msgraph_core", "kiota_abstractions") and len(parts) > 2:
            return f"{top}.{parts[1]}"
        return top.removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "builtins (C)"
    parts = path.split("/")
    if "lib" in parts:
        rest = parts[len(parts) - 1 - parts[::-1].index("lib") + 2 :]
        return "stdlib " + (rest[0].removesuffix(".py") if rest else "?")
    return path.rsplit("/", 1)[-1]


def _idle(filename: str, name: str) -> bool:
    return filename == "~" and "epoll" in name and "poll" in name


def idle_seconds(stats: pstats.Stats) -> float:
    items = stats.stats.items()  # type: ignore[attr-defined]
    return sum(tottime for (filename, _, name), (_, _, tottime, _, _) in items if _idle(filename, name))


def own_time_by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (not cumulative) time summed per package; the event loop's waiting left out."""
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if _idle(filename, name):
            continue
        key = _package(filename)
        totals[key] = totals.get(key, 0.0) + tottime
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)


def product_hot_spots(stats: pstats.Stats, top: int) -> list[tuple[str, float, float, int]]:
    """(function, cumulative s, own s, calls) for the product's own functions, by cumulative time."""
    rows = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/provisioning/" in filename.replace("\\", "/"):
            where = filename.replace("\\", "/").split("/provisioning/", 1)[1]
            rows.append((f"provisioning/{where}:{line}({name})", cumtime, tottime, calls))
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:top]


def product_modules(stats: pstats.Stats) -> list[tuple[str, float, str]]:
    """Per product module, its most expensive function by cumulative time: roughly the cost of
    entering that module (Table calls, GoTo requests, Graph reads, planning); they overlap."""
    best: dict[str, tuple[float, str]] = {}
    for (filename, _, name), (_, _, _, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        if "/provisioning/" in path:
            module = "provisioning/" + path.split("/provisioning/", 1)[1]
            if cumtime > best.get(module, (0.0, ""))[0]:
                best[module] = (cumtime, name)
    return sorted(((m, c, n) for m, (c, n) in best.items()), key=lambda r: r[1], reverse=True)


def _print_stats(stats: pstats.Stats, sort: str, top: int) -> None:
    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(top)
    text = buffer.getvalue()
    print(text[text.find("   ncalls") :] if "   ncalls" in text else text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--missing", action="append", default=["sniffio"], help="count imports of")
    parser.add_argument("--save", help="also write the raw profile here (for snakeviz, pstats)")
    parser.add_argument(
        "--planning",
        action="store_true",
        help="profile the planning row instead: a dry run on the in-memory store (figures per user)",
    )
    args = parser.parse_args(argv)

    attempts = ImportAttempts(args.missing)
    with Azurite() as azurite, SimulatorProcess(goto_rate=UNLIMITED) as sims:
        env = sims.env(
            azurite.connection_string,
            "p" + uuid.uuid4().hex[:10],
            GOTO_RATE_LIMIT_PER_SECOND=PRODUCT_MAX_RATE,
        )
        sims.call("seed", args.users, GROUPS, 42)
        # The default (wall) timer: a CPU-time timer is a system call per event and distorts more;
        # the wait in epoll is reported apart, as idle.
        profiler = cProfile.Profile()
        sys.meta_path.insert(0, attempts)
        started = time.perf_counter()
        try:
            profiler.enable()
            measured = asyncio.run(
                run_cycle(env, dry_run=args.planning, store="planning" if args.planning else "tables")
            )
            profiler.disable()
        finally:
            sys.meta_path.remove(attempts)
        wall = time.perf_counter() - started

    created = (
        sum(measured.counts.values()) if args.planning else measured.counts.get("create/success", 0)
    ) or 1
    stats = pstats.Stats(profiler)
    total = sum(t for _, t in own_time_by_package(stats))
    what, per = ("dry run (in-memory store)", "planned") if args.planning else ("initial cycle", "created")
    print(
        f"{what}, {args.users:,} users (GoTo unlimited): {wall:.1f} s wall under the profiler, "
        f"{measured.cpu_s:.1f} s CPU, {created:,} {per}, {measured.calls}; "
        f"profiled {total:.1f} s busy (+{idle_seconds(stats):.1f} s waiting in epoll) = "
        f"{1000 * total / created:.2f} ms per {per} user "
        "(the profiler itself multiplies it by 2-4: compare shares, not absolutes)"
    )
    print("\n== own time per package (ms per created user) ==")
    for package, seconds in own_time_by_package(stats)[: args.top]:
        print(f"{1000 * seconds / created:8.3f} ms  {100 * seconds / total:5.1f} %  {package}")
    print("\n== product modules: their costliest entry, cumulative (ms per created user; nested) ==")
    for module, cum, name in product_modules(stats)[: args.top]:
        print(f"{1000 * cum / created:8.3f} ms  {module} ({name})")
    print("\n== the product's functions, by cumulative time (ms per created user) ==")
    print("     cum      own      calls  function")
    for where, cum, own, calls in product_hot_spots(stats, args.top):
        print(f"{1000 * cum / created:8.3f} {1000 * own / created:8.3f} {calls:10d}  {where}")
    for name in args.missing:
        found = name in sys.modules
        print(
            f"\nimport {name}: attempted {attempts.counts[name]:,} times "
            f"({'installed' if found else 'not installed: every attempt searched sys.path again'})"
        )
    print("\n== top functions by cumulative time ==")
    _print_stats(stats, "cumulative", args.top)
    print("== top functions by own time ==")
    _print_stats(stats, "tottime", args.top)
    if args.save:
        stats.dump_stats(args.save)


if __name__ == "__main__":
    main()
