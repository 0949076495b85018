"""Failure notifications by e-mail: quarantine, staged deletes, credentials, failed-object digest.

settings (NOTIFICATION_EMAIL, SMTP_*) -> messages (pure) -> sender (SMTP) -> notifier (once per
condition per day, remembered in Table Storage).
"""

from provisioning.notify.ledger import Claim, DailyLedger
from provisioning.notify.messages import (
    Condition,
    FailedObject,
    Mail,
    TruncatedGroup,
    credentials_message,
    failed_objects_digest_message,
    groups_truncated_message,
    quarantine_message,
    redact,
    staged_deletes_message,
)
from provisioning.notify.notifier import Notifier
from provisioning.notify.sender import EmailSender, NotificationError, SmtpSender, build_email
from provisioning.notify.settings import (
    NOTIFY_SECRET_SETTINGS,
    NOTIFY_SETTING_NAMES,
    NotificationSettings,
    load_notification_settings,
)

__all__ = [
    "NOTIFY_SECRET_SETTINGS",
    "NOTIFY_SETTING_NAMES",
    "Claim",
    "Condition",
    "DailyLedger",
    "EmailSender",
    "FailedObject",
    "Mail",
    "NotificationError",
    "NotificationSettings",
    "Notifier",
    "SmtpSender",
    "TruncatedGroup",
    "build_email",
    "credentials_message",
    "failed_objects_digest_message",
    "groups_truncated_message",
    "load_notification_settings",
    "quarantine_message",
    "redact",
    "staged_deletes_message",
]
