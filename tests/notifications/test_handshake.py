"""Graph's validation handshake: the token echoed as text/plain well within Graph's 10 s, on a warm
app (the subscription timer warms the webhook first; the simulator POSTs for real), from a cold
Python process (import of function_app included), and before any setting is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World, environment
from tests.fixtures.functions import Caller
from tests.notifications.conftest import FunctionsHost

ROOT = Path(__file__).resolve().parents[2]
GRAPH_LIMIT_SECONDS = 10.0

COLD = """
import asyncio, json, sys, time
started = float(sys.argv[1])
import azure.functions as func
from function_app import app
fn = {f.get_function_name(): f for f in app.get_functions()}["graph_notifications"].get_user_function()
request = func.HttpRequest(method="POST", url="http://localhost/api/graph/notifications",
                           params={"validationToken": "cold start token"}, headers={}, body=b"")
answer = asyncio.run(fn(request))
print(json.dumps({"status": answer.status_code, "type": answer.mimetype, "body": answer.get_body().decode(),
                  "seconds": time.time() - started}))
"""


async def test_subscriptions_are_validated_by_real_posts_well_within_10_s(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    assert await run_subscription_timer(load_settings()) == {"/users": "created", "/groups": "created"}
    validations = [d for d in hub.deliveries if d.kind == "validation"]
    assert len(validations) == 4  # notification and lifecycle URL of each subscription
    assert all(d.status == 200 for d in validations)
    assert max(d.seconds for d in validations) < 1.0, [d.seconds for d in validations]
    assert all("code=" in d.url for d in validations), "the function key must reach the webhook"
    assert len(host.answers) == 6  # and the manager's own warm-up before each creation


def test_a_cold_process_answers_the_handshake_within_graphs_10_s() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "AzureWebJobs"))}
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", COLD, str(started)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=GRAPH_LIMIT_SECONDS * 3,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200 and answer["type"] == "text/plain"
    assert answer["body"] == "cold start token"
    print(f"cold handshake: {answer['seconds']:.2f} s from process start")
    assert answer["seconds"] < GRAPH_LIMIT_SECONDS


async def test_the_handshake_needs_no_settings(call: Caller) -> None:
    with environment({"ENTRA_SERVICE_PRINCIPAL_ID": "not-a-guid"}):  # load_settings would refuse this
        status, body = await call("graph_notifications", params={"validationToken": "a b+c"})
    assert (status, body) == (200, "a b+c")  # a str: the Caller decodes only application/json


async def test_an_overlong_token_is_refused_not_echoed(call: Caller) -> None:
    status, body = await call("graph_notifications", params={"validationToken": "x" * 1025})
    assert status == 400 and "validationToken" in json.dumps(body)
    assert "x" * 1025 not in json.dumps(body)
