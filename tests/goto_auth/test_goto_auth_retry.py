"""GoToAuth on a SCIM client: refresh once and retry once on a refused token, never more."""

from __future__ import annotations

import httpx
import pytest

from provisioning.errors import UnauthorizedError
from provisioning.goto_auth import GoToAuth, StaticTokenProvider
from provisioning.goto_auth.auth import token_refused
from sandbox.goto import SANDBOX_ADMIN_USERNAME, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.goto_auth.helpers import scim_client


class ScriptedProvider:
    """Hands out the given tokens in order and counts what GoToAuth asks for."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.refreshes: list[str] = []

    async def access_token(self) -> str:
        return self.tokens[0]

    async def refresh(self, *, rejected: str) -> str | None:
        self.refreshes.append(rejected)
        self.tokens.pop(0)
        return self.tokens[0] if self.tokens else None


async def test_a_refused_token_is_renewed_and_the_request_sent_once_more(goto: GoToSimulator) -> None:
    provider = ScriptedProvider("stale-token", SANDBOX_GOTO_TOKEN)
    async with scim_client(goto.scim_base_url, provider) as scim:
        me = await scim.get_me()

    assert me["userName"] == SANDBOX_ADMIN_USERNAME
    assert provider.refreshes == ["stale-token"]
    assert goto.counters.snapshot()["GET /identity/v1/Users/me"] == 2


async def test_a_second_refusal_is_the_callers_not_a_loop(goto: GoToSimulator) -> None:
    provider = ScriptedProvider("stale-token", "also-refused", "never-asked")
    async with scim_client(goto.scim_base_url, provider) as scim:
        with pytest.raises(UnauthorizedError) as raised:
            await scim.get_me()

    assert raised.value.status == 401
    assert provider.refreshes == ["stale-token"]
    assert goto.counters.snapshot()["GET /identity/v1/Users/me"] == 2


async def test_a_bad_static_token_is_refused_once_without_a_retry(goto: GoToSimulator) -> None:
    async with scim_client(goto.scim_base_url, StaticTokenProvider("not-a-valid-token")) as scim:
        with pytest.raises(UnauthorizedError):
            await scim.get_me()
        assert goto.counters.snapshot()["GET /identity/v1/Users/me"] == 1


async def test_a_static_sandbox_token_works(goto: GoToSimulator) -> None:
    async with scim_client(goto.scim_base_url, StaticTokenProvider(SANDBOX_GOTO_TOKEN)) as scim:
        assert (await scim.get_me())["userName"] == SANDBOX_ADMIN_USERNAME


def test_which_answers_mean_the_token_was_refused() -> None:
    request = httpx.Request("GET", "https://api.getgo.com/identity/v1/Users/me")
    invalid = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

    assert token_refused(httpx.Response(401, request=request))
    assert token_refused(httpx.Response(403, headers=invalid, request=request))
    assert not token_refused(httpx.Response(403, request=request))  # lacking rights: renewal won't help
    assert not token_refused(httpx.Response(200, request=request))


def test_the_auth_refuses_synchronous_clients() -> None:
    with (
        httpx.Client(
            auth=GoToAuth(StaticTokenProvider("t")),
            transport=httpx.MockTransport(lambda request: httpx.Response(200)),
        ) as http,
        pytest.raises(RuntimeError, match="AsyncClient"),
    ):
        http.get("https://api.getgo.com/identity/v1/Users/me")
