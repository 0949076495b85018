"""HTTP/1.1 messages as bytes: a request head to send, a response head and body framing to read.

What h11 (under httpcore) did for GoTo's transport, for the few message shapes a client exchanges,
at a fraction of its CPU: h11 builds an event object per header block, body piece and end of
message, and validates each header through a generic normaliser. The rules are h11's own (its
regular expressions, its framing per RFC 9112 §6.3, its keep-alive rule) and so are its error
messages; a request that h11 would refuse raises httpx.LocalProtocolError, an answer h11 would
refuse raises httpx.RemoteProtocolError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

# h11/_abnf.py
_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_FIELD_VCHAR = rb"[^\x00\s]"
_FIELD_VALUE = rb"(?:" + _FIELD_VCHAR + rb"+(?:[ \t]+" + _FIELD_VCHAR + rb"+)*)?"
_NAME_RE = re.compile(_TOKEN)
_VALUE_RE = re.compile(_FIELD_VALUE)
_TARGET_RE = re.compile(rb"[\x21-\x7e]+")
_HEADER_LINE_RE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(" + _FIELD_VALUE + rb")[ \t]*")
_STATUS_LINE_RE = re.compile(rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ((?:[ \t]|[^\x00\s])*))?")
_CHUNK_HEADER_RE = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*\r\n")
_CONTENT_LENGTH_RE = re.compile(rb"[0-9]+")
_OBS_FOLD_RE = re.compile(rb"[ \t]+")
_BLANK_LINE_RE = re.compile(rb"\n\r?\n")
CONTENT_LENGTH_MAX_DIGITS = 20  # h11's bound
MAX_HEAD_BYTES = 100 * 1024  # httpcore's max_incomplete_event_size for h11


def request_head(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, int | None]:
    """The request line and headers as h11 writes them (Host first), and the body framing they
    declare: the Content-Length, or None for chunked (-1 when there is neither: no body)."""
    if not _NAME_RE.fullmatch(method):
        raise httpx.LocalProtocolError(f"Illegal method characters {method!r}")
    if not _TARGET_RE.fullmatch(target):
        raise httpx.LocalProtocolError(f"Illegal target characters {target!r}")
    host: list[bytes] = []
    rest: list[bytes] = []
    length: int | None = -1
    seen_length: bytes | None = None
    chunked = False
    for name, value in headers:
        if not _NAME_RE.fullmatch(name):
            raise httpx.LocalProtocolError(f"Illegal header name {name!r}")
        if not _VALUE_RE.fullmatch(value):
            raise httpx.LocalProtocolError(f"Illegal header value {value!r}")
        lower = name.lower()
        line = name + b": " + value + b"\r\n"
        if lower == b"host":
            host.append(line)
            continue
        if lower == b"content-length":
            value = _one_length(value, httpx.LocalProtocolError)
            if seen_length is not None and seen_length != value:
                raise httpx.LocalProtocolError("conflicting Content-Length headers")
            if seen_length is not None:
                continue  # h11 keeps the first of equal repeats
            seen_length = value
            line = name + b": " + value + b"\r\n"
        elif lower == b"transfer-encoding":
            if chunked:
                raise httpx.LocalProtocolError("multiple Transfer-Encoding headers")
            if value.lower() != b"chunked":
                raise httpx.LocalProtocolError("Only Transfer-Encoding: chunked is supported")
            chunked = True
            line = name + b": " + value.lower() + b"\r\n"
        rest.append(line)
    if not host:
        raise httpx.LocalProtocolError("Missing mandatory Host: header")
    if len(host) > 1:
        raise httpx.LocalProtocolError("Found multiple Host: headers")
    if chunked:
        length = None
    elif seen_length is not None:
        length = int(seen_length)
    head = b"".join([method, b" ", target, b" HTTP/1.1\r\n", *host, *rest, b"\r\n"])
    return head, length


def _one_length(value: bytes, error: type[httpx.ProtocolError]) -> bytes:
    lengths = {part.strip() for part in value.split(b",")}
    if len(lengths) != 1:
        raise error("conflicting Content-Length headers")
    value = lengths.pop()
    if not _CONTENT_LENGTH_RE.fullmatch(value) or len(value) > CONTENT_LENGTH_MAX_DIGITS:
        raise error("bad Content-Length")
    return value


def chunk(data: bytes) -> bytes:
    """One piece of a chunked request body (an empty piece is not sent: it would end the body)."""
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


LAST_CHUNK = b"0\r\n\r\n"


@dataclass(slots=True)
class ResponseHead:
    http_version: bytes  # b"1.1"
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]  # as received (names in their casing, values without OWS)
    length: int | None  # the body's Content-Length; None: chunked; -1: until the peer closes
    keep_alive: bool  # the answer lets the connection serve another request


def head_end(buffer: bytearray, start: int) -> int:
    """The offset just past the blank line ending a header block in `buffer` (searched from
    `start`), or -1. A block opening with the blank line (no status line) ends at once."""
    if buffer[:1] == b"\n":
        return 1
    if buffer[:2] == b"\r\n":
        return 2
    found = _BLANK_LINE_RE.search(buffer, start)
    return -1 if found is None else found.end()


def obviously_not_http(buffer: bytearray) -> bool:
    """h11's early check: a header block never starts with a control character or a space."""
    return bool(buffer) and buffer[0] < 0x21


