"""The transaction answer's parser, on answers recorded from Azurite 3.35: every operation's status
in order, the refused operation's error part, and a clear MalformedAnswer (never a silent success)
for an answer without a boundary, cut short, or not HTTP inside. Pure: no I/O."""

from __future__ import annotations

import json

import pytest

from provisioning.state.batch import MalformedAnswer, boundary_of, failed_part, parse_answer

BATCH = "batchresponse_5d28166a-ff00-44be-b44d-bb26ee5dbc10"
CHANGESET = "changesetresponse_90bcc53b-ab27-4a25-92a8-6389f87c1519"
CONTENT_TYPE = f"multipart/mixed; boundary={BATCH}"


def _answer(*parts: str) -> bytes:
    inner = "".join(
        f"--{CHANGESET}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{part}"
        for part in parts
    )
    return (
        f"--{BATCH}\r\nContent-Type: multipart/mixed; boundary={CHANGESET}\r\n\r\n"
        f"{inner}--{CHANGESET}--\r\n--{BATCH}--\r\n"
    ).encode()


def _no_content(etag: str | None) -> str:
    tag = f"ETag: W/\"datetime'{etag}'\"\r\n" if etag else ""
    return (
        "HTTP/1.1 204 No Content\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n"
        f"DataServiceVersion: 3.0;\r\n{tag}\r\n\r\n"
    )


# Two upserts and a delete, as Azurite answered them.
SUCCESS = _answer(
    _no_content("2026-12-01T23%3A59%3A06.5503017Z"),
    _no_content("2026-12-01T23%3A59%3A06.5503030Z"),
    _no_content(None),
)
ERROR = {
    "odata.error": {
        "code": "ResourceNotFound",
        "message": {
            "lang": "en-US",
            "value": "1:The specified resource does not exist.\nRequestId:56f0e157",
        },
    }
}
# An upsert and a delete of a missing row: one part, the delete's (index 1) error.
FAILURE = _answer(
    "HTTP/1.1 404 Not Found\r\nContent-ID: 2\r\nDataServiceVersion: 3.0;\r\n"
    "Content-Type: application/json;odata=minimalmetadata;charset=utf-8\r\n\r\n"
    f"{json.dumps(ERROR, separators=(',', ':'))}\r\n"
)


def test_a_successful_answer_has_every_operations_status_in_order() -> None:
    parts = parse_answer(CONTENT_TYPE, SUCCESS)
    assert [(p.status, p.reason) for p in parts] == [(204, "No Content")] * 3
    assert parts[0].headers["etag"] == "W/\"datetime'2026-12-01T23%3A59%3A06.5503017Z'\""
    assert "etag" not in parts[2].headers
    assert failed_part(CONTENT_TYPE, SUCCESS, 3) is None


def test_a_refused_transaction_answers_the_failing_operation_with_its_index() -> None:
    failed = failed_part(CONTENT_TYPE, FAILURE, 2)
    assert failed is not None
    assert (failed.status, failed.reason) == (404, "Not Found")
    assert failed.headers["content-type"].startswith("application/json")
    error = json.loads(failed.body)["odata.error"]
    assert error["code"] == "ResourceNotFound" and error["message"]["value"].startswith("1:")


def test_the_boundary_is_read_from_the_content_type_quoted_or_not() -> None:
    assert boundary_of(f'multipart/mixed; boundary="{BATCH}"') == BATCH
    assert boundary_of(f"Multipart/Mixed;charset=utf-8;BOUNDARY={BATCH}") == BATCH


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/json", "multipart/mixed", f"text/plain; boundary={BATCH}"],
)
def test_an_answer_without_a_multipart_boundary_is_malformed(content_type: str | None) -> None:
    with pytest.raises(MalformedAnswer, match="multipart/mixed"):
        parse_answer(content_type, SUCCESS)


def test_an_answer_with_another_boundary_is_malformed() -> None:
    with pytest.raises(MalformedAnswer, match="closing boundary"):
        parse_answer("multipart/mixed; boundary=batchresponse_other", SUCCESS)


@pytest.mark.parametrize("answer", [SUCCESS, FAILURE], ids=["success", "failure"])
def test_every_answer_cut_before_its_closing_boundary_is_malformed(answer: bytes) -> None:
    end = len(answer) - len("--\r\n")  # the last byte of the closing boundary's name
    for cut in range(end):
        with pytest.raises(MalformedAnswer):
            parse_answer(CONTENT_TYPE, answer[:cut])


def test_fewer_successful_answers_than_operations_is_malformed() -> None:
    with pytest.raises(MalformedAnswer, match="3 successful answers for 4 operations"):
        failed_part(CONTENT_TYPE, SUCCESS, 4)


def test_a_part_that_is_not_an_http_answer_is_malformed() -> None:
    not_http = SUCCESS.replace(b"Content-Type: application/http", b"Content-Type: text/plain", 1)
    with pytest.raises(MalformedAnswer, match="not application/http"):
        parse_answer(CONTENT_TYPE, not_http)
    bad_status = SUCCESS.replace(b"HTTP/1.1 204 No Content", b"HTTP/1.1 20x No Content", 1)
    with pytest.raises(MalformedAnswer, match="status line"):
        parse_answer(CONTENT_TYPE, bad_status)


def test_junk_after_a_boundary_or_a_header_without_a_name_is_malformed() -> None:
    junk = SUCCESS.replace(f"--{CHANGESET}\r\n".encode(), f"--{CHANGESET}junk\r\n".encode(), 1)
    with pytest.raises(MalformedAnswer, match="boundary line"):
        parse_answer(CONTENT_TYPE, junk)
    nameless = SUCCESS.replace(b"Cache-Control: no-cache", b"Cache-Control no-cache", 1)
    with pytest.raises(MalformedAnswer, match="no name"):
        parse_answer(CONTENT_TYPE, nameless)
