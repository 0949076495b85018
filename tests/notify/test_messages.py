"""The mail texts (pure): what each says, the digest's cap and total, and redaction of secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from provisioning.notify import (
    FailedObject,
    Mail,
    credentials_message,
    failed_objects_digest_message,
    quarantine_message,
    redact,
    staged_deletes_message,
)

SINCE = datetime(2025, 3, 4, 8, 15, tzinfo=UTC)
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJlLWJ5dGVz"


def failures(n: int) -> list[FailedObject]:
    return [FailedObject(f"id-{i:03}", f"User {i:03}", "create", "400", f"reason {i:03}") for i in range(n)]


def test_quarantine_says_why_since_when_and_what_to_do() -> None:
    mail = quarantine_message("5 cycles failed in a row", SINCE.astimezone(timezone(timedelta(hours=2))))

    assert mail.subject == "[GoTo provisioning] Provisioning is in quarantine"
    assert "since 2025-03-04 08:15 UTC" in mail.text  # shown in UTC whatever zone it came in
    assert "Reason: 5 cycles failed in a row" in mail.text
    assert "What to do:" in mail.text
    custom = quarantine_message("x", SINCE, what_to_do="Call the GoTo admin.")
    assert "What to do:\nCall the GoTo admin.\n" in custom.text


def test_staged_deletes_counts_threshold_and_how_to_decide() -> None:
    mail = staged_deletes_message(
        disables=1, deletes=0, threshold=20, since=SINCE, api_base_url="https://prov.azurewebsites.net/"
    )

    assert mail.subject == "[GoTo provisioning] 1 disable/delete held for approval"
    assert "1 GoTo account change is held for approval since 2025-03-04 08:15 UTC" in mail.text
    assert "disables: 1\n  deletes:  0\n" in mail.text
    assert "The threshold is 20 disables and deletes per cycle" in mail.text
    assert "POST https://prov.azurewebsites.net/api/staged/approve" in mail.text
    assert "POST https://prov.azurewebsites.net/api/staged/reject" in mail.text
    assert "python -m provisioning staged approve" in mail.text
    assert "python -m provisioning staged reject" in mail.text


@pytest.mark.parametrize(
    ("system", "subject", "advice"),
    [
        ("goto", "[GoTo provisioning] GoTo credentials failed", "Re-authorize GoTo"),
        ("graph", "[GoTo provisioning] Microsoft Graph credentials failed", "AZURE_CLIENT_SECRET"),
    ],
)
def test_credentials(system: str, subject: str, advice: str) -> None:
    mail = credentials_message(system, "401 Unauthorized", since=SINCE)  # type: ignore[arg-type]

    assert mail.subject == subject
    assert advice in mail.text
    assert "Error: 401 Unauthorized" in mail.text


def test_digest_lists_every_field() -> None:
    mail = failed_objects_digest_message(
        [
            FailedObject("8f1c", "Adele Vance", "update", "BadRequest", "e-mail domain not verified"),
            *failures(1),
        ]
    )

    assert mail.subject == "[GoTo provisioning] 2 objects failed to provision"
    assert "- Adele Vance (Entra id 8f1c)\n" in mail.text
    assert "    action: update   error: BadRequest\n    reason: e-mail domain not verified\n" in mail.text
    assert "more" not in mail.text


def test_digest_is_capped_and_keeps_the_total() -> None:
    mail = failed_objects_digest_message(failures(80), limit=50)

    assert mail.subject == "[GoTo provisioning] 80 objects failed to provision"
    assert "User 049" in mail.text and "User 050" not in mail.text
    assert "... and 30 more (80 in total; the first 50 shown)." in mail.text


def test_digest_total_can_exceed_what_was_loaded() -> None:
    mail = failed_objects_digest_message(failures(3), total=1200)

    assert mail.subject == "[GoTo provisioning] 1200 objects failed to provision"
    assert "... and 1197 more (1200 in total; the first 3 shown)." in mail.text


def test_digest_with_missing_fields() -> None:
    mail = failed_objects_digest_message([FailedObject("id-1", None, "delete", None, None)])
    assert "- - (Entra id id-1)\n    action: delete   error: -\n    reason: -\n" in mail.text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        (f"401 for Authorization: Bearer {JWT}", "401 for Authorization: Bearer [redacted]"),
        (f"token {JWT} expired", "token [redacted] expired"),
        (
            "POST /token?client_secret=abc123&grant_type=x",
            "POST /token?client_secret=[redacted]&grant_type=x",
        ),
        ("AccountName=a;AccountKey=Zm9vYmFy==;", "AccountName=a;AccountKey=[redacted];"),
        (
            '{"access_token": "abc.def", "expires_in": 3599}',
            '{"access_token": "[redacted]", "expires_in": 3599}',
        ),
        ("login failed: password=hunter2", "login failed: password=[redacted]"),
        ("GoTo answered 409: userName already exists", "GoTo answered 409: userName already exists"),
    ],
)
def test_redact(dirty: str, clean: str) -> None:
    assert redact(dirty) == clean


def test_builders_redact_free_text() -> None:
    mails: list[Mail] = [
        quarantine_message(f"Bearer {JWT}", SINCE),
        credentials_message("graph", f"refresh_token=r3fr3sh; {JWT}"),
        failed_objects_digest_message([FailedObject("id", "Adele", "create", "401", f"Bearer {JWT}")]),
    ]
    for mail in mails:
        assert JWT not in mail.text and "r3fr3sh" not in mail.text
        assert "[redacted" in mail.text


def test_long_and_multiline_error_text_is_one_bounded_line() -> None:
    mail = credentials_message("goto", "line one\nline two\r\n" + "x" * 5000)
    error_line = next(line for line in mail.text.splitlines() if line.startswith("Error: "))
    assert error_line.startswith("Error: line one line two x")
    assert len(error_line) <= len("Error: ") + 500
