"""check_tables, test-connection's Table Storage check: works with nothing opened before it, and
each refusal comes back as a StorageError with the hint an operator needs."""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureNamedKeyCredential

from provisioning.errors import StorageError
from provisioning.state.tablestore import RetryPolicy, check_tables
from sandbox.azurite import ACCOUNT, ACCOUNT_KEY, Azurite, connection_string, free_port

QUICK = RetryPolicy(attempts=2, budget_seconds=0.5, first_wait=0.1, max_wait=0.1, jitter=0.0)


async def test_good_settings_pass(azurite: Azurite) -> None:
    detail = await check_tables(connection_string=azurite.connection_string)
    assert detail.startswith(f"signed in to Table Storage at 127.0.0.1:{azurite.port}")


async def test_an_endpoint_with_a_credential_passes(azurite: Azurite) -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    assert "signed in" in await check_tables(endpoint=azurite.endpoint, credential=credential)


async def test_a_wrong_key_fails_with_the_key_hint(azurite: Azurite) -> None:
    wrong = azurite.connection_string.replace(ACCOUNT_KEY, "B" * 86 + "==")
    with pytest.raises(StorageError) as caught:
        await check_tables(connection_string=wrong, retry=QUICK)
    assert caught.value.hint and "AccountKey" in caught.value.hint


async def test_an_unreachable_endpoint_fails_quickly_with_the_endpoint_hint() -> None:
    with pytest.raises(StorageError) as caught:
        await check_tables(connection_string=connection_string(free_port()), retry=QUICK)
    assert caught.value.hint and "endpoint" in caught.value.hint


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "AzureWebJobsStorage"),
        ({"connection_string": ""}, "AzureWebJobsStorage"),
        ({"endpoint": "https://acct.table.core.windows.net"}, "managed identity"),
    ],
)
async def test_missing_settings_fail_with_a_hint(settings: dict[str, str], named: str) -> None:
    with pytest.raises(StorageError) as caught:
        await check_tables(
            connection_string=settings.get("connection_string"), endpoint=settings.get("endpoint")
        )
    assert caught.value.hint and named in caught.value.hint
