"""provisioning.redaction, the one scrubber: every pattern each of the former copies caught (SCIM
error mapping, notification mails, logs/status answers, Table Storage errors, GoTo OAuth errors),
with the one marker, and ordinary text left alone. Pure: no I/O."""

from __future__ import annotations

import pytest

from provisioning.redaction import MARKER, redact, redact_known
from sandbox.azurite import ACCOUNT_KEY

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJlLWJ5dGVz"
R = MARKER


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        # bearer/basic credentials and JWT-looking tokens (notify, logs)
        (f"401 for Authorization: Bearer {JWT}", f"401 for Authorization: Bearer {R}"),
        ("bearer sandbox-graph-token", f"bearer {R}"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {R}"),
        (f"token {JWT} expired", f"token {R} expired"),
        # OAuth fields in query strings and form bodies (notify, logs)
        ("POST /token?client_secret=abc123&grant_type=x", f"POST /token?client_secret={R}&grant_type=x"),
        (
            "token request failed: client_secret=ghi&refresh_token=def",
            f"token request failed: client_secret={R}&refresh_token={R}",
        ),
        (
            "grant_type=authorization_code&code=AbC-123&state=s1",
            f"grant_type=authorization_code&code={R}&state=s1",
        ),
        ("login failed: password=hunter2", f"login failed: password={R}"),
        ("id_token=x1y2 access_token=z3", f"id_token={R} access_token={R}"),
        ("client_assertion=aaa; api_key=bbb; api-key=ccc", f"client_assertion={R}; api_key={R}; api-key={R}"),
        # OAuth fields in JSON bodies, as written (notify, logs)
        (
            '{"access_token": "abc.def", "expires_in": 3599}',
            f'{{"access_token": "{R}", "expires_in": 3599}}',
        ),
        (
            '{"access_token": "abc", "refresh_token":"def", "client_secret" : "ghi"}',
            f'{{"access_token": "{R}", "refresh_token":"{R}", "client_secret" : "{R}"}}',
        ),
        ('{"password": "a\\"b", "user": "adele"}', f'{{"password": "{R}", "user": "adele"}}'),
        # storage: account keys, SAS connection strings and SAS URLs (tablestore, logs, notify)
        ("AccountName=a;AccountKey=Zm9vYmFy==;", f"AccountName=a;AccountKey={R};"),
        (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};",
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={R};",
        ),
        (
            "TableEndpoint=https://a.table.core.windows.net;SharedAccessSignature=sv=2024&ss=t&sig=abc%2B;x=1",
            f"TableEndpoint=https://a.table.core.windows.net;SharedAccessSignature={R};x=1",
        ),
        (
            "AccountKey=abc==;x https://a.table.core.windows.net/t?sv=2020&sig=SECRET sig=SECRET2",
            f"AccountKey={R};x https://a.table.core.windows.net/t?{R} sig={R}",
        ),
        (
            "https://x.table.core.windows.net/t?sv=2024&sig=abc%2Bdef&se=2026",
            f"https://x.table.core.windows.net/t?{R}",
        ),
        ("skoid=o1&sktid=t1&sp=raud", f"skoid={R}&sktid={R}&sp={R}"),
        # ordinary text stays as it was
        ("GoTo answered 409: userName already exists", "GoTo answered 409: userName already exists"),
        ("GET /Users?filter=userName eq 'a@b.c'", "GET /Users?filter=userName eq 'a@b.c'"),
        ("error_code=Authorization_RequestDenied", "error_code=Authorization_RequestDenied"),
        ('{"code": "Authorization_RequestDenied"}', '{"code": "Authorization_RequestDenied"}'),
    ],
)
def test_redact_patterns(dirty: str, clean: str) -> None:
    assert redact(dirty) == clean
    assert redact(clean) == clean  # a second pass changes nothing


@pytest.mark.parametrize(
    ("text", "known", "clean"),
    [
        # the request's credential echoed whole and bare by a SCIM peer (target/responses)
        (
            "token Bearer s3cr3t-tok rejected (s3cr3t-tok)",
            ["Bearer s3cr3t-tok", "s3cr3t-tok"],
            f"token {R} rejected ({R})",
        ),
        # GoTo OAuth echoing the client secret or the code (goto_auth/oauth), longest first
        ("bad client abcdef (abcd)", ["abcd", "abcdef"], f"bad client {R} ({R})"),
        # values shorter than 4 characters, empty and None are ignored: they would blank out words
        ("the abc of it", ["abc", "", None], "the abc of it"),
        ("535 5.7.8 password hunter22 refused", ["hunter22"], f"535 5.7.8 password {R} refused"),
    ],
)
def test_redact_known(text: str, known: list[str | None], clean: str) -> None:
    assert redact_known(text, known) == clean
    assert redact(text, known=known) == clean


def test_known_values_go_first_then_the_patterns() -> None:
    text = "Bearer s3cr3t-tok refused; retry with refresh_token=r3fr3sh"
    assert redact(text, known=["Bearer s3cr3t-tok"]) == f"{R} refused; retry with refresh_token={R}"


def test_none_stays_none() -> None:
    assert redact(None) is None
    assert redact(None, known=["anything"]) is None
