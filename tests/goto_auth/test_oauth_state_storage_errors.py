"""Table Storage refusing the browser flow's state table is a StorageError naming what to check (not
the SDK's own exception), and the OAuth routes answer it with 503 storageUnavailable, without a key.

Azurite answers a wrong account key with 403 AuthorizationFailure, which is not retried: the
refusal comes back at once."""

from __future__ import annotations

import pytest

from provisioning.errors import StorageError
from provisioning.goto_auth import OAuthStateStore
from sandbox.azurite import ACCOUNT_KEY, Azurite
from sandbox.world import World, environment
from tests.fixtures.functions import Caller

WRONG_KEY = "A" * 86 + "=="  # base64, 64 bytes, not Azurite's key
REDIRECT = "http://localhost/api/goto/callback"


def _wrong_key(azurite: Azurite) -> str:
    return azurite.connection_string.replace(ACCOUNT_KEY, WRONG_KEY)


async def test_a_refused_state_table_is_a_storage_error_with_a_hint(
    azurite: Azurite, table_prefix: str
) -> None:
    with pytest.raises(StorageError) as caught:
        async with OAuthStateStore.from_connection_string(_wrong_key(azurite), prefix=table_prefix):
            pass
    error = caught.value
    assert error.status == 403
    assert error.hint and "AccountKey in AzureWebJobsStorage" in error.hint
    assert WRONG_KEY not in f"{error} {error.hint}"


async def test_the_oauth_routes_answer_503(call: Caller, world: World) -> None:
    env = world.env(
        AzureWebJobsStorage=_wrong_key(world.azurite),
        GOTO_ACCESS_TOKEN="",
        GOTO_CLIENT_ID="admin-app",
        GOTO_CLIENT_SECRET="admin-app-secret",
        GOTO_AUTH_BASE_URL=world.goto.url,
        GOTO_REDIRECT_URI=REDIRECT,
    )
    with environment(env):
        authorize = await call("goto_authorize", method="GET")
        callback = await call("goto_callback", method="GET", params={"code": "c", "state": "s" * 43})

    for status, body in (authorize, callback):
        assert status == 503, body
        assert body["error"]["code"] == "storageUnavailable"
        assert "AccountKey in AzureWebJobsStorage" in body["error"]["hint"]
    assert not any(WRONG_KEY in answer or ACCOUNT_KEY in answer for answer in call.answers)
