"""A real SMTP server (aiosmtpd) on a free loopback port, a test certificate, and Notifiers on Azurite."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioning.notify import EmailSender, NotificationSettings, Notifier, load_notification_settings
from sandbox.azurite import free_port

SMTP_USER = "relay-user"
SMTP_PASSWORD = "Pa55-w0rd-that-must-not-leak"
RECIPIENTS = "ops@contoso.com, security@contoso.com"


@dataclass
class Received:
    """One message as the server got it: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None
    over_tls: bool


@dataclass
class Sink:
    """aiosmtpd handler that keeps every message; `gate`, when set, holds DATA until released."""

    received: list[Received] = field(default_factory=list)
    gate: threading.Event | None = None
    in_data: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.in_data.set()
        if self.gate is not None:
            await asyncio.to_thread(self.gate.wait, 10)
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            Received(
                envelope.mail_from or "", list(envelope.rcpt_tos), parsed, login, session.ssl is not None
            )
        )
        return "250 Message accepted for delivery"


def check_password(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    """The relay's account: SMTP_USER / SMTP_PASSWORD, nothing else."""
    ok = isinstance(data, LoginPassword) and data == LoginPassword(SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


@dataclass
class SmtpServer:
    host: str
    port: int
    sink: Sink

    @property
    def received(self) -> list[Received]:
        return self.sink.received


class StartSmtp(Protocol):
    def __call__(self, **kwargs: Any) -> SmtpServer: ...


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start aiosmtpd Controllers with any SMTP options (tls_context, authenticator, ...)."""
    controllers: list[Controller] = []

    def start(**kwargs: Any) -> SmtpServer:
        sink = Sink()
        port = free_port()
        controller = Controller(
            sink, hostname="127.0.0.1", port=port, server_hostname="localhost", ready_timeout=5, **kwargs
        )
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", port, sink)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp: StartSmtp) -> SmtpServer:
    """A plain SMTP server on loopback, no authentication."""
    return start_smtp()


@dataclass(frozen=True)
class SelfSignedCertificate:
    cert_path: Path
    key_path: Path
    pem: bytes

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verification on (hostname and chain), trusting only this certificate."""
        return ssl.create_default_context(cadata=self.pem.decode())


@pytest.fixture(scope="session")
def test_certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    """A self-signed certificate for 127.0.0.1 and localhost, generated now (nothing checked in)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "goto-provisioning test SMTP")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-cert")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return SelfSignedCertificate(cert_path, key_path, pem)


def settings_for(
    server: SmtpServer | None = None, *, port: int | None = None, **env: str
) -> NotificationSettings:
    """Settings as the Function app would read them, pointed at `server` (plain SMTP unless overridden)."""
    values = {
        "NOTIFICATION_EMAIL": RECIPIENTS,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port if port is not None else server.port if server else free_port()),
        "SMTP_STARTTLS": "false",
    }
    values.update(env)
    return load_notification_settings(values)


class MakeNotifier(Protocol):
    def __call__(
        self, settings: NotificationSettings, *, sender: EmailSender | None = None, **kwargs: Any
    ) -> Notifier: ...


@pytest.fixture
async def make_notifier(tables_connection_string: str, table_prefix: str) -> AsyncIterator[MakeNotifier]:
    """Notifiers on Azurite sharing one per-test table prefix (as instances of one deployment do)."""
    made: list[Notifier] = []

    def make(settings: NotificationSettings, *, sender: EmailSender | None = None, **kwargs: Any) -> Notifier:
        notifier = Notifier.from_connection_string(
            settings, tables_connection_string, prefix=table_prefix, sender=sender, **kwargs
        )
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        await notifier.close()


def only(server: SmtpServer) -> Received:
    assert len(server.received) == 1, [r.message["Subject"] for r in server.received]
    return server.received[0]
