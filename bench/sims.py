"""The Graph and GoTo simulators in a child process, driven through a pipe.

Benchmarks measure the product's own CPU with `time.process_time()`; with the simulators in the
same process their request handling would be counted as the product's. Here they run in a
process of their own (Azurite is a node process already), so the product process holds only the
product and the few lines of bench code around it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from sandbox.graph import APP_ROLE_USER_ID, SANDBOX_GRAPH_TOKEN, SERVICE_PRINCIPAL_ID, GraphSimulator


@dataclass
class _Sims:
    graph: GraphSimulator
    goto: GoToSimulator


def _seed(sims: _Sims, users: int, groups: int, seed: int) -> dict[str, float]:
    """`users` users in `groups` groups, every group assigned with a real role (all users in scope)."""
    started = time.perf_counter()
    tenant = sims.graph.tenant
    tenant.seed(users, groups, seed=seed)
    for group in tenant.groups():
        tenant.assign(group["id"], app_role_id=APP_ROLE_USER_ID)
    return {"seconds": time.perf_counter() - started}


def _change(sims: _Sims, count: int) -> int:
    """A new displayName for `count` users spread over the tenant (one GoTo PATCH each)."""
    tenant = sims.graph.tenant
    users = tenant.users()
    step = max(1, len(users) // max(1, count))
    chosen = users[::step][:count]
    for user in chosen:
        tenant.update_user(user["id"], displayName=f"{user['displayName']} (changed)")
    return len(chosen)


def _configure_goto(sims: _Sims, rate: float, latency_ms: float) -> None:
    sims.goto.configure(rate_limit_per_second=rate, latency_ms=latency_ms)
    sims.goto.rate_limited.reset()


def _reset_counters(sims: _Sims) -> None:
    sims.graph.counters.reset()
    sims.goto.counters.reset()
    sims.goto.rate_limited.reset()


def _counters(sims: _Sims) -> dict[str, Any]:
    return {
        "graph": sims.graph.counters.total(),
        "goto": sims.goto.counters.total(),
        "goto_429": sims.goto.rate_limited.total(),
        "goto_routes": sims.goto.counters.snapshot(),
        "goto_users": len(sims.goto.store.users()),
    }


_COMMANDS: dict[str, Callable[..., Any]] = {
    "seed": _seed,
    "change": _change,
    "configure_goto": _configure_goto,
    "reset_counters": _reset_counters,
    "counters": _counters,
}


def _serve(conn: Connection, goto_rate: float, goto_latency_ms: float, graph_page_size: int) -> None:
    with (
        GraphSimulator(page_size=graph_page_size) as graph,
        GoToSimulator(rate_limit_per_second=goto_rate, latency_ms=goto_latency_ms) as goto,
    ):
        sims = _Sims(graph, goto)
        conn.send({"graph": graph.base_url, "goto": goto.scim_base_url})
        while True:
            name, args = conn.recv()
            if name == "stop":
                break
            try:
                conn.send(("ok", _COMMANDS[name](sims, *args)))
            except Exception as exc:  # reported to the parent, which raises it
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


class SimulatorProcess:
    """`with SimulatorProcess(goto_rate=10) as sims:` then `sims.env(...)` and `sims.call("seed", ...)`."""

    def __init__(
        self, *, goto_rate: float = 10.0, goto_latency_ms: float = 0.0, graph_page_size: int = 100
    ) -> None:
        self._options = (goto_rate, goto_latency_ms, graph_page_size)
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.urls: dict[str, str] = {}

    def start(self) -> SimulatorProcess:
        context = multiprocessing.get_context("spawn")  # a clean interpreter: no product modules in it
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, *self._options), daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(60):
            self.stop()
            raise RuntimeError("the simulator process did not start within 60 s")
        self.urls = parent.recv()
        return self

    def call(self, name: str, *args: Any) -> Any:
        assert self._conn is not None, "start() first"
        self._conn.send((name, args))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"simulator command {name!r} failed: {value}")
        return value

    def env(self, tables_connection_string: str, table_prefix: str, **overrides: str) -> dict[str, str]:
        """The product's settings for these simulators (the names an admin sets in Azure)."""
        return {
            "ENTRA_SERVICE_PRINCIPAL_ID": SERVICE_PRINCIPAL_ID,
            "GRAPH_BASE_URL": self.urls["graph"],
            "GRAPH_ACCESS_TOKEN": SANDBOX_GRAPH_TOKEN,
            "GOTO_SCIM_BASE_URL": self.urls["goto"],
            "GOTO_ACCESS_TOKEN": SANDBOX_GOTO_TOKEN,
            "AzureWebJobsStorage": tables_connection_string,
            "STATE_TABLE_PREFIX": table_prefix,
            **overrides,
        }

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(("stop", ()))
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)
            self._process = None

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
