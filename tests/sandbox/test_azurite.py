"""Azurite behaves like Table Storage where the product relies on it: batches and ETag guards."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
from azure.data.tables import TableServiceClient, UpdateMode


def test_batch_of_100_and_etag_guard(tables_connection_string: str, table_prefix: str) -> None:
    service = TableServiceClient.from_connection_string(tables_connection_string)
    table = service.create_table(f"{table_prefix}batch")

    operations = [("upsert", {"PartitionKey": "p", "RowKey": f"{i:03d}", "n": i}) for i in range(100)]
    table.submit_transaction(operations)
    rows = list(table.query_entities("PartitionKey eq 'p'"))
    assert len(rows) == 100
    assert sorted(r["n"] for r in rows) == list(range(100))

    first = table.get_entity("p", "000")
    stale_etag = first.metadata["etag"]
    table.update_entity({"PartitionKey": "p", "RowKey": "000", "n": 1000}, mode=UpdateMode.MERGE)
    with pytest.raises(ResourceModifiedError) as caught:
        table.update_entity(
            {"PartitionKey": "p", "RowKey": "000", "n": -1},
            mode=UpdateMode.REPLACE,
            etag=stale_etag,
            match_condition=MatchConditions.IfNotModified,
        )
    assert caught.value.status_code == 412
    assert table.get_entity("p", "000")["n"] == 1000

    with pytest.raises(ResourceExistsError):
        table.create_entity({"PartitionKey": "p", "RowKey": "001"})
