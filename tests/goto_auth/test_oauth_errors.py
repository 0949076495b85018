"""How GoTo's token endpoint answers become errors: clear, typed, retried when worth it, secret-free."""

from __future__ import annotations

import httpx
import pytest

from provisioning.errors import TransientError, UnauthorizedError
from provisioning.goto_auth import (
    ClientCredentialsError,
    GoToAuthSettings,
    GoToOAuthClient,
    GoToOAuthError,
    ReauthorizationRequiredError,
)
from provisioning.goto_auth.oauth import parse_token_answer
from provisioning.target.throttle import Throttle
from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_ADMIN_USERNAME, GoToSimulator
from tests.goto_auth.helpers import APP_CLIENT_ID, FAST_RETRY, FUNCTION_REDIRECT_URI, SecretRecorder, consent


async def test_a_wrong_client_secret_points_at_the_client_settings(
    goto: GoToSimulator, settings: GoToAuthSettings, token_http: httpx.AsyncClient
) -> None:
    wrong_secret = "wrong-client-secret-value"
    oauth = GoToOAuthClient(
        token_http, client_id=APP_CLIENT_ID, client_secret=wrong_secret, auth_base_url=goto.url
    )
    refresh_token = goto.oauth.issue(APP_CLIENT_ID)["refresh_token"]

    with pytest.raises(ClientCredentialsError) as raised:
        await oauth.refresh(refresh_token)

    message = str(raised.value)
    assert "GOTO_CLIENT_ID and GOTO_CLIENT_SECRET" in message
    assert raised.value.status == 401 and raised.value.error == "invalid_client"
    assert wrong_secret not in message and refresh_token not in message
    assert not isinstance(raised.value, ReauthorizationRequiredError)


async def test_an_unknown_refresh_token_asks_for_reauthorization(oauth: GoToOAuthClient) -> None:
    with pytest.raises(ReauthorizationRequiredError, match="re-authorize GoTo") as raised:
        await oauth.refresh("a-refresh-token-goto-never-issued")

    assert isinstance(raised.value, UnauthorizedError)  # the engine stops the run on it
    assert "a-refresh-token-goto-never-issued" not in str(raised.value)


async def test_a_replayed_code_is_refused_and_the_message_says_start_again(
    goto: GoToSimulator, settings: GoToAuthSettings, oauth: GoToOAuthClient, recorder: SecretRecorder
) -> None:
    url = oauth.authorization_url(state="s" * 43, redirect_uri=FUNCTION_REDIRECT_URI)
    redirect = await consent(url, recorder)
    answer = await oauth.exchange_code(code=redirect.code, redirect_uri=FUNCTION_REDIRECT_URI)

    with pytest.raises(GoToOAuthError, match="start the authorization again") as raised:
        await oauth.exchange_code(code=redirect.code, redirect_uri=FUNCTION_REDIRECT_URI)

    assert answer.account_key == SANDBOX_ACCOUNT_KEY and answer.principal == SANDBOX_ADMIN_USERNAME
    assert redirect.code not in str(raised.value)
    assert not isinstance(raised.value, ReauthorizationRequiredError)


async def test_429_and_503_from_the_token_endpoint_are_retried(
    goto: GoToSimulator, oauth: GoToOAuthClient, recorder: SecretRecorder
) -> None:
    goto.configure(retry_after=None)
    goto.faults.queue("throttle")
    goto.faults.queue("unavailable")
    refresh_token = goto.oauth.issue(APP_CLIENT_ID)["refresh_token"]

    answer = await oauth.refresh(refresh_token)

    assert goto.oauth.access_token_valid(answer.access_token)
    assert recorder.token_requests == 3


async def test_a_token_endpoint_that_stays_down_is_a_transient_error(
    goto: GoToSimulator, token_http: httpx.AsyncClient
) -> None:
    goto.configure(retry_after=None)
    goto.faults.queue("server_error", count=10)
    oauth = GoToOAuthClient(
        token_http,
        client_id=APP_CLIENT_ID,
        client_secret="irrelevant-secret",
        auth_base_url=goto.url,
        throttle=Throttle(rate_per_second=1000, retry=FAST_RETRY),
    )

    with pytest.raises(TransientError, match="HTTP 500"):
        await oauth.refresh("some-refresh-token")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "not a JSON object"),
        ({"expires_in": 3600}, "access_token is missing"),
        ({"access_token": "a", "token_type": "mac"}, "not Bearer"),
        ({"access_token": "a", "expires_in": "soon"}, "expires_in is not a number"),
        ({"access_token": "a", "expires_in": 0}, "not positive"),
        ({"access_token": "a", "refresh_token": 7}, "refresh_token is not a string"),
    ],
)
def test_unusable_token_answers_name_the_field(body: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_token_answer(body)


def test_a_minimal_answer_gets_gotos_documented_lifetime() -> None:
    answer = parse_token_answer({"access_token": "opaque-access-value", "account_key": 4201337})

    assert answer.expires_in == 3600 and answer.refresh_token is None
    assert answer.account_key == "4201337"
    assert "opaque-access-value" not in repr(answer)
