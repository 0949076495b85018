"""`python -m provisioning mappings eval|scope`: Entra's expression language and scoping filters on
the command line, for admins trying a mapping and for tools that drive it (a contract, see README).

Neither needs settings, Azure or GoTo: they are pure. Errors are the CLI's usual one line on stderr
(`error (configuration): --expression: at column 12: …`) and exit 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from provisioning.cli.commands import cannot_run_error
from provisioning.error_map import EXIT_OK
from provisioning.errors import ConfigError


def add_arguments(subcommands: Any) -> None:
    """The `mappings` subcommand and its `eval` and `scope` actions."""
    mappings = subcommands.add_parser("mappings", help="try an expression or scoping filters on attributes")
    actions = mappings.add_subparsers(dest="mappings_command", required=True)
    evaluate = actions.add_parser("eval", help='evaluate an expression: prints {"value": …, "flow": …}')
    evaluate.add_argument("--expression", required=True, help="the expression, in Entra's syntax")
    evaluate.add_argument("--attributes", required=True, help="the source object's attributes (JSON object)")
    evaluate.add_argument(
        "--existing", help="values that already exist in the target, for SelectUniqueValue (JSON list)"
    )
    scope = actions.add_parser("scope", help="whether scoping filters let an object in: prints true or false")
    scope.add_argument("--filters", required=True, help="a JSON list of filters, each a list of clauses")
    scope.add_argument("--attributes", required=True, help="the source object's attributes (JSON object)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.mappings_command == "eval":
            print(evaluate(args.expression, args.attributes, args.existing))
        else:
            print(scope(args.filters, args.attributes))
    except Exception as exc:
        return cannot_run_error(exc, False)
    return EXIT_OK


def evaluate(expression: str, attributes_json: str, existing_json: str | None) -> str:
    """The JSON line `mappings eval` prints."""
    from provisioning.mapping.expressions import parse  # lark loads only for this command

    compiled = parse(expression, setting="--expression")
    attributes = _json_object(attributes_json, "--attributes")
    existing: set[str] | None = None
    if existing_json is not None:
        values = _json(existing_json, "--existing")
        if not isinstance(values, list) or not all(isinstance(v, str | int | float) for v in values):
            raise ConfigError("--existing", 'must be a JSON list of values, e.g. ["a@contoso.com"]')
        existing = {str(v) for v in values}
    result = compiled.evaluate(attributes, existing=None if existing is None else existing.__contains__)
    return json.dumps({"value": result.value, "flow": result.flow}, ensure_ascii=False)


def scope(filters_json: str, attributes_json: str) -> str:
    """`true` or `false`, as `mappings scope` prints it."""
    from provisioning.mapping.scoping import parse_filters

    filters = parse_filters(_json(filters_json, "--filters"), setting="--filters")
    return "true" if filters.matches(_json_object(attributes_json, "--attributes")) else "false"


def _json(text: str, flag: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(flag, f"not valid JSON ({exc.msg} at column {exc.colno})") from None


def _json_object(text: str, flag: str) -> dict[str, Any]:
    value = _json(text, flag)
    if not isinstance(value, dict):
        raise ConfigError(
            flag, f'must be a JSON object, e.g. {{"givenName": "Ada"}}, got {type(value).__name__}'
        )
    return value
