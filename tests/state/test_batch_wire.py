"""Our own transaction lands on Azurite exactly as the SDK's does: merge and replace upserts and
deletes in one request, every EDM type the product writes, keys that need quoting, 100 operations,
and the SDK's authentication (shared key, SAS) on the one request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.data.tables import (
    AccountSasPermissions,
    EdmType,
    EntityProperty,
    ResourceTypes,
    TableTransactionError,
    UpdateMode,
    generate_account_sas,
)
from azure.data.tables.aio import TableClient

from provisioning.model import Link, ObjectType
from provisioning.state.batch import Op, submit_transaction
from provisioning.state.codecs import audit_to_entity, link_from_entity, link_to_entity
from provisioning.state.storage_errors import error_code
from provisioning.state.table import Table
from provisioning.state.tablestore import TableStore
from sandbox.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.state.test_audit_log_support import BASE, CountingTransport, record


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
async def table(
    tables_connection_string: str, table_prefix: str, transport: CountingTransport
) -> AsyncIterator[Table]:
    async with TableStore.from_connection_string(tables_connection_string, transport=transport) as store:
        await store.open_tables([table_prefix + "batch"])
        yield store.table(table_prefix + "batch")


async def _rows(client: TableClient, partition: str) -> dict[str, dict[str, Any]]:
    found = client.query_entities("PartitionKey eq @p", parameters={"p": partition})
    return {e["RowKey"]: {k: v for k, v in e.items() if k != "PartitionKey"} async for e in found}


def _batches(transport: CountingTransport) -> int:
    return sum(1 for method, url in transport.requests if method == "POST" and url.endswith("/$batch"))


async def test_merge_and_replace_upserts_and_deletes_land_in_one_request(
    table: Table, transport: CountingTransport
) -> None:
    p = "p"
    for row in ("merged", "replaced", "deleted", "kept"):
        await table.upsert({"PartitionKey": p, "RowKey": row, "X": 1, "Y": "old"})
    transport.requests.clear()
    await submit_transaction(
        table.client,
        [
            ("upsert", {"PartitionKey": p, "RowKey": "merged", "Y": "new"}, {}),
            ("upsert", {"PartitionKey": p, "RowKey": "replaced", "Z": True}, {"mode": UpdateMode.REPLACE}),
            ("delete", {"PartitionKey": p, "RowKey": "deleted"}, {}),
            ("upsert", {"PartitionKey": p, "RowKey": "created", "X": 2}, {"mode": UpdateMode.MERGE}),
        ],
    )
    assert _batches(transport) == 1 and len(transport.requests) == 1
    assert await _rows(table.client, p) == {
        "merged": {"RowKey": "merged", "X": 1, "Y": "new"},
        "replaced": {"RowKey": "replaced", "Z": True},
        "kept": {"RowKey": "kept", "X": 1, "Y": "old"},
        "created": {"RowKey": "created", "X": 2},
    }


async def test_a_delete_with_an_etag_deletes_only_that_version(table: Table) -> None:
    await table.upsert({"PartitionKey": "p", "RowKey": "r", "X": 1})
    first = await table.get("p", "r")
    await table.upsert({"PartitionKey": "p", "RowKey": "r", "X": 2})
    current = await table.get("p", "r")
    assert first is not None and current is not None

    def ops(etag: str | None) -> list[Op]:
        guard = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        return [
            ("upsert", {"PartitionKey": "p", "RowKey": "other"}, {}),
            ("delete", {"PartitionKey": "p", "RowKey": "r"}, guard),
        ]

    with pytest.raises(TableTransactionError) as stale:
        await submit_transaction(table.client, ops(first.metadata["etag"]))
    refused = (stale.value.status_code, error_code(stale.value), stale.value.index)
    assert refused == (412, "UpdateConditionNotSatisfied", 1)
    assert await table.get("p", "r") == current and await table.get("p", "other") is None
    await submit_transaction(table.client, ops(current.metadata["etag"]))
    assert await table.get("p", "r") is None


EVERY_TYPE: dict[str, Any] = {
    "When": datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
    "OneMicro": datetime(1601, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    "Big": EntityProperty(2**40 + 1, EdmType.INT64),
    "Negative": EntityProperty(-(2**62), EdmType.INT64),
    "Small": 2**31 - 1,
    "Yes": True,
    "No": False,
    "Bytes": b"\x00\xffbinary",
    "Id": uuid.UUID("6f1c0de4-34b6-4f0a-9b1e-2c7f4d6a8b90"),
    "Float": 1.25,
    "Whole": 3.0,
    "Huge": float("inf"),
    "Text": "Zoë \"quoted\" 'single' ✓ \u2028 end",
    "Empty": "",
    "Missing": None,
}


async def test_every_edm_type_reads_back_as_the_sdks_own_transaction_writes_it(table: Table) -> None:
    keys = {"RowKey": "o'ne é +%&=;"}
    await submit_transaction(table.client, [("upsert", {"PartitionKey": "ours", **keys, **EVERY_TYPE}, {})])
    await table.client.submit_transaction([("upsert", {"PartitionKey": "sdk", **keys, **EVERY_TYPE})])
    ours, sdk = await _rows(table.client, "ours"), await _rows(table.client, "sdk")
    assert ours == sdk
    read = ours[keys["RowKey"]]
    expected = {k: v for k, v in EVERY_TYPE.items() if v is not None}
    assert {k: read[k] for k in expected} == expected
    assert "Missing" not in read
    assert read["Big"].edm_type == EdmType.INT64 and read["Big"].value == 2**40 + 1


async def test_links_and_audit_rows_read_back_as_written(table: Table) -> None:
    link = Link("entra-1", "goto-1", True, {"userName": "ada@x"}, {"upn": "ada@x"}, ObjectType.USER)
    other = Link("entra-2", "goto-2", False, {}, {}, ObjectType.USER)
    audit = audit_to_entity(record("cycle", "entra-1", BASE))
    audit["PartitionKey"] = link_to_entity(link)["PartitionKey"]
    await submit_transaction(
        table.client,
        [("upsert", link_to_entity(link), {}), ("upsert", link_to_entity(other), {}), ("upsert", audit, {})],
    )
    rows = await _rows(table.client, ObjectType.USER.value)
    assert link_from_entity({"PartitionKey": "user", **rows["entra-1"]}) == link
    assert link_from_entity({"PartitionKey": "user", **rows["entra-2"]}) == other
    assert {k: rows[audit["RowKey"]][k] for k in audit if k != "PartitionKey"} == {
        k: v for k, v in audit.items() if k != "PartitionKey"
    }


async def test_one_hundred_operations_are_one_request(table: Table, transport: CountingTransport) -> None:
    for i in range(50):
        await table.upsert({"PartitionKey": "p", "RowKey": f"old{i:02}"})
    transport.requests.clear()
    ops: list[Op] = [("upsert", {"PartitionKey": "p", "RowKey": f"new{i:02}", "N": i}, {}) for i in range(50)]
    ops += [("delete", {"PartitionKey": "p", "RowKey": f"old{i:02}"}, {}) for i in range(50)]
    await submit_transaction(table.client, ops)
    assert _batches(transport) == 1 and len(transport.requests) == 1
    rows = await _rows(table.client, "p")
    assert sorted(rows) == [f"new{i:02}" for i in range(50)]
    assert [rows[f"new{i:02}"]["N"] for i in range(50)] == list(range(50))


async def test_a_sas_connection_string_signs_the_transaction(azurite: Azurite, table: Table) -> None:
    sas = generate_account_sas(
        AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY),
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(
            read=True, write=True, delete=True, list=True, add=True, update=True
        ),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    connection = f"TableEndpoint={azurite.endpoint};SharedAccessSignature={sas}"
    async with TableClient.from_connection_string(connection, table_name=table.name) as client:
        await submit_transaction(
            client, [("upsert", {"PartitionKey": "sas", "RowKey": str(i)}, {}) for i in (1, 2)]
        )
    assert sorted(await _rows(table.client, "sas")) == ["1", "2"]
