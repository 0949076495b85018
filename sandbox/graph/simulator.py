"""GraphSimulator: the tenant, its Graph routes and its control routes behind one loopback server."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from sandbox._counters import RequestCounters
from sandbox._faults import FaultInjector
from sandbox.graph.app import GraphApp
from sandbox.graph.control import ControlApp
from sandbox.graph.settings import SimulatorSettings
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.graph.tenant import Tenant
from sandbox.keepalive import KeepAliveServer

CONTROL_PREFIX = "/_sandbox/"


class GraphSimulator:
    """A Microsoft Graph v1.0 look-alike on 127.0.0.1; `tenant`, `faults`, `counters` drive it.

    The port is bound at construction, so `url` is known before `start()`.
    """

    def __init__(
        self,
        tenant: Tenant | None = None,
        *,
        page_size: int = 100,
        group_page_size: int | None = None,
        max_members_per_entry: int = 100,
        empty_page_every: int = 0,
        port: int = 0,
        fault_seed: int = 0,
    ) -> None:
        self.tenant = tenant if tenant is not None else Tenant()
        self.settings = SimulatorSettings()
        self.settings.update(
            {
                "page_size": page_size,
                "group_page_size": group_page_size,
                "max_members_per_entry": max_members_per_entry,
                "empty_page_every": empty_page_every,
            }
        )
        self.faults = FaultInjector(seed=fault_seed)
        self.counters = RequestCounters()
        self._graph = GraphApp(self.tenant, self.settings, self.faults, self.counters)
        self._control = ControlApp(self.tenant, self.settings, self.faults, self.counters)
        self._server = KeepAliveServer(self._dispatch, port=port)  # connections kept, as Graph keeps them

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def subscriptions(self) -> SubscriptionHub:
        """Change-notification subscriptions and their deliveries (tests drive and inspect them)."""
        return self._graph.subscriptions

    def configure(self, **settings: Any) -> None:
        """Change paging knobs (see SimulatorSettings) while running; the next round uses them."""
        self.settings.update(settings)

    def reset(self) -> None:
        """Empty tenant, no faults, zero counters; settings are kept."""
        self.tenant.reset()
        self.faults.reset()
        self.counters.reset()

    def start(self) -> GraphSimulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _dispatch(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        return self._graph(environ, start_response)
