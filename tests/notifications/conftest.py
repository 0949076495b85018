"""The change-notification world: the Graph simulator POSTing to a real loopback server that runs
the Function app's webhook, Azurite's queue between it and the worker, the GoTo simulator behind.

No Functions host runs here. `FunctionsHost` stands in for its two parts this feature uses, and
only those: the HTTP front (the function-key check on `?code=`, then the `graph_notifications`
function, called as the host calls it), and the queue trigger's loop (`drain`: receive from
Azurite's queue, call `graph_notification_worker` with the message and its dequeue count, delete
the message when the function returns, leave it to reappear when it raises).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy
from werkzeug.wrappers import Request, Response

from sandbox._server import ServerThread
from sandbox.graph import GraphSimulator
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World, environment

FUNCTION_KEY = "test-function-key-" + uuid.uuid4().hex
CLIENT_STATE = "client-state-" + uuid.uuid4().hex
ROUTE = "/api/graph/notifications"


def hub_of(sim: GraphSimulator) -> SubscriptionHub:
    """The simulator's subscriptions (GraphApp holds them; GraphSimulator has no accessor yet)."""
    hub: SubscriptionHub = sim.subscriptions
    return hub


class FunctionsHost:
    """The host's HTTP front and queue loop for the notification functions (see the module docstring)."""

    def __init__(self, functions: dict[str, Any], connection_string: str, queue_name: str) -> None:
        self.functions = functions
        self.connection_string = connection_string
        self.queue_name = queue_name
        self.server = ServerThread(self._wsgi)
        self.answers: list[tuple[int, float]] = []  # (status, seconds) per webhook POST
        self.failures: list[BaseException] = []  # what the worker raised (the host would retry)

    @property
    def notification_url(self) -> str:
        return f"{self.server.url}{ROUTE}?code={FUNCTION_KEY}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.monotonic()
        if request.path != ROUTE or request.method != "POST":
            response = Response("not found", status=404)
        elif request.args.get("code") != FUNCTION_KEY:
            response = Response("", status=401)  # the host refuses a missing or wrong function key
        else:
            answer = asyncio.run(
                self.functions["graph_notifications"].get_user_function()(
                    func.HttpRequest(
                        method="POST",
                        url=request.url,
                        params=dict(request.args),
                        headers=dict(request.headers),
                        body=request.get_data(),
                    )
                )
            )
            response = Response(answer.get_body(), status=answer.status_code, content_type=answer.mimetype)
        self.answers.append((response.status_code, time.monotonic() - started))
        return response(environ, start_response)

    def queue(self, name: str | None = None) -> QueueClient:
        return QueueClient.from_connection_string(
            self.connection_string,
            name or self.queue_name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
        )

    def messages(self, name: str | None = None) -> list[str]:
        """Every visible message of the queue (peeked, left in place); [] when the queue does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        with self.queue(name) as client:
            try:
                return [m.content for m in client.peek_messages(max_messages=32)]
            except ResourceNotFoundError:
                return []

    async def drain(self, *, visibility: int = 1, rounds: int = 200) -> int:
        """Run the worker over the queue until it is empty; a message that raised comes back after
        `visibility` seconds, as the host's visibilityTimeout makes it. Returns messages handled."""
        from azure.core.exceptions import ResourceNotFoundError

        handled = 0
        worker = self.functions["graph_notification_worker"].get_user_function()
        with self.queue() as client:
            for _ in range(rounds):
                try:
                    batch = list(client.receive_messages(max_messages=16, visibility_timeout=visibility))
                except ResourceNotFoundError:
                    return handled
                if not batch:
                    if client.get_queue_properties().approximate_message_count == 0:
                        return handled
                    await asyncio.sleep(0.2)  # a failed message is invisible for `visibility` seconds
                    continue
                for message in batch:
                    handled += 1
                    queued = QueueMessage(
                        id=message.id, body=message.content, dequeue_count=message.dequeue_count
                    )
                    try:
                        await worker(queued)
                    except Exception as exc:  # the host logs it and lets the message reappear
                        self.failures.append(exc)
                        continue
                    client.delete_message(message)
        raise AssertionError(f"the queue was not drained in {rounds} rounds")


@pytest.fixture
def hub(graph_sim: GraphSimulator) -> Iterator[SubscriptionHub]:
    found = hub_of(graph_sim)
    yield found
    found.close()


@pytest.fixture
def host(functions: dict[str, Any], world: World) -> Iterator[FunctionsHost]:
    running = FunctionsHost(functions, world.azurite.connection_string, "q" + uuid.uuid4().hex[:12])
    running.server.start()
    yield running
    running.server.stop()


def notification_env(world: World, host: FunctionsHost, **overrides: str) -> dict[str, str]:
    values = {
        "GOTO_RATE_LIMIT_PER_SECOND": "1000",
        "GRAPH_NOTIFICATION_URL": host.notification_url,
        "GRAPH_NOTIFICATION_CLIENT_STATE": CLIENT_STATE,
        "GRAPH_NOTIFICATION_QUEUE": host.queue_name,
    }
    return world.env(**{**values, **overrides})


@pytest.fixture
def notify_env(world: World, host: FunctionsHost) -> Iterator[dict[str, str]]:
    values = notification_env(world, host)
    with environment(values):
        yield values
