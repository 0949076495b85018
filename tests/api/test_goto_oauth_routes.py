"""GET /api/goto/authorize and /api/goto/callback end to end against the GoTo simulator, then a real
cycle that reaches GoTo with the stored refresh token; replayed or forged states are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from provisioning.config import load_settings
from provisioning.service import run_sync
from sandbox.goto import SANDBOX_CLIENT_SECRET
from sandbox.world import World, environment
from tests.fixtures.functions import Caller

REDIRECT = "http://localhost/api/goto/callback"


@pytest.fixture
def oauth_env(world: World) -> Iterator[dict[str, str]]:
    world.goto.oauth.register_client("admin-app", "admin-app-secret", redirect_uris=[REDIRECT])
    values = world.env(
        GOTO_RATE_LIMIT_PER_SECOND="1000",
        GOTO_ACCESS_TOKEN="",
        GOTO_CLIENT_ID="admin-app",
        GOTO_CLIENT_SECRET="admin-app-secret",
        GOTO_AUTH_BASE_URL=world.goto.url,
        GOTO_REDIRECT_URI=REDIRECT,
        GOTO_REFRESH_TOKEN_SECRET_NAME=f"test-{uuid.uuid4().hex[:8]}",
    )
    with environment(values):
        yield values


async def _consent(call: Caller) -> dict[str, str]:
    """Play the admin's browser: follow the redirect to GoTo, which redirects back with code+state."""
    status, _ = await call("goto_authorize", method="GET")
    assert status == 302
    location = call.last_headers["Location"]
    async with httpx.AsyncClient() as browser:
        back = await browser.get(location, follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}


async def test_authorize_callback_then_a_cycle_uses_the_token(
    call: Caller, world: World, oauth_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    params = await _consent(call)
    status, page = await call("goto_callback", method="GET", params=params)
    assert status == 200, page
    assert "GoTo is connected" in page

    result = await run_sync(load_settings(oauth_env), initiated_by="test")
    assert result.cycle.status == "succeeded"
    names = {u["userName"] for u in world.goto.store.users()}
    assert {world.graph.tenant.user(u)["userPrincipalName"] for u in seeded["in_scope"]} <= names

    status, again = await call("goto_callback", method="GET", params=params)  # the same state, replayed
    assert status == 400 and again["error"]["code"] == "authorizationFailed"


async def test_forged_state_is_refused(call: Caller, world: World, oauth_env: dict[str, str]) -> None:
    params = await _consent(call)
    params["state"] = "forged-" + params["state"][7:]
    status, body = await call("goto_callback", method="GET", params=params)
    assert status == 400 and body["error"]["code"] == "authorizationFailed"


async def test_callback_without_oauth_configured(call: Caller, world: World, api_env: dict[str, str]) -> None:
    status, body = await call("goto_authorize", method="GET")
    assert status == 409 and body["error"]["field"] == "GOTO_CLIENT_ID"


async def test_no_secret_in_any_answer(call: Caller, world: World, oauth_env: dict[str, str]) -> None:
    params = await _consent(call)
    await call("goto_callback", method="GET", params=params)
    answers = "\n".join(call.answers) + "\n".join(str(h) for h in call.headers_seen)
    for secret in ("admin-app-secret", SANDBOX_CLIENT_SECRET):
        assert secret not in answers
