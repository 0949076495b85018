"""GoToSimulator: the GoTo identity, Admin (licenses) and OAuth APIs as a real loopback HTTP server."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from sandbox._counters import RequestCounters
from sandbox._faults import FaultInjector
from sandbox.goto.admin import ADMIN_BASE_PATH
from sandbox.goto.app import GoToApp
from sandbox.goto.constants import SCIM_BASE_PATH, VERIFIED_DOMAINS
from sandbox.goto.licenses import LicenseStore
from sandbox.goto.oauth import OAuthServer
from sandbox.goto.settings import SimulatorSettings, TimeoutMode, UnauthorizedBody
from sandbox.goto.store import Store
from sandbox.keepalive import KeepAliveServer


class GoToSimulator:
    """Start with `.start()` or `with`; state, OAuth, faults and counters are reachable in-process."""

    def __init__(
        self,
        *,
        rate_limit_per_second: float = 10.0,
        verified_domains: Iterable[str] = VERIFIED_DOMAINS,
        retry_after_header: bool = True,
        access_token_ttl: float = 3600.0,
        refresh_token_ttl: float = 30 * 24 * 3600.0,
        authorization_code_ttl: float = 600.0,
        rotate_refresh_tokens: bool = False,
        timeout_mode: TimeoutMode = "gateway_timeout",
        unauthorized_body: UnauthorizedBody = "scim",
        latency_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
    ) -> None:
        settings = SimulatorSettings()
        settings.update(
            {
                "rate_limit_per_second": rate_limit_per_second,
                "verified_domains": list(verified_domains),
                "retry_after_header": retry_after_header,
                "access_token_ttl": access_token_ttl,
                "refresh_token_ttl": refresh_token_ttl,
                "authorization_code_ttl": authorization_code_ttl,
                "rotate_refresh_tokens": rotate_refresh_tokens,
                "timeout_mode": timeout_mode,
                "unauthorized_body": unauthorized_body,
            }
        )
        self.app = GoToApp(settings, seed=seed, fault_settings={"latency_ms": latency_ms})
        self._server = KeepAliveServer(self.app, host=host, port=port)
        self.app.store.set_base_url(self.scim_base_url)

    # -- addresses -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def scim_base_url(self) -> str:
        return self.url + SCIM_BASE_PATH

    @property
    def admin_base_url(self) -> str:
        """The Admin API (licenses), GOTO_ADMIN_BASE_URL."""
        return self.url + ADMIN_BASE_PATH

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    @property
    def authorize_url(self) -> str:
        return self.url + "/oauth/authorize"

    @property
    def control_url(self) -> str:
        return self.url + "/_sandbox"

    # -- state and knobs -------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def licenses(self) -> LicenseStore:
        """The account's licenses: `sim.licenses.add_license("L1", products=("G2M",), seats=10)`."""
        return self.app.licenses

    def admin_requests(self) -> int:
        """Requests sent to the Admin API (429s and faults included), for "nothing called it"."""
        return self.app.counters.total(ADMIN_BASE_PATH + "/")

    @property
    def oauth(self) -> OAuthServer:
        return self.app.oauth

    @property
    def faults(self) -> FaultInjector:
        return self.app.faults

    @property
    def counters(self) -> RequestCounters:
        return self.app.counters

    @property
    def rate_limited(self) -> RequestCounters:
        """429s the token bucket answered, per API ("scim", "admin", "oauth"); not injected faults."""
        return self.app.rate_limited

    @property
    def settings(self) -> SimulatorSettings:
        return self.app.settings

    def configure(self, **settings: Any) -> None:
        """Any SimulatorSettings or FaultConfig field, e.g. `configure(rate_limit_per_second=1000)`."""
        self.app.configure(**settings)

    def config(self) -> dict[str, Any]:
        return self.app.config()

    def reset(self) -> None:
        self.app.reset()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> GoToSimulator:
        self.app.stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        """Releases requests held by latency, timeouts or hangs before shutting the server."""
        self.app.stopping.set()
        self._server.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> GoToSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
