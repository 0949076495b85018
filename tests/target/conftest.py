"""SCIM peers for the client tests: scim2-server (strict RFC 7644) and the GoTo simulator, real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_provider

from provisioning.target import RetryPolicy, ScimClient, ScimDialect, Throttle
from sandbox._server import ServerThread
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from sandbox.scimmy import ScimmyServer
from tests.fixtures.scimmy import scimmy_process  # noqa: F401  (a fixture, used through getfixturevalue)

SCIM2_TOKEN = "scim2-server-test-token"


def fast_throttle(**retry: Any) -> Throttle:
    """No pacing to speak of, tiny backoff: for tests that are not about pacing or waits."""
    policy = {"max_attempts": 4, "base_delay": 0.01, "max_delay": 0.05, **retry}
    return Throttle(rate_per_second=1000.0, burst=100, retry=RetryPolicy(**policy))


@pytest.fixture(scope="session")
def scim2_provider() -> ScimProvider:
    return load_default_provider()


class _Swappable:
    """One server for the session (stopping one costs 0.5 s), a fresh application per test."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _scim2_session() -> Iterator[tuple[ServerThread, _Swappable]]:
    swappable = _Swappable()
    with ServerThread(swappable) as server:
        yield server, swappable


@pytest.fixture
def scim2_server(
    scim2_provider: ScimProvider, _scim2_session: tuple[ServerThread, _Swappable]
) -> ServerThread:
    """An empty in-memory scim2-server on a loopback port, behind a static bearer token."""
    server, swappable = _scim2_session
    swappable.app = BearerTokenApplication(InMemoryStorage(), scim2_provider, bearer_tokens=[SCIM2_TOKEN])
    return server


@pytest.fixture(scope="session")
def _shared_goto_sim() -> Iterator[GoToSimulator]:
    with GoToSimulator() as simulator:
        yield simulator


@pytest.fixture
def reset_goto_sim(_shared_goto_sim: GoToSimulator) -> GoToSimulator:
    """Like the `goto_sim` fixture, but one server reset between tests: for the many shared cases."""
    _shared_goto_sim.reset()
    return _shared_goto_sim


@dataclass
class Peer:
    """A running SCIM peer with a client speaking its dialect; `sim` is set for the GoTo simulator."""

    name: str
    base_url: str
    token: str
    dialect: ScimDialect
    client: ScimClient
    http: httpx.AsyncClient
    sim: GoToSimulator | None = None


def _http(base_url: str, token: str, *, timeout: float = 10.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


@pytest.fixture(params=["scim2-server", "scimmy", "goto-sim", "goto-sim-rfc7644"])
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[Peer]:
    """The same client cases against the peers we did not write (scim2-server, SCIMMY) and the
    simulator, each in its own dialect; and the simulator spoken to in plain RFC 7644, the fallback
    should GoTo refuse one of the Entra habits the goto preset assumes."""
    if request.param == "scim2-server":
        server: ServerThread = request.getfixturevalue("scim2_server")
        base_url, token, dialect, sim = server.url + "/v2", SCIM2_TOKEN, ScimDialect.rfc7644(), None
    elif request.param == "scimmy":
        scimmy: ScimmyServer = request.getfixturevalue("scimmy_process")
        base_url, token, dialect, sim = scimmy.new_tenant_url(), scimmy.token, ScimDialect.rfc7644(), None
    else:
        sim = request.getfixturevalue("reset_goto_sim")
        sim.configure(rate_limit_per_second=1000)
        dialect = ScimDialect.goto() if request.param == "goto-sim" else ScimDialect.rfc7644()
        base_url, token = sim.scim_base_url, SANDBOX_GOTO_TOKEN
    async with _http(base_url, token) as http:
        client = ScimClient(http, dialect=dialect, throttle=fast_throttle())
        yield Peer(request.param, base_url, token, dialect, client, http, sim)


@pytest.fixture
async def sim_http(goto_sim: GoToSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with _http(goto_sim.scim_base_url, SANDBOX_GOTO_TOKEN) as http:
        yield http


@dataclass
class Wire:
    """(method, path, status) of every answer a client got, in order: what went over the wire."""

    calls: list[tuple[str, str, int]]

    def statuses(self, method: str) -> list[int]:
        return [status for m, _, status in self.calls if m == method]


def record_wire(http: httpx.AsyncClient) -> Wire:
    wire = Wire([])

    async def hook(response: httpx.Response) -> None:
        wire.calls.append((response.request.method, response.request.url.path, response.status_code))

    http.event_hooks["response"].append(hook)
    return wire


@pytest.fixture(params=["scim2-server", "scimmy", "goto-sim"])
async def default_peer(request: pytest.FixtureRequest) -> AsyncIterator[Peer]:
    """Every peer spoken to in the DEFAULT dialect (goto), as the product does with no setting."""
    if request.param == "scim2-server":
        server: ServerThread = request.getfixturevalue("scim2_server")
        base_url, token, sim = server.url + "/v2", SCIM2_TOKEN, None
    elif request.param == "scimmy":
        scimmy: ScimmyServer = request.getfixturevalue("scimmy_process")
        base_url, token, sim = scimmy.new_tenant_url(), scimmy.token, None
    else:
        sim = request.getfixturevalue("reset_goto_sim")
        sim.configure(rate_limit_per_second=1000)
        base_url, token = sim.scim_base_url, SANDBOX_GOTO_TOKEN
    dialect = ScimDialect.goto()
    async with _http(base_url, token) as http:
        client = ScimClient(http, dialect=dialect, throttle=fast_throttle())
        yield Peer(request.param, base_url, token, dialect, client, http, sim)
