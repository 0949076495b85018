"""`python -m provisioning.goto_auth authorize`: authorize GoTo from a terminal (loopback redirect).

`add_authorize_arguments` + `run_authorize` are what `python -m provisioning goto-authorize` needs.
Exit codes as `python -m provisioning`: 0 done; 2 could not run (settings, refused, timed out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from provisioning.errors import ConfigError, ProvisioningError
from provisioning.goto_auth.service import (
    DEFAULT_INTERACTIVE_TIMEOUT,
    AuthorizationSummary,
    authorize_interactively,
    open_token_store,
)
from provisioning.goto_auth.settings import GoToAuthSettings, load_goto_auth_settings

EXIT_OK = 0
EXIT_CANNOT_RUN = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m provisioning.goto_auth", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    authorize = commands.add_parser("authorize", help="consent in a browser; store GoTo's refresh token")
    add_authorize_arguments(authorize)
    return parser


def add_authorize_arguments(parser: argparse.ArgumentParser) -> None:
    """Shared with `python -m provisioning goto-authorize`."""
    parser.add_argument(
        "--port", type=int, default=0, help="loopback port of the redirect (default: a free one)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_INTERACTIVE_TIMEOUT, help="seconds to wait")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL; do not open a browser")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")


def run_authorize(args: argparse.Namespace) -> int:
    try:
        settings = load_goto_auth_settings()
        summary = asyncio.run(_authorize(args, settings))
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except ProvisioningError as exc:
        print(f"GoTo authorization failed: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        print(f"GoTo authorized for account {summary.account_key or '?'} as {summary.principal or '?'}.")
        print(f"Refresh token stored in {summary.store} (version {summary.version}).")
    return EXIT_OK


async def _authorize(args: argparse.Namespace, settings: GoToAuthSettings) -> AuthorizationSummary:
    store = open_token_store(settings)
    try:
        return await authorize_interactively(
            settings=settings,
            token_store=store,
            port=args.port,
            wait_seconds=args.timeout,
            open_browser=None if args.no_browser else _open_browser,
            announce=lambda text: print(text, file=sys.stderr),
        )
    finally:
        await store.close()


def _open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "authorize":
        return run_authorize(args)
    raise AssertionError(args.command)
