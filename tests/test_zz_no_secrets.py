"""No token, secret or refresh token in any log line or API answer of the whole suite.

Runs last (file order) so it sees every test's logs and answers; it also drives a cycle, the admin
API and the OAuth flow itself, so it never passes on an empty capture.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from sandbox.azurite import ACCOUNT_KEY
from sandbox.goto import SANDBOX_ADMIN_PASSWORD, SANDBOX_CLIENT_SECRET, SANDBOX_GOTO_TOKEN
from sandbox.graph import SANDBOX_GRAPH_TOKEN
from sandbox.world import World, environment
from tests.fixtures.functions import Caller
from tests.fixtures.leaks import SEEN

SECRETS = {
    "Graph token": SANDBOX_GRAPH_TOKEN,
    "GoTo static token": SANDBOX_GOTO_TOKEN,
    "GoTo OAuth client secret": SANDBOX_CLIENT_SECRET,
    "GoTo admin password": SANDBOX_ADMIN_PASSWORD,
    "storage account key": ACCOUNT_KEY,
    "this test's client secret": "zz-client-secret-value",
}


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
    everything = "\n".join(SEEN)
    leaked = [name for name, secret in SECRETS.items() if secret in everything]
    assert leaked == [], f"found in logs or answers: {leaked}"
