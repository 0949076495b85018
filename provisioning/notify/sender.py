"""Sending a notification e-mail: the `EmailSender` protocol and SMTP with STARTTLS.

The stdlib `smtplib` runs in a worker thread (`asyncio.to_thread`): one short connection per mail,
so an extra async SMTP dependency buys nothing. STARTTLS verifies the server certificate against
the system trust store unless a test hands in its own `ssl.SSLContext`; plain SMTP is only possible
for loopback hosts (settings refuse it otherwise) and a server that does not offer STARTTLS when it
is required is refused, never downgraded.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from provisioning.errors import NotificationError
from provisioning.notify.messages import Mail
from provisioning.notify.settings import NotificationSettings
from provisioning.redaction import redact

DEFAULT_TIMEOUT_SECONDS = 30.0

log = logging.getLogger(__name__)


class EmailSender(Protocol):
    """Delivers one mail to the configured recipients, or raises NotificationError."""

    async def send(self, mail: Mail) -> None: ...


def build_email(mail: Mail, *, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The MIME message: plain text, UTF-8, marked auto-generated so no auto-reply comes back."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.text)
    return message


class SmtpSender:
    """SMTP submission with STARTTLS and optional AUTH; one connection per mail."""

    def __init__(
        self,
        settings: NotificationSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._settings = settings
        self._tls_context = tls_context
        self._timeout = timeout

    def __repr__(self) -> str:
        s = self._settings
        auth = f"user={s.smtp_username!r}" if s.smtp_username else "no auth"
        tls = "STARTTLS" if s.smtp_starttls else "plain"
        return f"SmtpSender({s.smtp_host}:{s.smtp_port}, {tls}, {auth})"

    async def send(self, mail: Mail) -> None:
        message = build_email(mail, sender=self._settings.sender, recipients=self._settings.recipients)
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(self._describe(exc)) from None

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self._timeout) as smtp:
            smtp.ehlo()
            if s.smtp_starttls:
                if not smtp.has_extn("starttls"):
                    raise NotificationError(
                        f"SMTP server {s.smtp_host}:{s.smtp_port} does not offer STARTTLS, which "
                        "SMTP_STARTTLS requires; nothing was sent"
                    )
                smtp.starttls(context=self._tls_context or ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username is not None and s.smtp_password is not None:
                smtp.login(s.smtp_username, s.smtp_password)
            refused = smtp.send_message(message, from_addr=s.sender, to_addrs=list(s.recipients))
            if refused:
                # The others have it; failing now would make a retry mail them twice.
                log.warning("SMTP server refused some notification recipients: %s", sorted(refused))

    def _describe(self, exc: BaseException) -> str:
        """Why sending failed, for logs: the server's answer, never the password."""
        s = self._settings
        if isinstance(exc, smtplib.SMTPResponseException):
            answer = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
            detail = f"{exc.smtp_code} {answer}".strip()
        else:
            detail = str(exc) or type(exc).__name__
        text = f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {detail}"
        return redact(text, known=[s.smtp_password])
