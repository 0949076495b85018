"""`make demo`: the product's main job on the local sandbox, start to finish.

Starts Azurite and both simulators, seeds a tenant, runs an initial cycle with the real CLI
(`python -m provisioning sync`), changes the tenant (rename, disable, unassign, new group member,
hard delete), runs an incremental cycle, prints both summaries and the second cycle's audit lines,
then stops everything it started.

`make demo KEEP=1` (`python -m sandbox.demo --keep`) then stages deprovisions (a group unassigned
over a low DEPROVISION_THRESHOLD) and leaves the sandbox running behind `FunctionHost`, a small
local HTTP server that serves the Function app's HTTP routes as the Functions host would (function
key checked, anonymous routes open) and runs the timer's cycle every minute; it prints the status
page's URL and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func

from provisioning.config import load_settings
from provisioning.report import render_audit
from provisioning.service import run_sync
from provisioning.state.tables import TableState
from sandbox._server import ServerThread
from sandbox.world import World, environment, running_world

KEY_HEADER = "x-functions-key"
STAGING_THRESHOLD = "3"  # the KEEP step unassigns a whole group: more disables than this are staged


# the scenario ------------------------------------------------------------------------------------

Sync = Callable[[World, str, dict[str, str]], None]


def cli_sync(world: World, title: str, overrides: dict[str, str]) -> None:
    """One cycle with the real CLI in a child process, as an admin would run it."""
    print(f"\n=== {title}: python -m provisioning sync", flush=True)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "sync"],
        env={**os.environ, **world.env(**overrides)},
        check=False,
        text=True,
    )
    print(f"(exit code {done.returncode}, {time.monotonic() - started:.1f}s wall)", flush=True)
    if done.returncode == 2:
        raise SystemExit("the cycle could not run; see the error above")


def play(world: World, sync: Sync, *, stage: bool = False, **env: str) -> dict[str, Any]:
    """The demo's tenant and its cycles; `stage` adds a cycle whose deprovisions are held."""
    seeded = world.seed_demo_tenant()
    tenant = world.graph.tenant
    print(
        f"tenant: {len(tenant.users())} users, {len(tenant.groups())} groups; "
        f"assigned: {len(seeded['assigned_groups'])} groups + {len(seeded['direct'])} users directly, "
        f"1 Default Access user, 1 disabled user; 1 GoTo account already exists",
        flush=True,
    )
    sync(world, "initial cycle", env)

    renamed, disabled = seeded["in_scope"][1], seeded["in_scope"][2]
    unassigned, deleted = seeded["direct"][0], seeded["in_scope"][3]
    joiner = seeded["outside"][0]
    tenant.update_user(renamed, displayName="Renamed Person", surname="Person")
    tenant.disable_user(disabled)
    tenant.unassign(unassigned)
    tenant.add_member(seeded["assigned_groups"][0], joiner)
    tenant.hard_delete_user(deleted)
    print(
        "\nchanges in Entra: 1 rename, 1 disable, 1 direct assignment removed, "
        "1 new member of an assigned group, 1 hard delete",
        flush=True,
    )
    sync(world, "incremental cycle", env)
    if stage:
        tenant.unassign(seeded["assigned_groups"][1])
        print(f"\nchanges in Entra: group {seeded['assigned_groups'][1]} unassigned", flush=True)
        sync(world, f"staging cycle (DEPROVISION_THRESHOLD={STAGING_THRESHOLD})", env | _staging())
    return seeded


def _staging() -> dict[str, str]:
    return {"DEPROVISION_THRESHOLD": STAGING_THRESHOLD}


async def _last_cycle_audit(world: World) -> list[str]:
    async with TableState.from_connection_string(
        world.azurite.connection_string, prefix=world.table_prefix
    ) as s:
        cycle = next(c for c in await s.list_cycles(limit=5) if c.kind != "on-demand")
        return render_audit(await s.list_audit_records(cycle.id))


# the local Functions host ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    name: str
    pattern: re.Pattern[str]
    methods: frozenset[str]
    anonymous: bool
    handler: Callable[[func.HttpRequest], Any]


def _routes(functions: Iterable[Any]) -> list[_Route]:
    routes = []
    for function in functions:
        trigger = function.get_trigger()
        route = getattr(trigger, "route", None)
        if route is None:
            continue  # the timer
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route))
        routes.append(
            _Route(
                name=str(function.get_function_name()),
                pattern=re.compile(rf"\A/api/{regex}\Z"),
                methods=frozenset(str(getattr(m, "value", m)).upper() for m in trigger.methods),
                anonymous=str(getattr(trigger.auth_level, "value", trigger.auth_level)).lower()
                == "anonymous",
                handler=function.get_user_function(),
            )
        )
    return routes


