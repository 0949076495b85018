"""A transaction refused, or answered badly, raises what the SDK's own transaction raises: the same
exception type, status, `error_code` and failing index, on Azurite for what Azurite refuses and on
a small HTTP server on 127.0.0.1 for what it cannot produce (413, 503); a malformed answer is an
error, never a silent success; table.py still does a batch with an already-deleted row row by row."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import DecodeError, HttpResponseError
from azure.data.tables import RequestTooLargeError, TableTransactionError
from azure.data.tables.aio import TableClient

from provisioning.errors import StorageError
from provisioning.state.batch import Op, submit_transaction
from provisioning.state.storage_errors import RetryPolicy, error_code
from provisioning.state.table import Table
from provisioning.state.tablestore import TableStore
from sandbox.azurite import ACCOUNT, Azurite, connection_string

QUICK = RetryPolicy(attempts=3, budget_seconds=5.0, first_wait=0.01, max_wait=0.02, jitter=0.0)


def _row(row_key: Any, **properties: Any) -> Op:
    return ("upsert", {"PartitionKey": "p", "RowKey": row_key, **properties}, {})


def _outcome(exc: BaseException) -> tuple[Any, ...]:
    """What the product looks at: type, status, code, index, and the message without its request id."""
    message = str(getattr(exc, "message", None) or exc)
    first = re.sub(r"RequestId:\S+|Time:\S+", "", message).splitlines()[0] if message else ""
    return type(exc), getattr(exc, "status_code", None), error_code(exc), getattr(exc, "index", None), first


async def _both(client: TableClient, ops: list[Op]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    outcomes = []
    for send in (submit_transaction(client, ops), client.submit_transaction(list(ops))):
        with pytest.raises(Exception) as refused:
            await send
        outcomes.append(_outcome(refused.value))
    return outcomes[0], outcomes[1]


@pytest.fixture
async def table(tables_connection_string: str, table_prefix: str) -> AsyncIterator[Table]:
    async with TableStore.from_connection_string(tables_connection_string, retry=QUICK) as store:
        await store.open_tables([table_prefix + "batch"])
        yield store.table(table_prefix + "batch")


REFUSED = {
    "property too large": ([_row("a"), _row("b", X="y" * 40_000)], "PropertyValueTooLarge", 1),
    "slash in a key": ([_row("a"), _row("b/c")], "InvalidInput", 1),
    "hash in a key": ([_row("a"), _row("b#c")], "InvalidInput", 1),
    "control character in a key": ([_row("a"), _row("b\x01c")], "InvalidInput", 1),
    "key over 1 KiB": ([_row("a"), _row("k" * 1100)], "InvalidInput", 1),
    "row twice": ([_row("a"), _row("a")], "InvalidDuplicateRow", 1),
    "missing row deleted": (
        [_row("a"), ("delete", {"PartitionKey": "p", "RowKey": "nope"}, {})],
        "ResourceNotFound",
        1,
    ),
    "the 58th of 100": (
        [_row(f"r{i}", X="y" * (40_000 if i == 57 else 1)) for i in range(100)],
        "PropertyValueTooLarge",
        57,
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_refused_operation_raises_what_the_sdk_raises_and_names_its_index(
    table: Table, case: str
) -> None:
    ops, code, index = REFUSED[case]
    ours, sdk = await _both(table.client, ops)
    assert ours == sdk
    assert ours[0] is TableTransactionError and ours[2:4] == (code, index)
    assert [e async for e in table.client.list_entities()] == []  # atomic: nothing of it landed


async def test_a_stale_etag_raises_what_the_sdk_raises(table: Table) -> None:
    await table.upsert({"PartitionKey": "p", "RowKey": "r"})
    old = await table.get("p", "r")
    await table.upsert({"PartitionKey": "p", "RowKey": "r", "X": 1})
    assert old is not None
    guard = {"etag": old.metadata["etag"], "match_condition": MatchConditions.IfNotModified}
    ours, sdk = await _both(
        table.client, [_row("a"), ("delete", {"PartitionKey": "p", "RowKey": "r"}, guard)]
    )
    assert ours == sdk and ours[1:4] == (412, "UpdateConditionNotSatisfied", 1)


async def test_a_missing_table_and_a_wrong_key_raise_what_the_sdk_raises(
    azurite: Azurite, table: Table
) -> None:
    service = table.client
    missing = TableClient(
        endpoint=azurite.endpoint, table_name="nosuch" + uuid.uuid4().hex[:8], credential=service.credential
    )
    wrong = AzureNamedKeyCredential(ACCOUNT, "A" * 86 + "==")
    refused = TableClient(endpoint=azurite.endpoint, table_name=table.name, credential=wrong)
    async with missing, refused:
        ours, sdk = await _both(missing, [_row("a"), _row("b")])
        assert ours == sdk and ours[:4] == (TableTransactionError, 404, "TableNotFound", 0)
        ours, sdk = await _both(refused, [_row("a"), _row("b")])
        assert ours == sdk and ours[:3] == (HttpResponseError, 403, "AuthorizationFailure")


@pytest.mark.parametrize(
    ("ops", "error"),
    [
        ([_row("a"), ("upsert", {"PartitionKey": "q", "RowKey": "b"}, {})], ValueError),
        ([_row("a"), ("upsert", {"PartitionKey": "p"}, {})], ValueError),
        ([_row("a"), _row(5)], TypeError),
        ([_row("a"), _row("b", Big=2**40)], TypeError),
        ([_row("a"), ("upsert", {"PartitionKey": "p", "RowKey": "b"}, {"mode": "sideways"})], ValueError),
    ],
    ids=["two partitions", "no RowKey", "key not a string", "int over 32 bits", "unknown mode"],
)
async def test_what_the_sdk_refuses_before_the_wire_is_refused_alike(
    table: Table, ops: list[Op], error: type[Exception]
) -> None:
    for send in (submit_transaction(table.client, ops), table.client.submit_transaction(list(ops))):
        with pytest.raises(error):
            await send


async def test_a_batch_deleting_a_row_already_gone_is_done_row_by_row(table: Table) -> None:
    await table.upsert({"PartitionKey": "p", "RowKey": "there"})
    await table.submit(
        [
            ("upsert", {"PartitionKey": "p", "RowKey": "new", "X": 1}),
            ("delete", {"PartitionKey": "p", "RowKey": "gone"}),
            ("delete", {"PartitionKey": "p", "RowKey": "there"}),
        ]
    )
    assert [(e["RowKey"], e["X"]) async for e in table.client.list_entities()] == [("new", 1)]


async def test_through_the_store_a_refusal_is_the_same_storage_error(table: Table) -> None:
    ops = [_row("a"), _row("b", X="y" * 40_000)]
    with pytest.raises(StorageError) as ours:
        await table.submit([op[:2] for op in ops])
    with pytest.raises(StorageError) as sdk:
        await table._store.run("transaction", lambda _: table.client.submit_transaction(list(ops)))
    assert (
        (ours.value.status, ours.value.code)
        == (sdk.value.status, sdk.value.code)
        == (400, "PropertyValueTooLarge")
    )


# a server that answers every request the same ------------------------------------------------------


class _Fixed(ThreadingHTTPServer):
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.answer = (status, headers, body)
        self.requests = 0


class _Answer(BaseHTTPRequestHandler):
    server: _Fixed

    def do_POST(self) -> None:
        self.server.requests += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, body = self.server.answer
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def answer() -> Iterator[Any]:
    servers: list[_Fixed] = []

    def start(status: int, body: bytes, content_type: str) -> _Fixed:
        server = _Fixed(status, {"Content-Type": content_type}, body)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _store(server: _Fixed) -> TableStore:
    return TableStore.from_connection_string(connection_string(server.server_address[1]), retry=QUICK)


MULTIPART = "multipart/mixed; boundary=batchresponse_1"


def _multipart(*statuses: str, body: str = "", close: bool = True) -> bytes:
    parts = "".join(
        "--changesetresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        f"HTTP/1.1 {status}\r\nContent-Type: application/json;odata=minimalmetadata\r\n\r\n{body}\r\n"
        for status in statuses
    )
    text = f"--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_1\r\n\r\n{parts}"
    return (text + "--changesetresponse_1--\r\n--batchresponse_1--\r\n" if close else text).encode()


ERROR_JSON = '{"odata.error":{"code":"%s","message":{"lang":"en-US","value":"%s"}}}'


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (
            413,
            ERROR_JSON % ("RequestBodyTooLarge", "too big"),
            "application/json",
            (RequestTooLargeError, 413),
        ),
        (
            202,
            _multipart("413 Request Entity Too Large", body=ERROR_JSON % ("X", "0:big")),
            MULTIPART,
            (RequestTooLargeError, 202),
        ),
        (503, ERROR_JSON % ("ServerBusy", "busy"), "application/json", (HttpResponseError, 503)),
        (
            202,
            _multipart("500 Internal Server Error", body=ERROR_JSON % ("InternalError", "1:oops")),
            MULTIPART,
            (TableTransactionError, 500),
        ),
    ],
    ids=["413", "413 part", "503", "500 part"],
)
async def test_what_azurite_cannot_answer_raises_what_the_sdk_raises(
    answer: Any, status: int, body: str | bytes, content_type: str, expected: tuple[type, int]
) -> None:
    server = answer(status, body if isinstance(body, bytes) else body.encode(), content_type)
    async with _store(server) as store:
        ours, sdk = await _both(store.table("faketable").client, [_row("a"), _row("b")])
    assert ours == sdk and ours[:2] == expected


async def test_a_busy_service_is_retried_as_before(answer: Any) -> None:
    server = answer(503, (ERROR_JSON % ("ServerBusy", "busy")).encode(), "application/json")
    async with _store(server) as store:
        with pytest.raises(StorageError) as failed:
            await store.table("faketable").submit([_row("a")[:2], _row("b")[:2]])
    assert server.requests == QUICK.attempts and (failed.value.status, failed.value.code) == (
        503,
        "ServerBusy",
    )


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (_multipart("204 No Content", "204 No Content", close=False), MULTIPART, "no closing boundary"),
        (_multipart("204 No Content"), MULTIPART, "1 successful answers for 2 operations"),
        (
            _multipart("204 No Content", "204 No Content"),
            "application/json",
            "'application/json' is not multipart/mixed",
        ),
        (b"", MULTIPART, "no closing boundary"),
    ],
    ids=["truncated", "one answer short", "no boundary", "empty"],
)
async def test_a_malformed_answer_is_an_error_never_a_success(
    answer: Any, body: bytes, content_type: str, why: str
) -> None:
    server = answer(202, body, content_type)
    async with _store(server) as store:
        table = store.table("faketable")
        with pytest.raises(DecodeError, match=f"malformed: .*{re.escape(why)}"):
            await submit_transaction(table.client, [_row("a"), _row("b")])
        with pytest.raises(StorageError, match=re.escape(why)) as raised:
            await table.submit([_row("a")[:2], _row("b")[:2]])
        assert "answer could not be read" in str(raised.value)  # not "refused the request"
