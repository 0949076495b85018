"""`python -m provisioning preview [USER_ID] [--mappings FILE] [--diff] [--json]`: what a mapping file
would send to GoTo, before it is deployed. Reads Graph and Table Storage, writes nothing anywhere.

- `preview USER_ID`: the user's GoTo payload (what a create sends), scope, and when the user is linked
  the update the next cycle would send (changed paths vs what was last written).
- `--mappings FILE`: preview that file instead of the deployed one (MAPPINGS_FILE, else built-in).
- `--diff` (needs `--mappings`): what the file would rewrite across the tenant: counts, then examples.

Exit 0, or 2 with one `error (<kind>): …` line (a bad id or file, Graph, Table Storage).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

from provisioning.api.http import GUID
from provisioning.cli.commands import cannot_run_error
from provisioning.config import Settings, load_settings
from provisioning.error_map import EXIT_OK
from provisioning.errors import InputError
from provisioning.mapping.file import MappingFileError, load_mappings
from provisioning.mapping.model import MappingFile
from provisioning.preview import preview_diff, preview_user
from provisioning.service import open_clients, open_state


def add_preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_id", nargs="?", metavar="USER_ID", help="the Entra object id of a user")
    parser.add_argument("--mappings", metavar="FILE", help="the mapping file to preview (default: deployed)")
    parser.add_argument("--diff", action="store_true", help="what FILE would rewrite across the tenant")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_preview(args: argparse.Namespace) -> int:
    return preview(args.user_id, args.mappings, diff=args.diff, as_json=args.json)


def preview(
    user_id: str | None,
    mappings_file: str | None,
    *,
    diff: bool,
    as_json: bool,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Arguments and the file are checked before any setting or I/O; then one read-only run."""
    try:
        chosen = _checked(user_id, mappings_file, diff)
        document = asyncio.run(_read(load_settings(environ), user_id, chosen, diff=diff))
    except Exception as exc:  # one line and exit 2, never a traceback
        return cannot_run_error(exc, as_json)
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        if not diff:
            lines = user_lines(document)
        else:
            lines = [*user_lines(document["user"]), ""] if "user" in document else []
            lines += diff_lines(document)
        print("\n".join(lines))
    return EXIT_OK


def _checked(user_id: str | None, mappings_file: str | None, diff: bool) -> MappingFile | None:
    if diff and not mappings_file:
        raise InputError("--diff", "compares a changed file with the deployed one: give --mappings FILE")
    if user_id is None and not diff:
        raise InputError("USER_ID", "give a user's Entra object id, or --diff with --mappings FILE")
    if user_id is not None and not GUID.match(user_id):
        raise InputError("USER_ID", f"must be an Entra object id (a GUID), got {user_id!r}")
    if not mappings_file:
        return None
    try:
        return load_mappings(mappings_file)
    except MappingFileError as exc:  # every problem, with its path in the file and its line
        problems = "; ".join(p.render() for p in exc.errors)
        raise InputError("--mappings", f"{exc.origin}: {len(exc.errors)} problem(s): {problems}") from None


async def _read(
    settings: Settings, user_id: str | None, chosen: MappingFile | None, *, diff: bool
) -> dict[str, Any]:
    """The user's preview and/or the tenant diff, as one document (the diff's, with `user` in it)."""
    deployed = load_mappings(settings.mappings_file)
    new = chosen or deployed
    document: dict[str, Any] = {}
    async with AsyncExitStack() as stack:
        clients = await stack.enter_async_context(open_clients(settings))
        state = open_state(settings)
        stack.push_async_callback(state.close)  # also when opening fails (a refused key): no leak
        await state.open()
        if user_id is not None:
            found = await preview_user(
                clients.source,
                state,
                sp_id=settings.service_principal_id,
                user_id=user_id.lower(),
                mapping=new.users,
                skip_out_of_scope_deletions=settings.skip_out_of_scope_deletions,
                hard_delete_action=settings.hard_delete_action,
            )
            document["user"] = {"mappings": new.origin, **found.as_dict()}
        if diff:
            tenant = await preview_diff(
                clients.source,
                state,
                sp_id=settings.service_principal_id,
                deployed=deployed.users,
                new=new.users,
                origins=(deployed.origin, new.origin),
            )
            document = {**tenant.as_dict(), **document}
    return document if diff else document["user"]


# text for people -------------------------------------------------------------------------------------


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def user_lines(user: Mapping[str, Any]) -> list[str]:
    """One user's preview (the JSON document's shape) as lines."""
    name = user["userPrincipalName"] or user["userId"]
    scope = ("in scope: " if user["inScope"] else "out of scope: ") + user["scope"]["reason"]
    lines = [f"user {user['userId']} ({name}) under {user['mappings']}", f"scope: {scope}"]
    lines.append("GoTo payload (what creating the account sends):")
    lines += ["  " + line for line in json.dumps(user["payload"], indent=2, ensure_ascii=False).splitlines()]
    link, update, action = user["link"], user["update"], user["action"]
    if link is None:
        next_step = f"{action}: {user['reason']}" if action != "none" else "nothing to do"
        if action == "create":  # matching needs GoTo, which a preview never asks
            next_step += " (or adopt a GoTo account that matches, if one exists)"
        lines.append(f"not linked to a GoTo account; the next cycle: {next_step}")
        return lines
    state = "active" if link["active"] else "disabled"
    lines.append(f"linked to GoTo account {link['targetId']} ({state}); the next cycle: {action}")
    if not update:
        lines.append("  nothing to send: GoTo already has what this mapping writes")
    for change in update:
        lines.append(f"  {change['attribute']}: {_value(change['old'])} -> {_value(change['new'])}")
    return lines


def diff_lines(diff: Mapping[str, Any]) -> list[str]:
    """The tenant diff (the JSON document's shape) as lines: counts first, then examples."""
    lines = [f"diff: {diff['deployed']} (deployed) -> {diff['new']}"]
    if diff["sameMapping"]:
        lines.append("the two files mean the same mapping: deploying it rewrites nothing")
    lines.append(
        f"read {diff['usersRead']} users: {diff['assignedUsers']} assigned, "
        f"{diff['linkedUsersCompared']} linked and in scope under both"
    )
    lines.append(f"users whose payload changes: {diff['usersWithPayloadChanges']}")
    for path, counts in diff["attributes"].items():
        lines.append(
            f"  {path}: {counts['changed']} changed, {counts['set']} set, {counts['cleared']} cleared"
        )
    for key, verb in (("leaveScope", "leave"), ("enterScope", "enter")):
        part = diff[key]
        shown = f" (e.g. {', '.join(part['examples'])})" if part["examples"] else ""
        lines.append(f"users who would {verb} scope through the scoping filters: {part['count']}{shown}")
    if diff["noLongerWritten"]:
        kept = ", ".join(diff["noLongerWritten"])
        lines.append(f"no longer written (GoTo keeps its current values): {kept}")
    failing = diff["unmappable"]
    if failing["count"]:
        lines.append(f"users FILE cannot map (a cycle would fail them): {failing['count']}")
        lines += [f"  {e['user']}: {e['error']}" for e in failing["examples"]]
    if diff["examples"]:
        lines.append("examples:")
    for example in diff["examples"]:
        old, new = _value(example["old"]), _value(example["new"])
        lines.append(f"  {example['user']}  {example['attribute']}: {old} -> {new}")
    return lines