def parse_response_head(block: bytes, method: bytes) -> ResponseHead:
    """A whole header block (up to its blank line) of an answer to `method`."""
    lines = block.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    del lines[-2:]  # the blank line's two ends
    if not lines:
        raise httpx.RemoteProtocolError("no response line received")
    status_line = _STATUS_LINE_RE.fullmatch(lines[0])
    if status_line is None:
        raise httpx.RemoteProtocolError(f"illegal status line: {bytearray(lines[0])!r}")
    version, code, reason = status_line.groups()
    headers = _header_lines(lines[1:])
    status = int(code)
    keep_alive = version >= b"1.1"
    chunked = False
    length: bytes | None = None
    kept: list[tuple[bytes, bytes]] = []  # as h11 hands them on: the framing headers normalised
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            value = _one_length(value, httpx.RemoteProtocolError)
            if length is not None:
                if length != value:
                    raise httpx.RemoteProtocolError("conflicting Content-Length headers")
                continue
            length = value
        elif lower == b"transfer-encoding":
            if chunked:
                raise httpx.RemoteProtocolError("multiple Transfer-Encoding headers")
            value = value.lower()
            if value != b"chunked":
                raise httpx.RemoteProtocolError("Only Transfer-Encoding: chunked is supported")
            chunked = True
        elif lower == b"connection" and b"close" in _comma_values(value):
            keep_alive = False
        kept.append((name, value))
    body: int | None
    if status in (204, 304) or method == b"HEAD" or (method == b"CONNECT" and 200 <= status < 300):
        body = 0
    elif chunked:
        body = None
    elif length is not None:
        body = int(length)
    else:
        body = -1
        keep_alive = False  # read until the peer closes
    return ResponseHead(version, status, reason or b"", kept, body, keep_alive)


def _comma_values(value: bytes) -> list[bytes]:
    return [part.strip() for part in value.lower().split(b",") if part.strip()]


def _header_lines(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """`name: value` lines, obsolete line folding joined (h11's _decode_header_lines)."""
    folded: list[bytes] = []
    for line in lines:
        fold = _OBS_FOLD_RE.match(line)
        if fold:
            if not folded:
                raise httpx.RemoteProtocolError("continuation line at start of headers")
            folded[-1] = folded[-1] + b" " + line[fold.end() :]
        else:
            folded.append(line)
    headers = []
    for line in folded:
        field = _HEADER_LINE_RE.fullmatch(line)
        if field is None:
            raise httpx.RemoteProtocolError(f"illegal header line: {bytearray(line)!r}")
        headers.append((field.group(1), field.group(2)))
    return headers


def connection_close(headers: list[tuple[bytes, bytes]]) -> bool:
    """The request asks the peer to close after answering (h11's keep-alive rule for our side)."""
    return any(name.lower() == b"connection" and b"close" in _comma_values(v) for name, v in headers)


class ChunkedReader:
    """Decodes a chunked body from the connection's buffer as bytes arrive (h11's ChunkedReader)."""

    def __init__(self) -> None:
        self._left = 0  # bytes of the current chunk not yet taken
        self._footer = b""  # the CRLF after a chunk still to be checked
        self._trailer = False
        self.done = False

    def take(self, buffer: bytearray) -> bytes | None:
        """Body bytes taken from `buffer` (b"" once the body ended: see `done`); None: more needed."""
        while True:
            if self._trailer:
                end = head_end(buffer, 0)
                if end < 0:
                    return None
                block = bytes(buffer[:end])
                del buffer[:end]
                lines = [line[:-1] if line.endswith(b"\r") else line for line in block.split(b"\n")]
                _header_lines(lines[:-2])  # trailers are checked, then dropped (as httpcore does)
                self.done = True
                return b""
            if self._footer:
                if not buffer:
                    return None
                seen = bytes(buffer[: len(self._footer)])
                if seen != self._footer[: len(seen)]:
                    raise httpx.RemoteProtocolError(
                        f"malformed chunk footer: {seen!r} (expected {self._footer!r})"
                    )
                del buffer[: len(seen)]
                self._footer = self._footer[len(seen) :]
                if self._footer:
                    return None
            if self._left == 0:
                end = buffer.find(b"\r\n")
                if end < 0:
                    return None
                line = bytes(buffer[: end + 2])
                header = _CHUNK_HEADER_RE.fullmatch(line)
                if header is None:
                    raise httpx.RemoteProtocolError(f"illegal chunk header: {line!r}")
                del buffer[: end + 2]
                self._left = int(header.group(1), 16)
                if self._left == 0:
                    self._trailer = True
                    continue
            if not buffer:
                return None
            data = bytes(buffer[: self._left])
            del buffer[: len(data)]
            self._left -= len(data)
            if self._left == 0:
                self._footer = b"\r\n"
            return data
