"""One entity group transaction (upserts and deletes of one partition) sent and read by us.

Why: azure-core writes every sub-request with http.client-style code and reads the answer with
`email.parser` plus an http.client parse of every part, a third of the product's CPU per created
user (issue 15). Here the body is joined bytes and the answer is split on its boundary. The request
still goes through the SDK client's own pipeline (shared key, SAS or token; the store's timeouts),
entities are serialised by the SDK's own function, and every failure raises what
`TableClient.submit_transaction` raises: the same exception types with the same error codes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from azure.core import MatchConditions
from azure.core.exceptions import DecodeError
from azure.core.rest import HttpRequest
from azure.core.utils import CaseInsensitiveDict
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables._error import (  # the SDK's own error decoding: the same errors as its batch
    RequestTooLargeError,
    _decode_error,
    _validate_tablename_error,
)
from azure.data.tables._serialize import _add_entity_properties, _get_match_condition
from azure.data.tables.aio import TableClient

Op = tuple[str, Mapping[str, Any], Mapping[str, Any]]
KINDS = frozenset({"upsert", "delete"})
_OPTIONS = {"upsert": frozenset({"mode"}), "delete": frozenset({"etag", "match_condition"})}
_TOO_LARGE = "The transaction request was too large"


class MalformedAnswer(ValueError):
    """The service's answer to a transaction is not the multipart answer the protocol promises."""


@dataclass(frozen=True, slots=True)
class Part:
    """One operation's answer inside the transaction's answer."""

    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


# the request --------------------------------------------------------------------------------------


def _key(entity: Mapping[str, Any], name: str) -> str:
    if name not in entity:
        raise ValueError("PartitionKey and/or RowKey were not provided in entity")
    value = entity[name]
    if not isinstance(value, str):
        raise TypeError("PartitionKey or RowKey must be of type string.")
    return quote(value.replace("'", "''"), safe="")


_INT32 = 2**31


def entity_properties(entity: Mapping[str, Any]) -> dict[str, Any]:
    """What the SDK's `_add_entity_properties` makes of `entity` (the same keys in the same order),
    its common cases written out: a plain str gets its `@odata.type` of Edm.String, a bool and an
    int32 go as they are, None is left out; any other value (and an int out of range, which the
    SDK refuses) is converted by the SDK's own function."""
    properties: dict[str, Any] = {}
    for name, value in entity.items():
        kind = type(value)
        if kind is str:
            properties[name] = value
            properties[name + "@odata.type"] = "Edm.String"
        elif kind is bool or (kind is int and -_INT32 <= value < _INT32):
            properties[name] = value
        elif value is not None:
            properties.update(_add_entity_properties({name: value}))
    return properties


def _operation(
    base: str, kind: str, entity: Mapping[str, Any], options: Mapping[str, Any], version: str
) -> bytes:
    """One sub-request as the SDK's batch writes it (PATCH merge / PUT replace / DELETE)."""
    unknown = set(options) - _OPTIONS[kind]
    if unknown:
        raise ValueError(f"transaction option {sorted(unknown)[0]!r} is not supported for {kind}")
    url = f"{base}(PartitionKey='{_key(entity, 'PartitionKey')}',RowKey='{_key(entity, 'RowKey')}')"
    if kind == "delete":
        etag = options.get("etag")
        condition = _get_match_condition(
            etag, options.get("match_condition") or MatchConditions.Unconditionally
        )
        if_match = etag if condition == MatchConditions.IfNotModified else "*"
        return (
            f"DELETE {url} HTTP/1.1\r\nx-ms-version: {version}\r\nDataServiceVersion: 3.0\r\n"
            f"Accept: application/json;odata=minimalmetadata\r\nIf-Match: {if_match}\r\n\r\n"
        ).encode()
    mode = options.get("mode", UpdateMode.MERGE)
    if mode == UpdateMode.MERGE:
        method = "PATCH"
    elif mode == UpdateMode.REPLACE:
        method = "PUT"
    else:
        raise ValueError(f"Mode type '{mode}' is not supported.")
    properties = entity_properties(entity)
    body = orjson.dumps(properties)  # a tenth of json.dumps' CPU; three rows per provisioned user
    if not body.isascii():  # non-ASCII text goes \u-escaped, as the SDK sends it
        body = json.dumps(properties).encode()
    head = (
        f"{method} {url} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"x-ms-version: {version}\r\nDataServiceVersion: 3.0\r\nAccept: application/json\r\n\r\n"
    )
    return head.encode() + body


def encode(endpoint: str, table: str, operations: Sequence[Op], *, version: str) -> tuple[bytes, str]:
    """The `multipart/mixed` body of one changeset holding `operations`, and its Content-Type."""
    batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    base = f"{endpoint}/{quote(table, safe='')}"
    partition: object = None
    chunks = [f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n".encode()]
    for index, (kind, entity, options) in enumerate(operations):
        if kind not in KINDS:
            raise ValueError(f"transaction operation {kind!r} is not one of {sorted(KINDS)}")
        if partition is None:
            partition = entity.get("PartitionKey")
        elif entity.get("PartitionKey") != partition:
            raise ValueError("Partition Keys in the batch must all be the same.")
        chunks.append(
            f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: {index}\r\n\r\n".encode()
        )
        chunks.append(_operation(base, kind, entity, options, version))
        chunks.append(b"\r\n")
    chunks.append(f"--{changeset}--\r\n\r\n--{batch}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={batch}"


# the answer ---------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r';\s*boundary="?([^";\s]+)"?', re.IGNORECASE)
_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})(?: (.*))?")


