"""`python -m provisioning …`: the same services as the Function app, for admins and scripts.

Exit codes (a contract for scripts): 0 = every operation applied (PROVISIONING_ENABLED=false is a
state, printed, exit 0); 1 = the cycle finished with failed objects; 2 = it did not run, or stopped
(configuration, input, credentials, Graph, Table Storage, busy lease, interrupted), one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from provisioning.cli import commands, mappings
from provisioning.cli.check_mappings import add_check_mappings_arguments, run_check_mappings
from provisioning.cli.commands import LOG_FORMATS
from provisioning.cli.drift import add_drift_arguments, run_drift_command
from provisioning.cli.licenses import add_licenses_arguments, run_licenses
from provisioning.cli.preview import add_preview_arguments, run_preview
from provisioning.goto_auth.cli import add_authorize_arguments, run_authorize

LOG_FILTER_FLAGS = {
    "--cycle-id": "cycleId",
    "--entra-id": "entraId",
    "--goto-id": "gotoId",
    "--action": "action",
    "--status": "status",
    "--from": "from",
    "--to": "to",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m provisioning", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    sync = subcommands.add_parser("sync", help="run one provisioning cycle now")
    sync.add_argument("--dry-run", action="store_true", help="read and plan, print the plan, write nothing")
    sync.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    check = subcommands.add_parser("test-connection", help="check GoTo, Graph and Table Storage, with hints")
    check.add_argument("--json", action="store_true", help="print the checks as JSON")
    provision = subcommands.add_parser("provision", help="provision one user (or a group's members) now")
    provision.add_argument("kind", choices=["user", "group"])
    provision.add_argument("id", help="the Entra object id")
    provision.add_argument("--dry-run", action="store_true", help="show the steps, write nothing to GoTo")
    provision.add_argument("--member", action="append", dest="members", help="a group's member id (up to 5)")
    restart_cmd = subcommands.add_parser("restart", help="clear watermarks: the next cycle is a full one")
    restart_cmd.add_argument("--reset-links", action="store_true", help="also forget Entra-GoTo links")
    status_cmd = subcommands.add_parser(
        "status", help="on/off, the running and last cycles, quarantine, retries"
    )
    status_cmd.add_argument("--json", action="store_true", help="print the status document as JSON")
    logs_cmd = subcommands.add_parser("logs", help="the provisioning logs (audit records), newest first")
    for flag, name in LOG_FILTER_FLAGS.items():
        logs_cmd.add_argument(flag, dest=name, help=f"filter: {name}")
    logs_cmd.add_argument("--top", help="records per page (default 100)")
    logs_cmd.add_argument("--continuation-token", dest="continuationToken", help="the next page")
    logs_cmd.add_argument("--format", choices=list(LOG_FORMATS), default="table")
    logs_cmd.add_argument("--all", action="store_true", help="every page (an export)")
    add_authorize_arguments(
        subcommands.add_parser("goto-authorize", help="connect GoTo (OAuth, loopback redirect)")
    )
    staged = subcommands.add_parser(
        "staged", help="settle disables/deletes held by the accidental-deletion guard"
    )
    staged.add_argument("decision", choices=["approve", "reject"], help="apply them, or drop them")
    staged.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    mappings.add_arguments(subcommands)
    add_check_mappings_arguments(
        subcommands.add_parser(
            "check-mappings", help="check a mapping file (MAPPINGS_FILE, else the built-in default)"
        )
    )
    add_preview_arguments(
        subcommands.add_parser("preview", help="what a mapping file sends a user; --diff: across the tenant")
    )
    add_licenses_arguments(
        subcommands.add_parser("licenses", help="the GoTo account's licenses, to map app roles to")
    )
    add_drift_arguments(
        subcommands.add_parser("drift", help="GoTo accounts that differ from Entra; --repair fixes them")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "sync":
        return commands.sync(dry_run=args.dry_run, as_json=args.json)
    if args.command == "staged":
        return commands.staged(approve=args.decision == "approve", as_json=args.json)
    if args.command == "mappings":
        return mappings.run(args)
    if args.command == "check-mappings":
        return run_check_mappings(args)
    if args.command == "preview":
        return run_preview(args)
    if args.command == "goto-authorize":
        return run_authorize(args)
    if args.command == "licenses":
        return run_licenses(args)
    if args.command == "drift":
        return run_drift_command(args)
    if args.command == "test-connection":
        return commands.run(lambda settings: commands.check_connection(settings, as_json=args.json))
    if args.command == "provision":
        return commands.run(
            lambda settings: commands.provision(
                settings, args.kind, args.id, args.members, dry_run=args.dry_run
            )
        )
    if args.command == "status":
        return commands.run(lambda settings: commands.status(settings, as_json=args.json))
    if args.command == "logs":
        names = [*LOG_FILTER_FLAGS.values(), "top", "continuationToken"]
        filters = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
        return commands.run(
            lambda settings: commands.logs(settings, filters, fmt=args.format, all_pages=args.all)
        )
    if args.command == "restart":
        return commands.run(lambda settings: commands.restart_job(settings, reset_links=args.reset_links))
    raise AssertionError(args.command)
