"""A real SMTP server on loopback (aiosmtpd) for mail tests, and a TLS certificate.

Test modules wrap :func:`running_server` and :func:`make_certificate` in their
own fixtures. ``port=0`` does not work with aiosmtpd's readiness probe, so a
free port is picked first.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "mailer"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Outbox:
    """An aiosmtpd handler keeping what arrived, parsed, plus the envelopes."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        """Refuse the configured addresses with a permanent 550."""
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Parse and keep the message."""
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@attrs.define
class SmtpServer:
    """A running test server: where it listens and what it received."""

    host: str
    port: int
    outbox: Outbox
    controller: Controller


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def start_server(outbox: Outbox, **options: Any) -> SmtpServer:
    """Start an aiosmtpd controller on a free loopback port."""
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return SmtpServer(host="127.0.0.1", port=port, outbox=outbox, controller=controller)


@contextlib.contextmanager
def running_server(outbox: Outbox | None = None, **options: Any) -> Iterator[SmtpServer]:
    """A server for the ``with`` block; by default it refuses ``refused@example.com``."""
    server = start_server(outbox or Outbox(frozenset({"refused@example.com"})), **options)
    try:
        yield server
    finally:
        server.controller.stop()


@attrs.frozen
class Certificate:
    """A self-signed certificate for 127.0.0.1 and the contexts that use it."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """The server side."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client that trusts only this certificate and checks the name."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path) -> Certificate:
    """A throwaway self-signed certificate in *folder* (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Certificate(cert=cert, key=key)
