"""Time from a change in the Graph simulator to the GoTo simulator holding it, through the
change-notification path (target: at most 10 s). A measurement, not a test.

`python -m bench.notify_latency [--changes N] [--users N] [--goto-rate R]`

What runs: Azurite (tables and queues), the Graph simulator (which POSTs notifications about 20 ms
after a change; real Graph's own delivery latency for users and groups is not promised: public
reports range from seconds to 30 minutes, and it comes on top of this figure), the GoTo simulator at
GoTo's 10 requests/s, the webhook behind a loopback HTTP server, and the worker fed from Azurite's
queue by a poller that backs off as the Functions host does (doubling from 0.1 s up to
host.json's `maxPollingInterval`, 2 s, while the queue is empty). Each change disables one user in
Entra; the clock stops when the GoTo simulator's account is `active: false`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient
from werkzeug.wrappers import Request, Response

from provisioning.api.http import ApiRequest, guarded
from provisioning.config import load_settings
from provisioning.notifications.queue import NotificationQueue
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.notifications.webhook import handle_graph_notifications
from provisioning.notifications.worker import process_message
from provisioning.service import run_sync
from sandbox._server import ServerThread
from sandbox.world import World, environment, running_world

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0
KEY = "bench-" + uuid.uuid4().hex
MAX_POLL = float(
    json.loads((ROOT / "host.json").read_text())["extensions"]["queues"]["maxPollingInterval"].split(":")[-1]
)


def webhook(world: World) -> ServerThread:
    """The host's HTTP front for the one route: the function key, then the handler."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.args.get("code") != KEY:
            return Response("", status=401)(environ, start_response)
        answer = asyncio.run(
            guarded(
                handle_graph_notifications,
                ApiRequest(
                    method="POST", path=request.path, params=dict(request.args), body=request.get_data()
                ),
            )
        )
        return Response(answer.body, status=answer.status, content_type=answer.content_type)(
            environ, start_response
        )

    return ServerThread(app)


async def worker_loop(connection: str, queue_name: str, stop: asyncio.Event) -> None:
    """The queue trigger as the host polls it: at once after a message, backing off when empty."""
    settings = load_settings()
    wait = 0.1
    async with (
        QueueClient.from_connection_string(
            connection,
            queue_name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
        ) as client,
        NotificationQueue.from_settings(settings.change_notifications) as queue,
    ):
        while not stop.is_set():
            found = False
            try:
                async for message in client.receive_messages(max_messages=4, visibility_timeout=30):
                    found = True
                    await process_message(
                        message.content,
                        dequeue_count=message.dequeue_count or 1,
                        settings=settings,
                        queue=queue,
                    )
                    await client.delete_message(message)
            except Exception as exc:  # the queue is created by the first webhook call
                if "QueueNotFound" not in str(exc):
                    raise
            wait = 0.1 if found else min(wait * 2, MAX_POLL)
            if not found:
                await asyncio.sleep(wait)


def wait_inactive(world: World, upn: str, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        found = world.goto.store.find_user(upn)
        if found is not None and found.get("active") is False:
            return time.monotonic()
        time.sleep(0.01)
    return None


async def measure(changes: int, users: int, goto_rate: float, pause: float) -> list[float]:
    with running_world(goto_rate=goto_rate) as world:
        seeded = world.seed_demo_tenant(users=users, groups=2)
        server = webhook(world)
        server.start()
        queue_name = "bench" + uuid.uuid4().hex[:10]
        env = world.env(
            GOTO_RATE_LIMIT_PER_SECOND=str(goto_rate),
            GRAPH_NOTIFICATION_URL=f"{server.url}/api/graph/notifications?code={KEY}",
            GRAPH_NOTIFICATION_CLIENT_STATE="bench-client-state-" + uuid.uuid4().hex,
            GRAPH_NOTIFICATION_QUEUE=queue_name,
        )
        hub = world.graph._graph.subscriptions
        try:
            with environment(env):
                settings = load_settings()
                await run_sync(settings, initiated_by="bench")
                await run_subscription_timer(settings)
                stop = asyncio.Event()
                worker = asyncio.create_task(worker_loop(world.azurite.connection_string, queue_name, stop))
                seconds: list[float] = []
                rng = random.Random(16)
                chosen = [u for u in seeded["in_scope"][1:]][:changes]
                for user_id in chosen:
                    # a random idle time: the change lands anywhere in the poller's backoff, as it would
                    await asyncio.sleep(rng.uniform(pause / 2, pause * 2))
                    upn = str(world.graph.tenant.user(user_id)["userPrincipalName"])
                    watch = asyncio.create_task(asyncio.to_thread(wait_inactive, world, upn, 60))
                    started = time.monotonic()
                    world.graph.tenant.disable_user(user_id)
                    done = await watch
                    if done is None:
                        raise RuntimeError(f"{upn} was not inactive in GoTo within 60 s")
                    seconds.append(done - started)
                stop.set()
                await worker
        finally:
            hub.close()
            server.stop()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--goto-rate", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=3.0, help="mean idle seconds between changes")
    args = parser.parse_args()
    seconds = asyncio.run(measure(args.changes, args.users, args.goto_rate, args.pause))
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    met = "met" if ordered[-1] <= TARGET_SECONDS else "NOT met"
    print(
        f"change in Graph simulator -> GoTo simulator holds it, {len(seconds)} changes: "
        f"median {median:.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s "
        f"(target <= {TARGET_SECONDS:.0f} s: {met}); GoTo at {args.goto_rate:g} req/s, "
        f"queue polled as the host does (backoff to {MAX_POLL:g} s)"
    )


if __name__ == "__main__":
    main()
