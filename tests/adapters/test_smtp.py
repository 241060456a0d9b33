"""Tests for portalkit.adapters.smtp and .mail: delivery through a real SMTP server."""

from __future__ import annotations

import io
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from portalkit.adapters.mail import ConsoleMailer, MemoryMailer
from portalkit.adapters.smtp import SmtpMailer
from portalkit.errors import ConfigurationError, MailDeliveryError
from tests.smtp_fixtures import (
    PASSWORD,
    USERNAME,
    Certificate,
    Outbox,
    SmtpServer,
    _authenticate,
    free_port,
    make_certificate,
    running_server,
    start_server,
)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on a free loopback port."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


def message(to: str = "ann@example.com", subject: str = "Hello") -> EmailMessage:
    """A text+HTML message like the ones portalkit sends."""
    msg = EmailMessage()
    msg["From"] = "Portal <portal@acme.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hello Ann\n")
    msg.add_alternative("<p>Hello <b>Ann</b></p>", subtype="html")
    return msg


def test_plain_delivery_arrives_parsed(smtp_server: SmtpServer) -> None:
    """A message sent in the clear (to a local relay) arrives with both parts."""
    with SmtpMailer(smtp_server.host, smtp_server.port, security="none") as mailer:
        mailer.send(message())
    (got,) = smtp_server.outbox.messages
    assert got["Subject"] == "Hello"
    assert got.get_body(("plain",)).get_content().strip() == "Hello Ann"  # type: ignore[union-attr]
    assert "<b>Ann</b>" in got.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert smtp_server.outbox.envelopes == [("portal@acme.example", ["ann@example.com"])]


def test_connection_is_reused_across_messages(smtp_server: SmtpServer) -> None:
    """Many sends go over one kept connection (no reconnect per email)."""
    mailer = SmtpMailer(smtp_server.host, smtp_server.port, security="none")
    try:
        mailer.send(message(subject="1"))
        first = mailer._connection
        for n in range(2, 6):
            mailer.send(message(subject=str(n)))
        assert mailer._connection is first
    finally:
        mailer.close()
    assert [m["Subject"] for m in smtp_server.outbox.messages] == ["1", "2", "3", "4", "5"]


def test_a_dropped_connection_is_reopened(smtp_server: SmtpServer) -> None:
    """If the server closed the kept connection, the next send reconnects once."""
    mailer = SmtpMailer(smtp_server.host, smtp_server.port, security="none")
    try:
        mailer.send(message(subject="1"))
        assert mailer._connection is not None
        mailer._connection.sock.close()  # type: ignore[union-attr]
        mailer.send(message(subject="2"))
    finally:
        mailer.close()
    assert len(smtp_server.outbox.messages) == 2


def test_refused_recipient_is_a_permanent_delivery_error(smtp_server: SmtpServer) -> None:
    """A 5xx refusal becomes MailDeliveryError(permanent=True) with the server's reply."""
    with SmtpMailer(smtp_server.host, smtp_server.port, security="none") as mailer:
        with pytest.raises(MailDeliveryError) as info:
            mailer.send(message(to="refused@example.com"))
        assert info.value.permanent
        assert "550" in info.value.detail
        assert "refused@example.com" not in info.value.message
        mailer.send(message())  # the mailer is still usable
    assert len(smtp_server.outbox.messages) == 1


def test_unreachable_server_is_a_delivery_error() -> None:
    """Nothing listening: MailDeliveryError (not an OSError), within the timeout."""
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", timeout=2)
    with pytest.raises(MailDeliveryError) as info:
        mailer.send(message())
    assert not info.value.permanent
    assert info.value.code == "mail_delivery_failed"


def test_starttls_with_login(certificate: Certificate) -> None:
    """STARTTLS then AUTH LOGIN against a server that requires both."""
    server = start_server(
        Outbox(),
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    try:
        with SmtpMailer(
            server.host,
            server.port,
            security="starttls",
            username=USERNAME,
            password=PASSWORD,
            ssl_context=certificate.client_context(),
        ) as mailer:
            mailer.send(message())
        assert len(server.outbox.messages) == 1
        bad = SmtpMailer(
            server.host,
            server.port,
            username=USERNAME,
            password="wrong",
            ssl_context=certificate.client_context(),
        )
        with pytest.raises(MailDeliveryError) as info:
            bad.send(message())
        assert "535" in info.value.detail
    finally:
        server.controller.stop()


def test_starttls_refuses_an_untrusted_certificate(certificate: Certificate) -> None:
    """With the default context a self-signed certificate fails: no silent downgrade."""
    server = start_server(Outbox(), tls_context=certificate.server_context())
    try:
        mailer = SmtpMailer(server.host, server.port, security="starttls", timeout=5)
        with pytest.raises(MailDeliveryError):
            mailer.send(message())
        assert server.outbox.messages == []
    finally:
        server.controller.stop()


def test_implicit_tls(certificate: Certificate) -> None:
    """security="ssl" speaks TLS from the first byte (port 465 style)."""
    server = start_server(Outbox(), ssl_context=certificate.server_context())
    try:
        with SmtpMailer(
            server.host, server.port, security="ssl", ssl_context=certificate.client_context()
        ) as mailer:
            mailer.send(message())
        assert len(server.outbox.messages) == 1
    finally:
        server.controller.stop()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"security": "tls"},
        {"username": "u"},
        {"security": "none", "username": "u", "password": "p"},
        {"timeout": 0},
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object]) -> None:
    """Unknown security, half a login, a login without TLS, no timeout: ConfigurationError."""
    with pytest.raises(ConfigurationError):
        SmtpMailer("localhost", **kwargs)  # type: ignore[arg-type]


def test_memory_mailer_keeps_and_refuses() -> None:
    """MemoryMailer stores messages and refuses the configured recipients."""
    mailer = MemoryMailer(refuse=["Bad@Example.com"])
    mailer.send(message())
    with pytest.raises(MailDeliveryError):
        mailer.send(message(to="bad@example.com"))
    assert len(mailer.outbox) == 1
    assert mailer.to("ANN@example.com") == mailer.outbox
    mailer.clear()
    assert mailer.outbox == []


def test_console_mailer_prints_headers_and_text() -> None:
    """ConsoleMailer writes the headers and the text part, not the HTML."""
    stream = io.StringIO()
    ConsoleMailer(stream).send(message())
    out = stream.getvalue()
    assert "To: ann@example.com" in out
    assert "Subject: Hello" in out
    assert "Hello Ann" in out
    assert "<b>" not in out


def test_smtplib_is_not_leaked() -> None:
    """smtplib's exceptions are never raised from send (they are translated)."""
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", timeout=1)
    try:
        mailer.send(message())
    except smtplib.SMTPException:  # pragma: no cover (the failure this guards against)
        pytest.fail("smtplib exception leaked")
    except MailDeliveryError:
        pass
