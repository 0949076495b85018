"""The simulator's PKCE (RFC 7636), per client: a `pkce=True` client must send an S256 challenge
and the matching verifier; other clients ignore the parameters, as a server unaware of PKCE does."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.goto import GoToSimulator
from sandbox.goto.oauth import s256
from tests.fixtures.goto_sim import http_client

CLIENT, SECRET = "pkce-app", "pkce-app-secret"
REDIRECT = "http://127.0.0.1:8765/oauth/callback"


def _verifier() -> str:
    return secrets.token_urlsafe(32)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@pytest.fixture
def web(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    goto_sim.oauth.register_client(CLIENT, SECRET, redirect_uris=[REDIRECT], pkce=True)
    goto_sim.oauth.register_client("plain-app", SECRET, redirect_uris=[REDIRECT])
    with http_client(goto_sim.url, follow_redirects=False) as client:
        yield client


def _authorize(web: httpx.Client, client_id: str = CLIENT, **params: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "s1",
        **params,
    }
    response = web.get("/oauth/authorize", params=query)
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _exchange(web: httpx.Client, code: str, client_id: str = CLIENT, **form: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **form}
    return web.post("/oauth/token", auth=(client_id, SECRET), data=data)


def test_s256_is_rfc_7636s() -> None:
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_a_pkce_client_needs_an_s256_challenge(web: httpx.Client) -> None:
    verifier = _verifier()
    for params in (
        {},
        {"code_challenge": _challenge(verifier)},
        {"code_challenge": verifier, "code_challenge_method": "plain"},
    ):
        back = _authorize(web, **params)
        assert back["error"] == "invalid_request" and "code" not in back and back["state"] == "s1"
        assert "S256" in back["error_description"]


def test_the_verifier_must_match_the_challenge(web: httpx.Client) -> None:
    verifier = _verifier()
    code = _authorize(web, code_challenge=_challenge(verifier), code_challenge_method="S256")["code"]

    missing = _exchange(web, code)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = _exchange(web, code, code_verifier=_verifier())
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    good = _exchange(web, code, code_verifier=verifier)
    assert good.status_code == 200 and good.json()["refresh_token"]


def test_other_clients_ignore_pkce_parameters(web: httpx.Client) -> None:
    code = _authorize(web, "plain-app", code_challenge=_challenge(_verifier()), code_challenge_method="S256")[
        "code"
    ]
    assert _exchange(web, code, "plain-app").status_code == 200  # no verifier: the challenge was ignored
    code = _authorize(web, "plain-app")["code"]
    assert _exchange(web, code, "plain-app", code_verifier=_verifier()).status_code == 200
