"""Storage that refuses us ends in a StorageError whose hint names what to check: the key, the
connection string, the endpoint, the role. No message or hint carries the key.

Azurite answers a wrong key (403 AuthorizationFailure). It cannot answer "the identity lacks the
role" (403 AuthorizationPermissionMismatch, sent by Azure to an Entra identity without "Storage
Table Data Contributor"), so a small HTTP server on 127.0.0.1 (tests/state/fake_storage.py) answers
exactly that error, as Azure does; the client under test is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provisioning.errors import StorageError
from provisioning.state.tables import TableState
from provisioning.state.tablestore import RetryPolicy
from sandbox.azurite import ACCOUNT, ACCOUNT_KEY, Azurite, connection_string, free_port
from tests.state.fake_storage import FakeStorage, fake_storage

QUICK = RetryPolicy(attempts=3, budget_seconds=1.0, first_wait=0.1, max_wait=0.2, jitter=0.0)
WRONG_KEY = "A" * 86 + "=="  # base64, 64 bytes, not Azurite's key


@pytest.fixture
def permission_mismatch() -> Iterator[FakeStorage]:
    message = "This request is not authorized to perform this operation using this permission."
    with fake_storage(403, "AuthorizationPermissionMismatch", message) as server:
        yield server


async def _open(cs: str, prefix: str) -> StorageError:
    with pytest.raises(StorageError) as caught:
        async with TableState.from_connection_string(cs, prefix=prefix, retry=QUICK):
            pass
    error = caught.value
    text = f"{error} {error.hint}"
    assert ACCOUNT_KEY not in text and WRONG_KEY not in text and "AccountKey=" not in text
    return error


async def test_a_wrong_key_names_the_key(azurite: Azurite, table_prefix: str) -> None:
    error = await _open(azurite.connection_string.replace(ACCOUNT_KEY, WRONG_KEY), table_prefix)
    assert error.status == 403 and error.hint and "AccountKey in AzureWebJobsStorage" in error.hint


async def test_a_key_that_is_not_base64_names_the_key(azurite: Azurite, table_prefix: str) -> None:
    error = await _open(azurite.connection_string.replace(ACCOUNT_KEY, "not-a-key!"), table_prefix)
    assert error.hint and "AccountKey" in error.hint and "AzureWebJobsStorage" in error.hint


@pytest.mark.parametrize("value", ["", "AccountName=x", "nonsense"])
async def test_a_malformed_connection_string_names_the_setting(value: str, table_prefix: str) -> None:
    error = await _open(value, table_prefix)
    assert error.hint and "AzureWebJobsStorage" in error.hint


async def test_an_unreachable_endpoint_names_the_endpoint(table_prefix: str) -> None:
    port = free_port()  # nothing listens there
    error = await _open(connection_string(port), table_prefix)
    assert (
        f"127.0.0.1:{port}" in str(error) and error.hint and "endpoint in AzureWebJobsStorage" in error.hint
    )


async def test_a_host_that_does_not_resolve_names_the_account(table_prefix: str) -> None:
    cs = (
        f"DefaultEndpointsProtocol=https;AccountName=nosuchaccount;AccountKey={ACCOUNT_KEY};"
        "EndpointSuffix=invalid"
    )
    error = await _open(cs, table_prefix)
    assert "does not resolve" in str(error) and error.hint and "account name" in error.hint


async def test_a_missing_role_names_the_role(permission_mismatch: FakeStorage, table_prefix: str) -> None:
    cs = connection_string(permission_mismatch.port)
    error = await _open(cs, table_prefix)
    assert error.status == 403 and error.code == "AuthorizationPermissionMismatch"
    assert error.hint and "Storage Table Data Contributor" in error.hint
    assert permission_mismatch.requests == 1, "a refusal is not retried"
    assert ACCOUNT in cs  # the same client shape as against Azurite
