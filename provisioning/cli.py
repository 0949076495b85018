"""`python -m provisioning …`: the same services as the Function app, for admins and scripts.

Exit codes (a contract for scripts): 0 = every operation applied; 1 = the cycle finished with failed
objects; 2 = it could not run (configuration, credentials, source read failure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from provisioning.config import load_settings
from provisioning.engine.cycle import LeaseHeldError
from provisioning.errors import ConfigError, SourceError, UnauthorizedError
from provisioning.progress import CycleProgress
from provisioning.report import render_summary, summary_dict
from provisioning.service import run_sync, settle_staged

EXIT_OK = 0
EXIT_FAILED_OBJECTS = 1
EXIT_CANNOT_RUN = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m provisioning", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="run one provisioning cycle now")
    sync.add_argument("--dry-run", action="store_true", help="read and plan, print the plan, write nothing")
    sync.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    staged = commands.add_parser(
        "staged", help="settle disables/deletes held by the accidental-deletion guard"
    )
    staged.add_argument("decision", choices=["approve", "reject"], help="apply them, or drop them")
    staged.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "sync":
        return _sync(dry_run=args.dry_run, as_json=args.json)
    if args.command == "staged":
        return _staged(approve=args.decision == "approve", as_json=args.json)
    raise AssertionError(args.command)


def _sync(*, dry_run: bool, as_json: bool) -> int:
    try:
        settings = load_settings()
        with CycleProgress() as progress:
            result = asyncio.run(run_sync(settings, dry_run=dry_run, progress=progress, initiated_by="cli"))
    except ConfigError as exc:
        return _cannot_run("configuration", str(exc), as_json)
    except UnauthorizedError as exc:
        return _cannot_run("credentials", f"GoTo refused the credentials ({exc.status}): {exc}", as_json)
    except SourceError as exc:
        return _cannot_run("source", f"reading Microsoft Graph failed: {exc}", as_json)
    if as_json:
        print(json.dumps(summary_dict(result), indent=2))
    else:
        print(render_summary(result))
    return EXIT_FAILED_OBJECTS if result.failures else EXIT_OK


def _staged(*, approve: bool, as_json: bool) -> int:
    try:
        settings = load_settings()
        result = asyncio.run(settle_staged(settings, approve=approve, initiated_by="cli"))
    except ConfigError as exc:
        return _cannot_run("configuration", str(exc), as_json)
    except UnauthorizedError as exc:
        return _cannot_run("credentials", f"GoTo refused the credentials ({exc.status}): {exc}", as_json)
    except LeaseHeldError as exc:
        return _cannot_run("busy", str(exc), as_json)
    if as_json:
        print(json.dumps(summary_dict(result), indent=2))
    else:
        verb = "applied" if approve else "dropped"
        print(f"{len(result.planned)} staged disables/deletes {verb}; quarantine for them lifted")
        print(render_summary(result))
    return EXIT_FAILED_OBJECTS if result.failures else EXIT_OK


def _cannot_run(kind: str, message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"status": "not-run", "errorKind": kind, "error": message}, indent=2))
    print(f"error ({kind}): {message}", file=sys.stderr)
    return EXIT_CANNOT_RUN
