"""No token, secret or refresh token in any log line or API answer of the whole suite.

It drives a cycle, the admin API and the OAuth flow itself, so it never passes on an empty capture;
every other test's logs and answers are checked when the session (each xdist worker) ends
(tests/fixtures/leaks.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from sandbox.world import World, environment
from tests.fixtures.functions import Caller
from tests.fixtures.leaks import SEEN, leaked


async def test_no_secret_in_any_log_or_answer(call: Caller, world: World) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    redirect = "http://localhost/api/goto/callback"
    world.goto.oauth.register_client("zz-client", "zz-client-secret-value", redirect_uris=[redirect])
    with environment(world.env(GOTO_RATE_LIMIT_PER_SECOND="1000")):
        await call("test_connection")
        await call("provision_user", route={"entraId": seeded["in_scope"][0]})
        await call("provision_user", route={"entraId": seeded["in_scope"][1]}, params={"dryRun": "true"})
        await call("restart_provisioning")
    oauth = world.env(
        GOTO_RATE_LIMIT_PER_SECOND="1000",
        GOTO_ACCESS_TOKEN="",
        GOTO_CLIENT_ID="zz-client",
        GOTO_CLIENT_SECRET="zz-client-secret-value",
        GOTO_AUTH_BASE_URL=world.goto.url,
        GOTO_REDIRECT_URI=redirect,
        GOTO_REFRESH_TOKEN_SECRET_NAME="zz-no-secrets",
    )
    with environment(oauth):
        await call("goto_authorize", method="GET")
        async with httpx.AsyncClient() as browser:
            back = await browser.get(call.last_headers["Location"], follow_redirects=False)
        params = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
        await call("goto_callback", method="GET", params=params)
        await call("test_connection")

    assert len(SEEN) > 5
    assert leaked(SEEN) == [], f"found in logs or answers: {leaked(SEEN)}"
