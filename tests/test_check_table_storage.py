"""test-connection's Table Storage check: it works with nothing opened before it, proves what a
cycle needs (a write, read and delete), and each refusal comes back as a StorageError with the hint
an operator needs."""

from __future__ import annotations

import pytest

from provisioning.config import Settings
from provisioning.diagnostics import check_table_storage
from provisioning.errors import StorageError
from provisioning.state.tablestore import RetryPolicy
from sandbox.azurite import ACCOUNT_KEY, Azurite, connection_string, free_port

QUICK = RetryPolicy(attempts=2, budget_seconds=0.5, first_wait=0.1, max_wait=0.1, jitter=0.0)


def _settings(tables_connection_string: str, table_prefix: str) -> Settings:
    return Settings(
        service_principal_id="x",
        tables_connection_string=tables_connection_string,
        state_table_prefix=table_prefix,
    )


async def test_good_settings_pass(azurite: Azurite, table_prefix: str) -> None:
    detail = await check_table_storage(_settings(azurite.connection_string, table_prefix))
    assert detail.startswith(f"signed in to Table Storage at 127.0.0.1:{azurite.port}")
    assert "wrote, read and deleted a probe row" in detail


async def test_a_wrong_key_fails_with_the_key_hint(azurite: Azurite, table_prefix: str) -> None:
    wrong = azurite.connection_string.replace(ACCOUNT_KEY, "B" * 86 + "==")
    with pytest.raises(StorageError) as caught:
        await check_table_storage(_settings(wrong, table_prefix), retry=QUICK)
    assert caught.value.hint and "AccountKey" in caught.value.hint


async def test_an_unreachable_endpoint_fails_quickly_with_the_endpoint_hint(table_prefix: str) -> None:
    with pytest.raises(StorageError) as caught:
        await check_table_storage(_settings(connection_string(free_port()), table_prefix), retry=QUICK)
    assert caught.value.hint and "endpoint" in caught.value.hint
