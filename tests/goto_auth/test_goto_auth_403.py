"""GoToAuth renews once on a 403 that says the token is invalid (GoTo's 2018 description answers
403 "Invalid token passed"), and not on a 403 for lacking rights. GoTo is played by an
httpx.MockTransport here (the simulator's SCIM routes answer 401), so each 403 shape is exact."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from provisioning.errors import UnauthorizedError
from provisioning.goto_auth import GoToAuth
from provisioning.target.scim import ScimClient
from provisioning.target.throttle import Throttle
from tests.goto_auth.helpers import FAST_RETRY

FRESH = "fresh-token"
ME = {"id": "1", "userName": "admin@example.com", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

Answer = Callable[[], httpx.Response]
INVALID_TOKEN_403: dict[str, Answer] = {
    "text": lambda: httpx.Response(403, text="Invalid token passed"),
    "json message": lambda: httpx.Response(403, json={"message": "Invalid token passed"}),
    "scim detail": lambda: httpx.Response(
        403, json={"schemas": [SCIM_ERROR], "detail": "Invalid token passed", "status": "403"}
    ),
    "oauth error": lambda: httpx.Response(403, json={"error": "invalid_token"}),
    "expired": lambda: httpx.Response(403, json={"detail": "The access token is expired"}),
    "challenge": lambda: httpx.Response(403, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}),
}


class Provider:
    """Two tokens: the stale one handed out first, the fresh one after a refresh."""

    def __init__(self) -> None:
        self.current = "stale-token"
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.current

    async def refresh(self, *, rejected: str) -> str | None:
        self.refreshes += 1
        self.current = FRESH
        return FRESH


class FakeGoTo:
    """The MockTransport handler: `refusal` for every token but FRESH (or for all, `refuse_all`)."""

    def __init__(self, refusal: Answer, *, refuse_all: bool = False) -> None:
        self.refusal = refusal
        self.refuse_all = refuse_all
        self.tokens: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        self.tokens.append(token)
        if token == FRESH and not self.refuse_all:
            return httpx.Response(200, json=ME)
        return self.refusal()


async def _get_me(goto: FakeGoTo, provider: Provider) -> dict[str, object]:
    async with httpx.AsyncClient(
        base_url="https://api.getgo.com/identity/v1/",
        auth=GoToAuth(provider),
        transport=httpx.MockTransport(goto),
    ) as http:
        return await ScimClient(http, throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY)).get_me()


@pytest.mark.parametrize("shape", INVALID_TOKEN_403)
async def test_a_403_for_an_invalid_token_is_renewed_once(shape: str) -> None:
    goto, provider = FakeGoTo(INVALID_TOKEN_403[shape]), Provider()
    assert (await _get_me(goto, provider))["userName"] == ME["userName"]
    assert goto.tokens == ["stale-token", FRESH] and provider.refreshes == 1


@pytest.mark.parametrize("shape", ["text", "scim detail"])
async def test_a_second_refusal_after_the_renewal_is_unauthorized(shape: str) -> None:
    goto, provider = FakeGoTo(INVALID_TOKEN_403[shape], refuse_all=True), Provider()
    with pytest.raises(UnauthorizedError) as raised:
        await _get_me(goto, provider)
    assert raised.value.status == 403
    assert goto.tokens == ["stale-token", FRESH] and provider.refreshes == 1


@pytest.mark.parametrize(
    "refusal",
    [
        lambda: httpx.Response(403, json={"schemas": [SCIM_ERROR], "detail": "Insufficient privileges"}),
        lambda: httpx.Response(403, json={"code": "not.authorized", "uri": "/v1/Users"}),
        lambda: httpx.Response(403),
    ],
    ids=["insufficient privileges", "not authorized", "empty"],
)
async def test_a_403_for_lacking_rights_is_not_renewed(refusal: Answer) -> None:
    goto, provider = FakeGoTo(refusal), Provider()
    with pytest.raises(UnauthorizedError):
        await _get_me(goto, provider)
    assert goto.tokens == ["stale-token"] and provider.refreshes == 0
