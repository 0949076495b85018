"""Notifier: mail a condition at most once per day, and never let mail break a sync cycle.

The cycle calls `notify` and moves on: every failure (SMTP down, bad password, Table Storage
unreachable: a StorageError once tablestore's retries are spent) is logged without secrets and
answered with False. The table `{prefix}notify` is opened on first use, inside that guard, so even a
storage outage at start-up costs only the mail.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, Unpack

from provisioning.notify.ledger import DEFAULT_CLAIM_TIMEOUT, Claim, DailyLedger
from provisioning.notify.messages import Condition, Mail, redact
from provisioning.notify.sender import EmailSender, SmtpSender
from provisioning.notify.settings import NotificationSettings
from provisioning.state.tablestore import TableStore

log = logging.getLogger(__name__)

TABLE_SUFFIX = "notify"
_CONDITION_KEY = re.compile(r"\A[A-Za-z0-9_.:-]{1,200}\Z")
_off_announced = False


class NotifierOptions(TypedDict, total=False):
    """What the factories pass on to the constructor."""

    sender: EmailSender | None
    claim_timeout: timedelta


class Notifier:
    """Sends notification mails through `sender`, deduplicated per condition per UTC day.

    `condition` is normally a `Condition`; a caller may qualify it (e.g. "credentials:goto") to keep
    separate daily allowances for separate causes. `store` may be shared (e.g. TableState.store):
    then pass `owns_store=False` and its owner closes it.
    """

    def __init__(
        self,
        settings: NotificationSettings,
        store: TableStore | None,
        *,
        prefix: str,
        sender: EmailSender | None = None,
        claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT,
        owns_store: bool = True,
    ) -> None:
        self._settings = settings
        self._store = store
        self._owns_store = owns_store
        self._table_name = prefix + TABLE_SUFFIX
        self._sender: EmailSender | None = sender
        if sender is None and settings.enabled:
            self._sender = SmtpSender(settings)
        self._claim_timeout = claim_timeout
        self._ledger: DailyLedger | None = None
        self._opening = asyncio.Lock()

    @classmethod
    def from_connection_string(
        cls,
        settings: NotificationSettings,
        connection_string: str,
        *,
        prefix: str,
        **options: Unpack[NotifierOptions],
    ) -> Notifier:
        """No store (and no I/O) when notifications are off."""
        store = TableStore.from_connection_string(connection_string) if settings.enabled else None
        return cls(settings, store, prefix=prefix, **options)

    @classmethod
    def from_endpoint(
        cls,
        settings: NotificationSettings,
        endpoint: str,
        *,
        credential: Any,
        prefix: str,
        **options: Unpack[NotifierOptions],
    ) -> Notifier:
        """The managed-identity shape (endpoint + token credential)."""
        store = TableStore.from_endpoint(endpoint, credential=credential) if settings.enabled else None
        return cls(settings, store, prefix=prefix, **options)

    def __repr__(self) -> str:
        state = f"to {len(self._settings.recipients)} recipient(s)" if self.enabled else "off"
        return f"Notifier({state}, table={self._table_name!r}, sender={self._sender!r})"

    @property
    def enabled(self) -> bool:
        return self._settings.enabled and self._store is not None and self._sender is not None

    async def close(self) -> None:
        if self._store is not None and self._owns_store:
            await self._store.close()

    async def __aenter__(self) -> Notifier:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def notify(self, condition: Condition | str, message: Mail, *, now: datetime | None = None) -> bool:
        """Send `message` unless this condition was mailed today. True only if a mail went out."""
        if not self.enabled or self._sender is None:
            _announce_off()
            return False
        key = str(condition)
        if not _CONDITION_KEY.fullmatch(key):
            log.error("notification condition %r is not a valid key; nothing sent", key)
            return False
        moment = now or datetime.now(UTC)
        try:
            ledger = await self._open()
            claim = await ledger.claim(key, moment)
        except Exception as exc:
            log.warning(
                "notification %r not sent: the notification table is unavailable (%s)", key, self._brief(exc)
            )
            return False
        if claim is None:
            log.info("notification %r already sent (or being sent) today; suppressed", key)
            return False
        try:
            await self._sender.send(message)
        except Exception as exc:
            log.warning("notification %r not sent: %s", key, self._brief(exc))
            await self._give_back(ledger, claim, key)
            return False
        try:
            if not await ledger.confirm(claim, moment):
                log.warning("notification %r sent, but another instance took its claim over meanwhile", key)
        except Exception as exc:
            log.warning("notification %r sent, but recording it failed (%s)", key, self._brief(exc))
        log.info(
            "notification %r sent to %d recipient(s): %s",
            key,
            len(self._settings.recipients),
            message.subject,
        )
        return True

    def _brief(self, exc: BaseException) -> str:
        """One line for a log: the error's type and message, with anything secret-looking blanked."""
        text = redact(" ".join(str(exc).split()), known=[self._settings.smtp_password])
        if len(text) > 300:
            text = text[:299] + "…"
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    async def _open(self) -> DailyLedger:
        async with self._opening:
            if self._ledger is None:
                assert self._store is not None
                await self._store.open_tables([self._table_name])
                table = self._store.table(self._table_name)
                self._ledger = DailyLedger(table, claim_timeout=self._claim_timeout)
            return self._ledger

    async def _give_back(self, ledger: DailyLedger, claim: Claim, key: str) -> None:
        try:
            await ledger.release(claim)
        except Exception as exc:
            log.warning(
                "notification %r: could not release its claim for a retry today (%s)", key, self._brief(exc)
            )


def _announce_off() -> None:
    """Say once per process that notifications are off, not once per cycle."""
    global _off_announced
    if not _off_announced:
        _off_announced = True
        log.info("failure notifications are off (NOTIFICATION_EMAIL is not set)")
