"""The one place that knows what a credential looks like in free text, and blanks it out.

Error text from GoTo, Graph, Table Storage and SMTP is untrusted: a careless server echoes the
token it was sent, an SDK quotes a connection string or a SAS URL. Every message that can reach a
log, an audit record, an API answer, a terminal or a mailbox passes through `redact` first, so one
list of patterns (and one marker) decides for all of them.

Two kinds of removal:
- known values: secrets the caller holds (the request's Authorization header, the OAuth client
  secret, the SMTP password) are replaced wherever they appear, longest first;
- patterns: bearer/basic credentials, JWT-looking tokens, OAuth fields in JSON bodies, secret
  `key=value` query/form/connection-string parameters, and SAS query strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import overload

MARKER = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter known values would blank out ordinary words

# Form, query and connection-string parameters whose value is a credential (or, for SAS fields,
# part of a signed URL). `code` is the OAuth authorization code.
_PARAM_NAMES = (
    "access_token|refresh_token|id_token|client_secret|client_assertion|code|password|passwd|pwd"
    "|secret|api[_-]?key|AccountKey|sig|se|sv|sp|skoid|sktid"
)
# JSON fields whose value is a credential (OAuth token answers and requests).
_JSON_NAMES = "access_token|refresh_token|id_token|client_secret|client_assertion|password|secret"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {MARKER}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MARKER),
    # a query string that carries a SAS signature is a credential as a whole
    (re.compile(r"(?i)\?[^\s'\"?]*\bsig=[^\s'\"]*"), f"?{MARKER}"),
    # a SharedAccessSignature in a connection string runs to the next ';' (it holds '&')
    (re.compile(r"(?i)\b(SharedAccessSignature)=[^;\s'\"]+"), rf"\1={MARKER}"),
    (re.compile(rf"(?i)\b({_PARAM_NAMES})=[^&;\s'\"]+"), rf"\1={MARKER}"),
    (re.compile(rf'(?i)("(?:{_JSON_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"'), rf'\1"{MARKER}"'),
)


@overload
def redact(text: str, *, known: Iterable[str | None] = ()) -> str: ...
@overload
def redact(text: None, *, known: Iterable[str | None] = ()) -> None: ...
def redact(text: str | None, *, known: Iterable[str | None] = ()) -> str | None:
    """`text` with every `known` secret and everything that looks like a credential replaced.

    Known values go first, so a whole echoed header (`Bearer abc`) becomes one marker.
    """
    if text is None:
        return None
    text = redact_known(text, known)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_known(text: str, secrets: Iterable[str | None]) -> str:
    """`text` without any of `secrets` (longest first, so no secret survives inside another)."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MARKER)
    return text