class FunctionHost:
    """The Function app's HTTP routes on 127.0.0.1, for a browser: a key is required on function-level
    routes (header `x-functions-key` or `?code=`, as the Functions host takes it), 401 without it.
    `paths` keeps every URL served (path and query), so a test can show no key rode in one.
    Settings come from this process's environment, as in the Functions host."""

    def __init__(
        self, *, functions: Iterable[Any] | None = None, key: str | None = None, port: int = 0
    ) -> None:
        if functions is None:  # app.get_functions() may run once per process: tests pass theirs
            from function_app import app

            functions = app.get_functions()
        self.key = key or secrets.token_urlsafe(24)
        self.paths: list[str] = []
        self._routes = _routes(functions)
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="function-host", daemon=True)
        self._server = ServerThread(self._wsgi, port=port)

    @property
    def url(self) -> str:
        return self._server.url

    def page_url(self) -> str:
        """The status page, opened with the function key as the Functions host takes it; the page
        drops it from the address bar and sends it as a header from then on."""
        return f"{self.url}/api/dashboard?code={self.key}"

    def run(self, coroutine: Any, timeout: float = 120) -> Any:
        """Run a coroutine on the host's event loop (where the handlers run) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path, query = environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", "")
        self.paths.append(path + ("?" + query if query else ""))
        method = environ["REQUEST_METHOD"].upper()
        params = dict(parse_qsl(query, keep_blank_values=True))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if method not in route.methods:
                return _answer(start_response, 405, b'{"error": {"code": "methodNotAllowed"}}')
            given = headers.get(KEY_HEADER) or params.get("code")
            if not route.anonymous and not (given and secrets.compare_digest(given, self.key)):
                return _answer(start_response, 401, b"")
            request = func.HttpRequest(
                method=method,
                url=f"{self.url}{path}",
                headers=headers,
                params=params,
                route_params=match.groupdict(),
                body=body,
            )
            response = self.run(route.handler(request))
            extra = [(k, v) for k, v in response.headers.items() if k.lower() != "content-type"]
            content_type = response.mimetype
            if response.charset and "charset" not in content_type:
                content_type += f"; charset={response.charset}"
            return _answer(start_response, response.status_code, response.get_body(), content_type, extra)
        return _answer(start_response, 404, b"")

    def start(self) -> FunctionHost:
        self._loop_thread.start()
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FunctionHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answer(
    start_response: Callable[..., Any],
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    reason = {200: "OK", 202: "Accepted", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
    start_response(
        f"{status} {reason.get(status, 'Status')}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]


@contextmanager
def serving(
    world: World,
    *,
    functions: Iterable[Any] | None = None,
    port: int = 0,
    overrides: Mapping[str, str] | None = None,
) -> Iterator[FunctionHost]:
    """The world's settings in this process's environment, and a FunctionHost serving the app."""
    env = world.env(**(overrides or {}))
    with environment(env), FunctionHost(functions=functions, port=port) as host:
        yield host


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM too stops the world cleanly (Azurite is a child process)


def _keep(world: World, *, port: int, timer_seconds: float) -> None:
    signal.signal(signal.SIGTERM, _stop)
    with serving(world, port=port) as host:
        print(f"\nThe status page: {host.page_url()}", flush=True)
        print(f"(function key {host.key!r}; the timer's cycle runs every {timer_seconds:.0f} s)", flush=True)
        print("Ctrl-C stops the sandbox.", flush=True)
        try:
            while True:
                time.sleep(timer_seconds)
                result = host.run(run_sync(load_settings(), initiated_by="timer"), timeout=600)
                print(f"timer cycle: {result.cycle.status.value}", flush=True)
        except KeyboardInterrupt:
            print("\nstopping the sandbox", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running with the status page")
    parser.add_argument("--port", type=int, default=7071, help="the page's port with --keep (0: any free)")
    parser.add_argument("--timer-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    print("starting Azurite (tables, in memory), the Graph simulator and the GoTo simulator ...", flush=True)
    with running_world() as world:
        play(world, cli_sync, stage=args.keep)
        print("\n=== audit records of the last cycle")
        for line in asyncio.run(_last_cycle_audit(world)):
            print(line)
        accounts = world.goto.store.users()
        active = sum(1 for u in accounts if u.get("active", True))
        print(f"\nGoTo now holds {len(accounts)} accounts ({active} active).", flush=True)
        if args.keep:
            _keep(world, port=args.port, timer_seconds=args.timer_seconds)
        else:
            print("Stopping the sandbox.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
