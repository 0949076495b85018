"""GET /api/goto/callback takes what an OAuth server may add to its redirect (RFC 9207 `iss`,
OpenID `session_state`, parameters of its own) without refusing the authorization; through the
real Function app object, with a GoTo simulator client that requires PKCE (so the verifier kept
with the state reaches the code exchange)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.world import World, environment
from tests.fixtures.functions import Caller

REDIRECT = "http://localhost/api/goto/callback"


@pytest.fixture
def oauth_env(world: World) -> Iterator[dict[str, str]]:
    world.goto.oauth.register_client("admin-app", "admin-app-secret", redirect_uris=[REDIRECT], pkce=True)
    values = world.env(
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
    status, _ = await call("goto_authorize", method="GET")
    assert status == 302
    async with httpx.AsyncClient() as browser:
        back = await browser.get(call.last_headers["Location"], follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}


async def test_extra_standard_parameters_are_accepted(
    call: Caller, world: World, oauth_env: dict[str, str]
) -> None:
    params = await _consent(call)
    extras = {
        "iss": world.goto.url,
        "session_state": "0f1e2d3c.abcdef",
        "scope": "identity:scim.org",
        "vendor_hint": "anything",
    }
    status, page = await call("goto_callback", method="GET", params={**params, **extras})
    assert status == 200, page
    assert "GoTo is connected" in page


async def test_an_error_redirect_with_extras_is_still_read_as_denied(
    call: Caller, world: World, oauth_env: dict[str, str]
) -> None:
    params = await _consent(call)
    denied = {"state": params["state"], "error": "access_denied", "iss": world.goto.url, "session_state": "x"}
    status, body = await call("goto_callback", method="GET", params=denied)
    assert status == 400 and body["error"]["code"] == "authorizationFailed"
    assert "access_denied" in body["error"]["message"]
