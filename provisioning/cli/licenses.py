"""`python -m provisioning licenses [--json]`: the GoTo account's licenses (key, products, seats, users,
enabled) from the Admin API, so the admin can pick the keys the mapping file's `licenses` names.

Reads only. Exit 0; a bad setting, or GoTo unreachable or refusing the credentials (the Admin API
needs the `identity:` scope), is one `error (<kind>): …` line and exit 2, as every command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from provisioning.cli.commands import cannot_run_error
from provisioning.config import Settings, load_settings
from provisioning.error_map import EXIT_OK
from provisioning.mapping.file import MappingFileError, load_mappings
from provisioning.service import open_clients


def add_licenses_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_licenses(args: argparse.Namespace) -> int:
    return licenses(as_json=args.json)


def licenses(*, as_json: bool, environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    try:
        document = asyncio.run(_read(load_settings(environ)))
    except Exception as exc:  # one line and exit 2, never a traceback
        return cannot_run_error(exc, as_json)
    if as_json:
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        _print_table(document, stream)
    return EXIT_OK


async def _read(settings: Settings) -> dict[str, Any]:
    async with open_clients(settings) as clients:
        account = await clients.licenses.get_account_key()
        found = await clients.licenses.list_licenses()
    mapped = _mapped_roles(settings)
    return {
        "accountKey": account,
        "licenses": [{**lic.as_dict(), "roles": mapped.get(lic.key, [])} for lic in found],
        "unknownMappedKeys": sorted(set(mapped) - {lic.key for lic in found}),
    }


def _mapped_roles(settings: Settings) -> dict[str, list[str]]:
    """License key -> the app roles MAPPINGS_FILE gives it; a broken file only hides the column."""
    try:
        configured = load_mappings(settings.mappings_file).licenses
    except MappingFileError:
        return {}
    roles: dict[str, list[str]] = {}
    for role, keys in sorted(configured.items()):
        for key in keys:
            roles.setdefault(key, []).append(role)
    return roles


def license_rows(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str, str, str]]:
    """The table's rows as text: pure, so what the table says is tested without a terminal."""
    rows = []
    for item in items:
        seats = "?" if item["seats"] is None else str(item["seats"])
        rows.append(
            (
                str(item["key"]),
                ", ".join(item["products"]) or "-",
                seats,
                str(item["users"]),
                "yes" if item["enabled"] else "no",
                ", ".join(item.get("roles") or []) or "-",
            )
        )
    return rows


def _print_table(document: Mapping[str, Any], out: TextIO) -> None:
    console = Console(file=out, width=200 if not out.isatty() else None, highlight=False)
    items = document["licenses"]
    if not items:
        console.print(f"account {document['accountKey']}: no licenses")
    else:
        table = Table(title=f"GoTo licenses of account {document['accountKey']}", title_justify="left")
        for column in ("key", "products", "seats", "users", "enabled", "mapped roles"):
            table.add_column(column, no_wrap=True)
        for row in license_rows(items):
            table.add_row(*row)
        console.print(table)
    for key in document["unknownMappedKeys"]:
        console.print(f"warning: MAPPINGS_FILE maps roles to license {key}, which this account does not have")