def boundary_of(content_type: str | None) -> str:
    match = _BOUNDARY.search(content_type or "")
    if not (content_type or "").lower().startswith("multipart/mixed") or match is None:
        raise MalformedAnswer(f"Content-Type {content_type!r} is not multipart/mixed with a boundary")
    return match.group(1)


def _headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise MalformedAnswer(f"header line {line[:80]!r} has no name")
        headers[name.strip().lower()] = value.strip()
    return headers


def _head_and_body(block: bytes) -> tuple[dict[str, str], bytes]:
    if block.startswith(b"\r\n"):
        return {}, block[2:]
    end = block.find(b"\r\n\r\n")
    if end < 0:
        raise MalformedAnswer("a part's headers do not end with an empty line (truncated)")
    return _headers(block[:end]), block[end + 4 :]


def _split(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts between `--boundary` lines, up to the closing `--boundary--` (RFC 2046)."""
    pieces = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    parts: list[tuple[dict[str, str], bytes]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            if not parts:
                raise MalformedAnswer(f"no part before the closing boundary {boundary!r}")
            return parts
        line_end = piece.find(b"\r\n")
        if line_end < 0 or piece[:line_end].strip(b" \t"):
            raise MalformedAnswer(f"the boundary line {boundary!r} is not followed by a line end")
        parts.append(_head_and_body(piece[line_end + 2 :]))
    raise MalformedAnswer(f"no closing boundary {boundary!r} (truncated)")


def _response(headers: Mapping[str, str], content: bytes) -> Part:
    if not headers.get("content-type", "").lower().startswith("application/http"):
        raise MalformedAnswer(
            f"a part's Content-Type {headers.get('content-type')!r} is not application/http"
        )
    line_end = content.find(b"\r\n")
    status = _STATUS.fullmatch(content[: max(line_end, 0)])
    if status is None:
        raise MalformedAnswer(f"a part's status line {content[:40]!r} is not 'HTTP/1.1 <status>'")
    inner, body = _head_and_body(content[line_end + 2 :])
    return Part(int(status.group(1)), (status.group(2) or b"").decode("latin-1"), inner, body)


def parse_answer(content_type: str | None, body: bytes) -> list[Part]:
    """Every operation's answer, in order: the batch's parts, a changeset's parts taken in place."""
    parts: list[Part] = []
    for headers, content in _split(body, boundary_of(content_type)):
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            parts.extend(_response(h, c) for h, c in _split(content, boundary_of(kind)))
        else:
            parts.append(_response(headers, content))
    return parts


class _PartResponse:
    """A failed part as the SDK's error decoding reads a response (status, headers, text)."""

    def __init__(self, part: Part, request: Any) -> None:
        self.status_code = part.status
        self.reason = part.reason
        self.headers = CaseInsensitiveDict(part.headers)
        self.content_type = part.headers.get("content-type")
        self.content = part.body
        self.request = request

    def body(self) -> bytes:
        return self.content

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode(encoding or "utf-8-sig")


def failed_part(content_type: str | None, body: bytes, count: int) -> Part | None:
    """The first refused operation's answer, or None when all `count` operations were answered
    with success; MalformedAnswer when the answer is neither."""
    parts = parse_answer(content_type, body)
    failed = next((p for p in parts if not 200 <= p.status < 300), None)
    if failed is None and len(parts) != count:
        raise MalformedAnswer(f"{len(parts)} successful answers for {count} operations")
    return failed


def raise_for_answer(response: Any, table: str, count: int) -> None:
    """Nothing if all `count` operations succeeded; else what the SDK's `_batch_send` raises."""
    if response.status_code == 413:
        raise _decode_error(response, error_message=_TOO_LARGE, error_type=RequestTooLargeError)
    if response.status_code != 202:
        decoded = _decode_error(response)
        _validate_tablename_error(decoded, table)
        raise decoded
    try:
        failed = failed_part(response.headers.get("Content-Type"), response.content, count)
    except MalformedAnswer as exc:
        raise DecodeError(
            message=f"Table Storage's answer to a transaction on {table} is malformed: {exc}",
            response=response,
        ) from exc
    if failed is None:
        return
    if failed.status == 413:
        raise _decode_error(response, error_message=_TOO_LARGE, error_type=RequestTooLargeError)
    decoded = _decode_error(
        response=_PartResponse(failed, response.request), error_type=TableTransactionError
    )
    _validate_tablename_error(decoded, table)
    raise decoded


async def submit_transaction(client: TableClient, operations: Sequence[Op], **call_options: Any) -> None:
    """Upserts and deletes of one partition as one transaction, through `client`'s pipeline; other
    operations (and Cosmos endpoints, whose merge the SDK rewrites) go through the SDK."""
    if not operations:
        return
    if getattr(client, "_cosmos_endpoint", False) or any(kind not in KINDS for kind, _, _ in operations):
        await client.submit_transaction(list(operations), **call_options)
        return
    endpoint = f"{client.scheme}://{client._primary_hostname}"
    body, content_type = encode(endpoint, client.table_name, operations, version=client.api_version)
    request = HttpRequest(
        "POST",
        f"{endpoint}/$batch",
        headers={
            "x-ms-version": client.api_version,
            "DataServiceVersion": "3.0",
            "MaxDataServiceVersion": "3.0;NetFx",
            "Content-Type": content_type,
            "Accept": "application/json",
        },
        content=body,
    )
    response = await client._client.send_request(request, stream=True, **call_options)
    await response.read()
    raise_for_answer(response, client.table_name, len(operations))
