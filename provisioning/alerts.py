"""The engine's conditions as e-mails to the admin; the Notifier keeps it to one per condition per day."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from provisioning.model import AuditRecord
from provisioning.notify import (
    Condition,
    FailedObject,
    Mail,
    Notifier,
    TruncatedGroup,
    credentials_message,
    failed_objects_digest_message,
    groups_truncated_message,
    quarantine_message,
    staged_deletes_message,
)

log = logging.getLogger(__name__)

RETRY_HINT = "then run `python -m provisioning sync` or wait for the daily attempt."
ADVICE = {
    "credentials": "Fix the GoTo credentials (re-authorize GoTo, or a valid GOTO_ACCESS_TOKEN in a sandbox), "
    + RETRY_HINT,
    "too-many-failures": "Read the failed audit records of the last cycle (error code and recommended "
    "action), fix the cause, " + RETRY_HINT,
}


class MailAlerts:
    """Implements engine.cycle.Notify over a Notifier."""

    def __init__(self, notifier: Notifier, *, threshold: int) -> None:
        self.notifier = notifier
        self.threshold = threshold

    async def __call__(self, condition: str, details: Mapping[str, Any]) -> None:
        key, mail = self._mail(condition, details)
        await self.notifier.notify(key, mail)

    def _mail(self, condition: str, details: Mapping[str, Any]) -> tuple[Condition, Mail]:
        if condition == "quarantine":
            reason = str(details["reason"])
            since = datetime.fromisoformat(str(details["since"]))
            return Condition.QUARANTINE, quarantine_message(
                f"{reason}: {details.get('detail', '')}", since, what_to_do=ADVICE.get(reason)
            )
        if condition == "staged_deletes":
            return Condition.STAGED_DELETES, staged_deletes_message(
                disables=int(details["disables"]), deletes=int(details["deletes"]), threshold=self.threshold
            )
        if condition == "credentials":
            return Condition.CREDENTIALS, credentials_message("goto", str(details["detail"]))
        if condition == "failed_objects":
            records: Sequence[AuditRecord] = details["records"]
            failed = [
                FailedObject(
                    r.source_id,
                    r.source_display_name or "",
                    r.action,
                    r.error_code or "",
                    r.error_reason or "",
                )
                for r in records
            ]
            return Condition.FAILED_OBJECTS_DIGEST, failed_objects_digest_message(failed, total=len(failed))
        if condition == "groups_truncated":
            groups = [
                TruncatedGroup(str(g["id"]), g.get("displayName"), int(g["members"]), int(g["pushed"]))
                for g in details["groups"]
            ]
            return Condition.GROUPS_TRUNCATED, groups_truncated_message(groups, cap=int(details["cap"]))
        raise ValueError(f"unknown notification condition {condition!r}")
