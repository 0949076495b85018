"""`python -m provisioning drift [--format table|json|csv] [--repair] [--deactivate-orphans] [--apply]
[--estimate-only]`: the drift report (docs/drift.md), and its repair.

- The estimate (GoTo's user count at GOTO_RATE_LIMIT_PER_SECOND) is printed before the read starts:
  on stdout for `table`, on stderr for `json` and `csv` (stdout stays one document).
- `--repair` (edited accounts, users without one) and `--deactivate-orphans` show what they would
  send; `--apply` sends it through the normal apply path (audit records, links).

Exit 0 (drift found or not), 1 when an applied repair had failed objects, 2 with one
`error (<kind>): …` line when it cannot run (bad input, a setting, Graph, GoTo, Table Storage).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from typing import Any

from provisioning.cli.commands import cannot_run_error
from provisioning.config import load_settings
from provisioning.drift.report import Estimate, changes_text, drift_csv, drift_lines
from provisioning.drift.run import Request, run_drift
from provisioning.error_map import EXIT_FAILED_OBJECTS, EXIT_OK
from provisioning.errors import InputError

FORMATS = ("table", "json", "csv")


def add_drift_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="how to print the report")
    parser.add_argument("--repair", action="store_true", help="fix edited accounts and users without one")
    parser.add_argument(
        "--deactivate-orphans", action="store_true", help="deactivate orphans (within DEPROVISION_THRESHOLD)"
    )
    parser.add_argument("--apply", action="store_true", help="send the repair (without: a dry run)")
    parser.add_argument("--estimate-only", action="store_true", help="print the time estimate, read nothing")


def run_drift_command(args: argparse.Namespace) -> int:
    return drift(
        Request(
            repair=args.repair,
            deactivate_orphans=args.deactivate_orphans,
            apply=args.apply,
            estimate_only=args.estimate_only,
        ),
        fmt=args.format,
    )


def drift(asked: Request, *, fmt: str = "table", environ: Mapping[str, str] | None = None) -> int:
    """Arguments are checked before any setting or I/O; the estimate is printed before the read."""
    as_json = fmt == "json"

    def tell(found: Estimate) -> None:
        print(found.line(), file=sys.stdout if fmt == "table" else sys.stderr, flush=True)

    try:
        _check(asked, fmt)
        document = asyncio.run(run_drift(load_settings(environ), asked, on_estimate=tell))
    except Exception as exc:  # one line and exit 2, never a traceback
        return cannot_run_error(exc, as_json)
    if asked.estimate_only:
        if as_json:
            print(json.dumps(document, indent=2))
        return EXIT_OK
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        sys.stdout.write(drift_csv(document))
    else:
        lines = drift_lines(document)
        if "repair" in document:
            lines += ["", *repair_lines(document["repair"])]
        print("\n".join(lines))
    repair = document.get("repair")
    return EXIT_FAILED_OBJECTS if repair and repair["failures"] else EXIT_OK


def _check(asked: Request, fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError("--format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if asked.apply and not (asked.repair or asked.deactivate_orphans):
        raise InputError("--apply", "applies a repair: add --repair and/or --deactivate-orphans")
    if asked.estimate_only and (asked.repair or asked.deactivate_orphans or asked.apply):
        raise InputError("--estimate-only", "prints the estimate alone: it takes no repair")


def repair_lines(repair: Mapping[str, Any]) -> list[str]:
    """The repair part of the document as lines: what is (or was) sent, what was refused."""
    operations = repair["operations"]
    if repair["dryRun"]:
        head = f"repair, dry run (nothing written; --apply sends it): {len(operations)} operations"
    else:
        head = f"repair applied in run {repair['cycleId']}: {len(operations)} operations"
    lines = [f"{head}, about {repair['estimatedSeconds']:g} s of GoTo writes"]
    for op in operations:
        target = f" GoTo {op['gotoId']}" if op["gotoId"] else ""
        lines.append(f"  {op['action']:<8} {op['name'] or op['entraId']}{target}")
        if op["changes"] and op["action"] == "update":
            lines.append(f"           {changes_text(_as_shown(op['changes']))}")
    for key in ("refused", "notApplied"):
        if repair[key]:
            lines.append(f"not done: {repair[key]}")
    if not repair["dryRun"]:
        counts = ", ".join(f"{k} {n}" for k, n in repair["counts"].items()) or "nothing"
        lines.append(f"outcomes: {counts} (python -m provisioning logs --cycle-id {repair['cycleId']})")
    return lines


def _as_shown(changes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"attribute": c["attribute"], "goto": c["old"], "mapping": c["new"]} for c in changes]
