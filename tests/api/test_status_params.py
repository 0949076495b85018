"""GET /api/status takes no query parameters: any one is a 400 naming it."""

from __future__ import annotations

import pytest

from provisioning.api.http import ApiRequest
from provisioning.api.status import handle_status
from provisioning.config import Settings
from provisioning.state.tables import TableState


@pytest.mark.parametrize("params", [{"verbose": "1"}, {"cycleId": "x"}, {"format": "csv", "a": ""}])
async def test_no_query_parameters(
    tables_connection_string: str, table_prefix: str, params: dict[str, str]
) -> None:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        response = await handle_status(
            ApiRequest("GET", "/api/status", params=params),
            state=state,
            settings=Settings(service_principal_id="x"),
        )
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == "badRequest" and error["field"] == sorted(params)[0]
    assert "none" in error["message"]


async def test_a_broken_store_is_a_500_without_internals(
    tables_connection_string: str, table_prefix: str
) -> None:
    state = TableState.from_connection_string(tables_connection_string, prefix=table_prefix)  # never opened
    response = await handle_status(
        ApiRequest("GET", "/api/status"), state=state, settings=Settings(service_principal_id="x")
    )
    await state.close()
    assert response.status == 500 and response.json()["error"]["code"] == "internalError"
    assert "open()" not in response.body.decode()
