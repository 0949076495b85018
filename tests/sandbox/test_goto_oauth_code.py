"""Authorization code grant: auto-consent redirect, single-use codes, redirect and client checks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GoToSimulator
from tests.fixtures.goto_sim import http_client

REDIRECT = "http://127.0.0.1:8765/oauth/callback"
AUTH = (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)


@pytest.fixture
def web(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    with http_client(goto_sim.url, follow_redirects=False) as client:
        yield client


def authorize(web: httpx.Client, **params: str) -> httpx.Response:
    query = {"response_type": "code", "client_id": SANDBOX_CLIENT_ID, "redirect_uri": REDIRECT, **params}
    return web.get("/oauth/authorize", params={k: v for k, v in query.items() if v})


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def exchange(web: httpx.Client, code: str, redirect_uri: str = REDIRECT) -> httpx.Response:
    return web.post(
        "/oauth/token",
        auth=AUTH,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )


def test_authorize_redirects_back_with_code_and_state(web: httpx.Client) -> None:
    response = authorize(web, state="xyz-123", scope="identity:scim.org")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz-123"]
    assert len(query["code"][0]) >= 20


def test_code_exchange_answers_like_goto(web: httpx.Client, goto_sim: GoToSimulator) -> None:
    code = code_from(authorize(web, scope="identity:scim.org"))

    response = exchange(web, code)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "identity:scim.org"
    assert body["account_key"] == SANDBOX_ACCOUNT_KEY
    assert body["access_token"] and body["refresh_token"]
    with http_client(goto_sim.scim_base_url, token=body["access_token"]) as scim:
        assert scim.get("/Users/me").status_code == 200


def test_a_code_works_once_and_a_replay_revokes_what_it_gave(
    web: httpx.Client, goto_sim: GoToSimulator
) -> None:
    code = code_from(authorize(web))
    first = exchange(web, code).json()

    replay = exchange(web, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not goto_sim.oauth.access_token_valid(first["access_token"])
    refresh = web.post(
        "/oauth/token",
        auth=AUTH,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_codes_expire(web: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(authorization_code_ttl=0.05)
    code = code_from(authorize(web))
    time.sleep(0.1)

    response = exchange(web, code)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "authorization code expired"}


def test_redirect_uri_must_match_at_exchange(web: httpx.Client) -> None:
    code = code_from(authorize(web))

    response = exchange(web, code, redirect_uri="http://127.0.0.1:8765/elsewhere")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_unknown_code_and_missing_code(web: httpx.Client) -> None:
    assert exchange(web, "no-such-code").json()["error"] == "invalid_grant"
    missing = web.post("/oauth/token", auth=AUTH, data={"grant_type": "authorization_code"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_a_code_is_bound_to_its_client(web: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.oauth.register_client("other", "other-secret", redirect_uris=[REDIRECT])
    code = code_from(authorize(web))

    response = web.post(
        "/oauth/token",
        auth=("other", "other-secret"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )

    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "unknown-client"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:8765/other/path"},
    ],
)
def test_unknown_client_or_unregistered_redirect_is_400_without_redirecting(
    web: httpx.Client, params: dict[str, str]
) -> None:
    response = authorize(web, **params)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_loopback_redirects_may_use_any_port(web: httpx.Client) -> None:
    response = authorize(web, redirect_uri="http://localhost:50123/oauth/callback")

    assert response.headers["Location"].startswith("http://localhost:50123/oauth/callback?code=")


def test_wrong_response_type_goes_back_to_the_client(web: httpx.Client) -> None:
    response = authorize(web, response_type="token", state="s")

    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"error": ["unsupported_response_type"], "state": ["s"]}


@pytest.mark.parametrize(
    "auth", [None, (SANDBOX_CLIENT_ID, "wrong-secret"), ("nobody", SANDBOX_CLIENT_SECRET)]
)
def test_token_endpoint_requires_basic_client_authentication(
    web: httpx.Client, auth: tuple[str, str] | None
) -> None:
    code = code_from(authorize(web))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if auth is None:  # credentials in the form are not GoTo's way: still invalid_client
        data |= {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}

    if auth is None:
        response = web.post("/oauth/token", data=data)
    else:
        response = web.post("/oauth/token", auth=auth, data=data)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_grant_type_errors(web: httpx.Client) -> None:
    unsupported = web.post("/oauth/token", auth=AUTH, data={"grant_type": "client_credentials"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"

    missing = web.post("/oauth/token", auth=AUTH, data={})
    assert missing.json()["error"] == "invalid_request"

    as_json = web.post("/oauth/token", auth=AUTH, json={"grant_type": "refresh_token"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"

    wrong_method = web.get("/oauth/token")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "invalid_request"
