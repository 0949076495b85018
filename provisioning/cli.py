"""`python -m provisioning …`: the same services as the Function app, for admins and scripts.

Exit codes (a contract for scripts): 0 = every operation applied (PROVISIONING_ENABLED=false is a
state, printed, exit 0); 1 = the cycle finished with failed objects; 2 = it did not run, or stopped
(configuration, input, credentials, Graph, Table Storage, busy lease, interrupted), one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import httpx
from azure.core.exceptions import AzureError

from provisioning.api.http import GUID
from provisioning.api.logs import logs_command
from provisioning.api.status import status_command
from provisioning.config import Settings, load_settings
from provisioning.diagnostics import test_connection
from provisioning.engine.admin import restart
from provisioning.engine.cycle import CycleResult
from provisioning.engine.lease import LEASE_TTL_SECONDS
from provisioning.engine.on_demand import OnDemand
from provisioning.error_map import EXIT_CANNOT_RUN, EXIT_FAILED_OBJECTS, EXIT_OK, map_error
from provisioning.errors import InputError
from provisioning.goto_auth.cli import add_authorize_arguments, run_authorize
from provisioning.progress import CycleProgress
from provisioning.report import render_summary, summary_dict
from provisioning.service import open_services, open_state, run_sync, settle_staged

LOG_FILTER_FLAGS = {
    "--cycle-id": "cycleId",
    "--entra-id": "entraId",
    "--goto-id": "gotoId",
    "--action": "action",
    "--status": "status",
    "--from": "from",
    "--to": "to",
}
CLI_LEASE_WAIT_SECONDS = LEASE_TTL_SECONDS + 2.0  # a dead run's lease has at most its TTL left


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m provisioning", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="run one provisioning cycle now")
    sync.add_argument("--dry-run", action="store_true", help="read and plan, print the plan, write nothing")
    sync.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    check = commands.add_parser("test-connection", help="check GoTo, Graph and Table Storage, with hints")
    check.add_argument("--json", action="store_true", help="print the checks as JSON")
    provision = commands.add_parser("provision", help="provision one user (or a group's members) now")
    provision.add_argument("kind", choices=["user", "group"])
    provision.add_argument("id", help="the Entra object id")
    provision.add_argument("--dry-run", action="store_true", help="show the steps, write nothing to GoTo")
    provision.add_argument("--member", action="append", dest="members", help="a group's member id (up to 5)")
    restart_cmd = commands.add_parser("restart", help="clear watermarks: the next cycle is a full one")
    restart_cmd.add_argument("--reset-links", action="store_true", help="also forget Entra-GoTo links")
    status_cmd = commands.add_parser(
        "status", help="on/off, the running and last cycles, quarantine, retries"
    )
    status_cmd.add_argument("--json", action="store_true", help="print the status document as JSON")
    logs_cmd = commands.add_parser("logs", help="the provisioning logs (audit records), newest first")
    for flag, name in LOG_FILTER_FLAGS.items():
        logs_cmd.add_argument(flag, dest=name, help=f"filter: {name}")
    logs_cmd.add_argument("--top", help="records per page (default 100)")
    logs_cmd.add_argument("--continuation-token", dest="continuationToken", help="the next page")
    logs_cmd.add_argument("--format", choices=["table", "json", "csv"], default="table")
    logs_cmd.add_argument("--all", action="store_true", help="every page (an export)")
    add_authorize_arguments(
        commands.add_parser("goto-authorize", help="connect GoTo (OAuth, loopback redirect)")
    )
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
    if args.command == "goto-authorize":
        return run_authorize(args)
    if args.command == "test-connection":
        return _run(lambda settings: _test_connection(settings, as_json=args.json))
    if args.command == "provision":
        return _run(
            lambda settings: _provision(settings, args.kind, args.id, args.members, dry_run=args.dry_run)
        )
    if args.command == "status":
        return _run(lambda s: _status(s, as_json=args.json))
    if args.command == "logs":
        names = [*LOG_FILTER_FLAGS.values(), "top", "continuationToken"]
        filters = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
        return _run(lambda s: _logs(s, filters, fmt=args.format, all_pages=args.all))
    if args.command == "restart":
        return _run(lambda settings: _restart(settings, reset_links=args.reset_links))
    raise AssertionError(args.command)


def _sync(*, dry_run: bool, as_json: bool) -> int:
    def run(settings: Settings) -> CycleResult:
        with CycleProgress() as progress:
            return asyncio.run(
                run_sync(
                    settings,
                    dry_run=dry_run,
                    progress=progress,
                    initiated_by="cli",
                    lease_wait=CLI_LEASE_WAIT_SECONDS,
                    on_lease_wait=_tell_waiting,
                )
            )

    return _cycle_command(run, as_json=as_json)


def _staged(*, approve: bool, as_json: bool) -> int:
    def run(settings: Settings) -> CycleResult:
        return asyncio.run(
            settle_staged(settings, approve=approve, initiated_by="cli", lease_wait=CLI_LEASE_WAIT_SECONDS)
        )

    verb = "applied" if approve else "dropped"
    return _cycle_command(
        run, as_json=as_json, headline=lambda r: f"{len(r.planned)} staged disables/deletes {verb}"
    )


def _cycle_command(
    run: Callable[[Settings], CycleResult],
    *,
    as_json: bool,
    headline: Callable[[CycleResult], str] | None = None,
) -> int:
    """A command that runs a cycle: its summary and exit code 0/1, or one line and exit 2."""
    try:
        result = run(load_settings())
    except Exception as exc:  # anything that stopped the run: one line, never a traceback
        return _cannot_run_error(exc, as_json)
    if as_json:
        print(json.dumps(summary_dict(result), indent=2))
    else:
        if headline is not None:
            print(headline(result))
        print(render_summary(result))
    return EXIT_FAILED_OBJECTS if result.failures else EXIT_OK


def _tell_waiting(holder: str, seconds: float) -> None:
    print(f"waiting up to {seconds:.0f} s for the single-flight lease held by {holder} ...", file=sys.stderr)


def _run(command: Callable[[Settings], Coroutine[Any, Any, int]]) -> int:
    """Settings, then the command; anything that stops it from running is exit 2 with a clear line."""
    try:
        return asyncio.run(command(load_settings()))
    except Exception as exc:
        return _cannot_run_error(exc, False)


async def _test_connection(settings: Settings, *, as_json: bool) -> int:
    checks = await test_connection(settings)
    if as_json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    for c in checks:
        if not as_json:
            print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail if c.ok else c.error}")
            if c.hint and not c.ok:
                print(f"     hint: {c.hint}")
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED_OBJECTS


async def _provision(
    settings: Settings, kind: str, entra_id: str, members: list[str] | None, *, dry_run: bool
) -> int:
    if not GUID.match(entra_id):
        raise InputError("id", f"must be an Entra object id (a GUID), got {entra_id!r}")
    async with open_services(settings) as services:
        on_demand = OnDemand(services.engine(settings))
        if kind == "user":
            results = [(await on_demand.provision_user(entra_id.lower(), dry_run=dry_run)).as_dict()]
        else:
            answer = await on_demand.provision_group(entra_id.lower(), member_ids=members, dry_run=dry_run)
            results = answer["members"]
    for result in results:
        print(f"{result['entraId']}: {result['action']} -> {result['status']}")
        for step in result["provisioningSteps"]:
            print(f"  [{step['provisioningStepType']:<10}] {step['status']:<8} {step['description']}")
    return EXIT_FAILED_OBJECTS if any(r["status"] == "failure" for r in results) else EXIT_OK


async def _status(settings: Settings, *, as_json: bool) -> int:
    async with open_state(settings) as state:
        return await status_command(state=state, settings=settings, out=sys.stdout, as_json=as_json)


async def _logs(settings: Settings, filters: dict[str, str], *, fmt: str, all_pages: bool) -> int:
    async with open_state(settings) as state:
        assert state.audit_log is not None
        return await logs_command(
            filters, log=state.audit_log, out=sys.stdout, fmt=fmt, all_pages=all_pages, err=sys.stderr
        )


async def _restart(settings: Settings, *, reset_links: bool) -> int:
    async with open_services(settings) as services:
        answer = await restart(services.engine(settings), reset_links=reset_links)
    print(json.dumps(answer, indent=2))
    return EXIT_OK


def _cannot_run_error(exc: Exception, as_json: bool) -> int:
    """Exit 2 with one line naming what failed; only a bug (not in the error table) is re-raised."""
    mapped = map_error(exc)
    if mapped is not None:
        message = mapped.message + (f" (hint: {mapped.hint})" if mapped.hint else "")
        return _cannot_run(mapped.kind, message, as_json)
    if isinstance(exc, AzureError):
        return _cannot_run("storage", f"an Azure service failed: {type(exc).__name__}: {exc}", as_json)
    if isinstance(exc, (OSError, httpx.TransportError)):
        return _cannot_run("network", f"{type(exc).__name__}: {exc}", as_json)
    raise exc


def _cannot_run(kind: str, message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"status": "not-run", "errorKind": kind, "error": message}, indent=2))
    print(f"error ({kind}): {message}", file=sys.stderr)
    return EXIT_CANNOT_RUN
