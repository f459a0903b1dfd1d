"""Alert e-mail over verified TLS: a relay whose certificate does not verify gets nothing, not
even the password, and the alert stays queued until the relay can be trusted.

A real SMTP server (aiosmtpd) on loopback with a self-signed certificate made here: STARTTLS and
implicit TLS each fail without its CA configured and deliver with it (QD_SMTP_CA_FILE).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.alerts import email as alert_email
from api.alerts.models import OutboxMessage
from api.alerts.worker import OutboxWorker
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory, utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings

from .conftest import Mailbox, build_app, free_port

SMTP_USER = "quietdoor"
SMTP_PASSWORD = "relay-password-7f3a"  # noqa: S105 - a test relay's password


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, as PEM files."""
    folder = tmp_path_factory.mktemp("relay-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Relay(Mailbox):
    """The local SMTP server's mailbox, and the passwords it was given (only ever over TLS)."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=True)


@contextmanager
def relay(mode: str, certificate: tuple[Path, Path] | None) -> Iterator[tuple[Relay, int]]:
    """An SMTP server on loopback: `starttls` (required before AUTH), `tls` (implicit) or `none`."""
    box, port = Relay(), free_port()
    server_tls = None
    if certificate is not None:
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(*certificate)
    options: dict[str, object] = {"authenticator": box.authenticate}
    if mode == "tls":  # aiosmtpd counts only STARTTLS as TLS for AUTH: the socket is TLS here
        options.update(ssl_context=server_tls, auth_require_tls=False)
    elif mode == "starttls":
        options.update(tls_context=server_tls, require_starttls=True)
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def mail_to(settings: Settings, port: int, mode: str, ca_file: Path | None = None) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": mode,
            "smtp_ca_file": ca_file,
            "smtp_user": SMTP_USER,
            "smtp_password": SecretStr(SMTP_PASSWORD),
        }
    )


def queue_alert(db: Session, settings: Settings) -> None:
    create_case(
        db,
        CaseIn(idempotency_key="tls-1", channel="web", reporter_type="self"),
        keys=CaseKeys(keyring_from(settings), hash_key_from(settings)),
        calendar=WorkingCalendar.from_profile(profile_for(settings)),
        alert_recipients=["duty@example.org"],
        now=utcnow(),
    )


def the_alert(settings: Settings) -> OutboxMessage:
    with session_factory(settings)() as session:
        (row,) = session.scalars(select(OutboxMessage))
        return row


def deliver(settings: Settings, timeout: float = 10.0) -> bool:
    """Run the outbox worker's passes until the alert is delivered, its backoff included."""
    worker = OutboxWorker(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(worker.deliver_due()):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_a_relay_whose_certificate_does_not_verify_gets_nothing_and_the_alert_waits(
    mode: str, certificate: tuple[Path, Path], db: Session, migrated: Settings
) -> None:
    queue_alert(db, migrated)
    with relay(mode, certificate) as (box, port):
        assert asyncio.run(OutboxWorker(mail_to(migrated, port, mode)).deliver_due()) == 0
        row = the_alert(migrated)
        assert (row.delivered_at, row.attempts) == (None, 1)
        assert row.last_error == "SSLCertVerificationError"
        assert (box.messages, box.logins) == ([], [])

        trusted = mail_to(migrated, port, mode, ca_file=certificate[0])
        assert deliver(trusted)
        assert the_alert(migrated).delivered_at is not None
        assert len(box.messages) == 1 and box.messages[0]["To"] == "duty@example.org"
        assert box.logins == [(SMTP_USER.encode(), SMTP_PASSWORD.encode())]


def test_the_host_name_is_checked_as_well_as_the_certificate(
    certificate: tuple[Path, Path], settings: Settings
) -> None:
    """The certificate names 127.0.0.1 only: reached as `localhost`, it is refused."""
    with relay("tls", certificate) as (box, port):
        elsewhere = mail_to(settings, port, "tls", ca_file=certificate[0])
        elsewhere = elsewhere.model_copy(update={"smtp_host": "localhost"})
        with pytest.raises(ssl.SSLCertVerificationError, match="match"):
            alert_email.send(alert_email.EmailMessage(), elsewhere)
        assert box.messages == []


def test_a_relay_that_does_not_offer_starttls_is_not_sent_plain_text(settings: Settings) -> None:
    with relay("none", None) as (box, port):
        with pytest.raises(alert_email.smtplib.SMTPNotSupportedError):
            alert_email.send(alert_email.EmailMessage(), mail_to(settings, port, "starttls"))
        assert (box.messages, box.logins) == ([], [])


@pytest.mark.parametrize(
    ("host", "tls", "starttls", "expected"),
    [
        ("127.0.0.1", None, None, "none"),
        ("localhost", None, None, "none"),
        ("::1", None, None, "none"),
        ("smtp.example.org", None, None, "starttls"),
        ("smtp.example.org", None, True, "starttls"),
        ("127.0.0.1", None, True, "starttls"),
        ("127.0.0.1", None, False, "none"),
        ("smtp.example.org", "tls", False, "tls"),
        ("127.0.0.1", "starttls", None, "starttls"),
    ],
)
def test_transport_from_settings(
    settings: Settings, host: str, tls: str | None, starttls: bool | None, expected: str
) -> None:
    """QD_SMTP_TLS wins; QD_SMTP_STARTTLS is the older spelling; unset, only loopback is plain."""
    chosen = settings.model_copy(
        update={"smtp_host": host, "smtp_tls": tls, "smtp_starttls": starttls}
    )
    assert alert_email.transport(chosen) == expected


@pytest.mark.parametrize(
    "update",
    [{"smtp_tls": "none"}, {"smtp_starttls": False}],
    ids=["QD_SMTP_TLS=none", "QD_SMTP_STARTTLS=false"],
)
def test_plain_text_to_a_relay_over_the_network_stops_the_gateway(
    settings: Settings, update: dict[str, object]
) -> None:
    plain = settings.model_copy(
        update={
            "smtp_host": "smtp.example.org",
            "smtp_user": SMTP_USER,
            "smtp_password": SecretStr(SMTP_PASSWORD),
            **update,
        }
    )
    problem = alert_email.transport_problem(plain)
    assert problem is not None and "plain text" in problem and SMTP_PASSWORD not in problem
    with pytest.raises(alert_email.SmtpRefused):
        alert_email.send(alert_email.EmailMessage(), plain)
    with pytest.raises(RuntimeError, match="plain text"), TestClient(build_app(plain)):
        pass


def test_the_tls_context_verifies_certificates_and_host_names(settings: Settings) -> None:
    context = alert_email.tls_context(settings)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_a_ca_file_that_is_not_there_stops_the_gateway(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(
        update={"smtp_host": "smtp.example.org", "smtp_ca_file": tmp_path / "relay-ca.pem"}
    )
    assert "QD_SMTP_CA_FILE" in (alert_email.transport_problem(missing) or "")
    with pytest.raises(RuntimeError, match="QD_SMTP_CA_FILE"), TestClient(build_app(missing)):
        pass
