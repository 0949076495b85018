"""The CLI's commands: each loads the settings, calls the same services as the Function app, prints
(through provisioning.cli.render, or JSON) and returns the exit code of the contract in
provisioning/cli/__init__.py. Anything that stops a command is one line on stderr and exit 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

import httpx
from azure.core.exceptions import AzureError

from provisioning.api.http import GUID, ApiError, ApiRequest, bad_request
from provisioning.api.logs import LogsRequest, _short, page_dict, parse_logs_request, read_page, records_csv
from provisioning.api.status import build_status
from provisioning.cli.progress import CycleProgress
from provisioning.cli.render import check_lines, provision_lines, record_line, render_status, render_summary
from provisioning.config import Settings, load_settings
from provisioning.diagnostics import test_connection
from provisioning.engine.admin import restart
from provisioning.engine.cycle import CycleResult
from provisioning.engine.lease import LEASE_TTL_SECONDS
from provisioning.engine.on_demand import OnDemand
from provisioning.error_map import EXIT_CANNOT_RUN, EXIT_FAILED_OBJECTS, EXIT_OK, map_error
from provisioning.errors import InputError
from provisioning.mapping.file import load_mappings
from provisioning.model import AuditRecord
from provisioning.report import summary_dict
from provisioning.service import open_services, open_state, run_sync, settle_staged
from provisioning.state.audit_log import AuditLog, AuditPage
from provisioning.state.tables import TableState

CLI_LEASE_WAIT_SECONDS = LEASE_TTL_SECONDS + 2.0  # a dead run's lease has at most its TTL left
LOG_FORMATS = ("table", "json", "csv")


# commands that run a cycle ----------------------------------------------------------------------------


def sync(*, dry_run: bool, as_json: bool) -> int:
    def run(settings: Settings) -> CycleResult:
        mapping = load_mappings(settings.mappings_file)  # a broken file stops here, no progress
        with CycleProgress() as progress:
            return asyncio.run(
                run_sync(
                    settings,
                    dry_run=dry_run,
                    progress=progress,
                    initiated_by="cli",
                    lease_wait=CLI_LEASE_WAIT_SECONDS,
                    on_lease_wait=_tell_waiting,
                    mapping=mapping,
                )
            )

    return _cycle_command(run, as_json=as_json)


def staged(*, approve: bool, as_json: bool) -> int:
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
        return cannot_run_error(exc, as_json)
    if as_json:
        print(json.dumps(summary_dict(result), indent=2))
    else:
        if headline is not None:
            print(headline(result))
        print(render_summary(result))
    return EXIT_FAILED_OBJECTS if result.failures else EXIT_OK


def _tell_waiting(holder: str, seconds: float) -> None:
    print(f"waiting up to {seconds:.0f} s for the single-flight lease held by {holder} ...", file=sys.stderr)


# commands that run once against the services --------------------------------------------------------


def run(command: Callable[[Settings], Coroutine[Any, Any, int]]) -> int:
    """Settings, then the command; anything that stops it from running is exit 2 with a clear line."""
    try:
        return asyncio.run(command(load_settings()))
    except Exception as exc:
        return cannot_run_error(exc, False)


async def check_connection(settings: Settings, *, as_json: bool) -> int:
    checks = await test_connection(settings)
    if as_json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        for check in checks:
            print("\n".join(check_lines(check)))
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED_OBJECTS


async def provision(
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
        print("\n".join(provision_lines(result)))
    return EXIT_FAILED_OBJECTS if any(r["status"] == "failure" for r in results) else EXIT_OK


async def restart_job(settings: Settings, *, reset_links: bool) -> int:
    async with open_services(settings) as services:
        answer = await restart(services.engine(settings), reset_links=reset_links)
    print(json.dumps(answer, indent=2))
    return EXIT_OK


async def status(settings: Settings, *, as_json: bool) -> int:
    async with open_state(settings) as state:
        return await status_command(state=state, settings=settings, out=sys.stdout, as_json=as_json)


async def logs(settings: Settings, filters: dict[str, str], *, fmt: str, all_pages: bool) -> int:
    async with open_state(settings) as state:
        assert state.audit_log is not None
        return await logs_command(
            filters, log=state.audit_log, out=sys.stdout, fmt=fmt, all_pages=all_pages, err=sys.stderr
        )


# status and logs, on any state and streams ------------------------------------------------------------


async def status_command(*, state: TableState, settings: Settings, out: TextIO, as_json: bool) -> int:
    """`status`: the same document as GET /api/status, as JSON or as a few readable lines."""
    document = await build_status(state=state, settings=settings, now=datetime.now(UTC))
    if as_json:
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write("\n".join(render_status(document)) + "\n")
    return 0


async def logs_command(
    filters: Mapping[str, str],
    *,
    log: AuditLog,
    out: TextIO,
    fmt: str = "table",
    all_pages: bool = False,
    err: TextIO | None = None,
) -> int:
    """`logs`: `filters` are the HTTP query parameters by name (cycleId, entraId, gotoId, action,
    status, from, to, top, continuationToken), checked by the API's own parser; `fmt` is table,
    json or csv (the API's CSV export); `all_pages` follows the continuation tokens to the end (for
    an export). Exit code 0, or 2 for bad input."""
    errors = err if err is not None else sys.stderr
    try:
        if fmt not in LOG_FORMATS:
            raise bad_request("format", f"must be one of {', '.join(LOG_FORMATS)}, got {_short(fmt)}")
        if "format" in filters:
            raise bad_request("format", "is chosen with --format")
        parsed = parse_logs_request(ApiRequest("GET", "/api/logs", params=dict(filters)))
        records, token = await _collect(log, parsed, all_pages=all_pages)
    except ApiError as exc:
        print(f"error: {exc.message}", file=errors)
        return 2
    if fmt == "json":
        out.write(json.dumps(page_dict(AuditPage(records, token)), indent=2) + "\n")
    elif fmt == "csv":
        out.write(records_csv(records))
        if token:
            print(f"more records: continue with continuationToken={token}", file=errors)
    else:
        for record in records:
            out.write(record_line(record) + "\n")
        if not records:
            out.write("no records\n")
        if token:
            out.write(f"more records: continue with continuationToken={token}\n")
    return 0


async def _collect(
    log: AuditLog, parsed: LogsRequest, *, all_pages: bool
) -> tuple[list[AuditRecord], str | None]:
    page = await read_page(log, parsed)
    records = list(page.records)
    while all_pages and page.continuation_token:
        parsed = LogsRequest(parsed.query, parsed.top, page.continuation_token, parsed.format)
        page = await read_page(log, parsed)
        records += page.records
    return records, page.continuation_token


# when a command cannot run ----------------------------------------------------------------------------


def cannot_run_error(exc: Exception, as_json: bool) -> int:
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
