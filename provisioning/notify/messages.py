"""The notification e-mails, as plain text (pure: no I/O, no clock).

Each builder says what happened, since when and what to do. Free text that comes from errors
(reasons, error messages, even display names) passes through `redact`, so a token or password that
found its way into an error message never reaches a mailbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from provisioning.redaction import redact

SUBJECT_PREFIX = "[GoTo provisioning]"
DEFAULT_DIGEST_LIMIT = 50
_FIELD_LIMIT = 500


class Condition(StrEnum):
    """What a notification is about; each is mailed at most once per day."""

    QUARANTINE = "quarantine"
    STAGED_DELETES = "staged_deletes"
    CREDENTIALS = "credentials"
    FAILED_OBJECTS_DIGEST = "failed_objects_digest"
    GROUPS_TRUNCATED = "groups_truncated"


@dataclass(frozen=True)
class Mail:
    """One notification e-mail: a one-line subject and a plain-text body."""

    subject: str
    text: str


@dataclass(frozen=True)
class FailedObject:
    """One object whose last attempt failed, as the digest lists it."""

    entra_id: str
    display_name: str | None
    action: str
    error_code: str | None
    reason: str | None


def _clean(text: str | None, limit: int = _FIELD_LIMIT) -> str:
    """One line, redacted, bounded: error text is untrusted and may be long."""
    if not text:
        return "-"
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _when(moment: datetime) -> str:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def _subject(text: str) -> str:
    return f"{SUBJECT_PREFIX} {text}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


_FOOTER = (
    "\n--\nSent by goto-provisioning (Entra ID -> GoTo user provisioning). At most one e-mail per "
    "condition per day;\nthe audit records and cycle records in Table Storage have the details.\n"
)


def quarantine_message(reason: str, since: datetime, *, what_to_do: str | None = None) -> Mail:
    """Provisioning stopped applying changes because it kept failing; someone must fix the cause."""
    advice = what_to_do or (
        "Fix the cause above; the most recent cycle record and its failed audit records show the\n"
        "requests that failed. The next cycle records show whether provisioning has recovered."
    )
    body = (
        f"GoTo provisioning has been in quarantine since {_when(since)}.\n\n"
        f"Reason: {_clean(reason)}\n\n"
        "While in quarantine, changes in Entra ID may reach GoTo late or not at all.\n\n"
        f"What to do:\n{advice}\n"
    )
    return Mail(_subject("Provisioning is in quarantine"), body + _FOOTER)


def staged_deletes_message(
    *,
    disables: int,
    deletes: int,
    threshold: int,
    since: datetime | None = None,
    api_base_url: str | None = None,
) -> Mail:
    """A cycle wanted to disable/delete more accounts than the threshold allows: approve or reject."""
    held = disables + deletes
    base = (api_base_url or "").rstrip("/")
    when = f" since {_when(since)}" if since is not None else ""
    body = (
        f"{_plural(held, 'GoTo account change')} {'is' if held == 1 else 'are'} held for approval{when}:\n"
        f"  disables: {disables}\n"
        f"  deletes:  {deletes}\n\n"
        f"The threshold is {threshold} disables and deletes per cycle; above it nothing is disabled or\n"
        "deleted until someone decides. A mass unassignment in Entra ID is often a mistake.\n\n"
        "What to do, after checking the assignments of the GoTo enterprise app in Entra ID:\n"
        f"  apply them:   POST {base}/api/staged/approve\n"
        "                or: python -m provisioning staged approve\n"
        f"  discard them: POST {base}/api/staged/reject\n"
        "                or: python -m provisioning staged reject\n"
    )
    return Mail(_subject(f"{_plural(held, 'disable/delete')} held for approval"), body + _FOOTER)


def credentials_message(
    system: Literal["goto", "graph"], error: str, *, since: datetime | None = None
) -> Mail:
    """GoTo or Graph refused the app's credentials: no object can be provisioned until fixed."""
    when = f" since {_when(since)}" if since is not None else ""
    if system == "goto":
        name = "GoTo"
        advice = (
            "Re-authorize GoTo: sign in again through the app's GoTo authorization with a GoTo\n"
            "account admin. GoTo refuses expired or revoked authorizations and accounts that lost\n"
            "the admin role."
        )
    else:
        name = "Microsoft Graph"
        advice = (
            "Check the app's Graph credentials: the client secret (AZURE_CLIENT_SECRET, a Key Vault\n"
            "reference) may have expired, or the app or managed identity may have lost its Microsoft\n"
            "Graph application permissions (admin consent)."
        )
    body = (
        f"{name} rejected the provisioning app's credentials{when}. No user can be provisioned\n"
        "until this is fixed.\n\n"
        f"Error: {_clean(error)}\n\n"
        f"What to do:\n{advice}\n"
    )
    return Mail(_subject(f"{name} credentials failed"), body + _FOOTER)


def failed_objects_digest_message(
    failures: Sequence[FailedObject], *, total: int | None = None, limit: int = DEFAULT_DIGEST_LIMIT
) -> Mail:
    """Objects that keep failing, listed up to `limit`; `total` counts those not listed too."""
    count = max(total if total is not None else 0, len(failures))
    shown = failures[:limit]
    lines = [
        f"{_plural(count, 'object')} failed to provision and will be retried in later cycles.",
        "",
    ]
    for item in shown:
        lines.append(f"- {_clean(item.display_name, 200)} (Entra id {_clean(item.entra_id, 100)})")
        lines.append(f"    action: {_clean(item.action, 50)}   error: {_clean(item.error_code, 100)}")
        lines.append(f"    reason: {_clean(item.reason)}")
    if count > len(shown):
        lines.append(f"... and {count - len(shown)} more ({count} in total; the first {len(shown)} shown).")
    lines += [
        "",
        "What to do:",
        "Each reason says what GoTo or Graph refused. Fix the data in Entra ID (or GoTo), and the next",
        "cycle retries the object; the audit records hold every attempt.",
    ]
    return Mail(
        _subject(f"{_plural(count, 'object')} failed to provision"), "\n".join(lines) + "\n" + _FOOTER
    )


@dataclass(frozen=True)
class TruncatedGroup:
    """A group with more provisioned members than GROUP_MEMBER_CAP: only the first were pushed."""

    entra_id: str
    display_name: str | None
    members: int  # provisioned members in Entra
    pushed: int


def groups_truncated_message(groups: Sequence[TruncatedGroup], *, cap: int) -> Mail:
    """Groups pushed with only part of their members: never silent, since people lack a membership."""
    lines = [
        f"{_plural(len(groups), 'group')} {'has' if len(groups) == 1 else 'have'} more members than "
        f"GROUP_MEMBER_CAP={cap}; GoTo holds only the first {cap} of each:",
        "",
    ]
    for group in groups[:DEFAULT_DIGEST_LIMIT]:
        lines.append(
            f"- {_clean(group.display_name, 200)} (Entra id {_clean(group.entra_id, 100)}): "
            f"{group.members} members, {group.pushed} pushed"
        )
    if len(groups) > DEFAULT_DIGEST_LIMIT:
        lines.append(f"... and {len(groups) - DEFAULT_DIGEST_LIMIT} more.")
    lines += [
        "",
        "What to do:",
        "GoTo may cap a group at 100 members. Split the Entra group into smaller groups assigned to the",
        "app, or raise GROUP_MEMBER_CAP if your GoTo account takes larger groups. Members already in",
        "GoTo are kept first; the rest follow by Entra object id.",
    ]
    return Mail(
        _subject(f"{_plural(len(groups), 'group')} pushed to GoTo truncated"),
        "\n".join(lines) + "\n" + _FOOTER,
    )
