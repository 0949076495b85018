"""A deeply nested JSON body is a 400 naming `body`, not a RecursionError answered 500."""

from __future__ import annotations

import time

import pytest

from provisioning.api.http import MAX_JSON_DEPTH, json_depth
from tests.fixtures.functions import Caller


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[{{{"}', 1),  # brackets inside a string do not nest
        (b'{"a": "\\"[[["}', 1),  # nor after an escaped quote
        (b"[" * 5 + b"]" * 5, 5),
        (b"[]" * 1000, 1),
    ],
)
def test_depth_is_counted_without_parsing(raw: bytes, depth: int) -> None:
    assert json_depth(raw) == depth


@pytest.mark.parametrize("route", ["restart_provisioning", "provision_group", "staged_approve"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
async def test_a_deep_body_is_a_400_naming_body(call: Caller, route: str, depth: int) -> None:
    raw = b'{"memberIds": ' + b"[" * depth + b"]" * depth + b"}"
    started = time.perf_counter()
    status, body = await call(route, route={"entraId": "0b0b0b0b-1111-2222-3333-444444444444"}, body=raw)
    assert status == 400, body
    assert body["error"]["field"] == "body" and "deeper than 32" in body["error"]["message"]
    assert time.perf_counter() - started < 1.0


async def test_a_body_at_the_bound_is_read_as_json(call: Caller) -> None:
    """32 levels parse; the route then judges the value itself (resetLinks is not a bool)."""
    inner = MAX_JSON_DEPTH - 1
    raw = b'{"resetLinks": ' + b"[" * inner + b"]" * inner + b"}"
    status, body = await call("restart_provisioning", body=raw)
    assert status == 400 and body["error"]["field"] == "resetLinks"
