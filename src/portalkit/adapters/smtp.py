"""Email delivery over SMTP with the standard library's :mod:`smtplib`.

:class:`SmtpMailer` implements the :class:`~portalkit.ports.Mailer` port:
STARTTLS (the default), implicit TLS ("SSL", port 465) or plain (only for a
relay on localhost), optional login, a timeout on every network operation.
One connection is kept open and reused across messages (a bulk send does not
reconnect per email); a connection the server dropped is reopened once.

Every failure leaves as :class:`~portalkit.errors.MailDeliveryError`, whose
``detail`` has the server's reply and whose ``permanent`` flag is set for 5xx
refusals. Nothing is built at import time.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from typing import Literal

from portalkit.errors import ConfigurationError, MailDeliveryError

__all__ = ["Security", "SmtpMailer"]

#: How the connection is protected.
Security = Literal["starttls", "ssl", "none"]

_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"


class SmtpMailer:
    """Sends messages through an SMTP server.

    Args:
        host: The server's name or address.
        port: The port (587 for STARTTLS, 465 for SSL, 25 for none by default).
        security: ``"starttls"``, ``"ssl"`` or ``"none"``. ``"none"`` sends in
            clear text and refuses to log in.
        username, password: Log in with these (both or neither).
        timeout: Seconds for connecting and for each command.
        ssl_context: The TLS settings; a default context verifies the
            server's certificate and name.
        local_hostname: The name given in EHLO (the machine's name by default).
        idle_timeout: Reconnect when the kept connection has been idle longer
            than this many seconds (servers drop idle clients).

    Raises:
        ConfigurationError: An unknown security mode, half a login, or a login
            without TLS.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        idle_timeout: float = 30.0,
    ) -> None:
        if security not in _DEFAULT_PORTS:
            raise ConfigurationError(
                f"Unknown SMTP security {security!r}; use 'starttls', 'ssl' or 'none'."
            )
        if (username is None) != (password is None):
            raise ConfigurationError("Give both an SMTP username and password, or neither.")
        if username is not None and security == "none":
            raise ConfigurationError("Refusing to send an SMTP password without TLS.")
        if timeout <= 0:
            raise ConfigurationError("The SMTP timeout must be positive.")
        self.host = host
        self.port = port or _DEFAULT_PORTS[security]
        self.security: Security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._context = ssl_context
        self._local_hostname = local_hostname
        self._idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0

    def _context_or_default(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP
        if self.security == "ssl":
            connection = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._context_or_default(),
            )
        else:
            connection = smtplib.SMTP(
                self.host, self.port, local_hostname=self._local_hostname, timeout=self._timeout
            )
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=self._context_or_default())
                connection.ehlo()
            if self._username is not None and self._password is not None:
                connection.login(self._username, self._password)
        except BaseException:
            _close_quietly(connection)
            raise
        return connection

    def _open(self) -> smtplib.SMTP:
        idle = time.monotonic() - self._last_used
        if self._connection is not None and idle > self._idle_timeout:
            _close_quietly(self._connection)
            self._connection = None
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def send(self, message: EmailMessage) -> None:
        """Deliver *message* to every address in its To/Cc/Bcc headers.

        Raises:
            MailDeliveryError: The server could not be reached or refused the
                message or a recipient (``permanent`` for 5xx replies).
        """
        with self._lock:
            try:
                self._send_once(message, retry=True)
            except MailDeliveryError:
                raise
            except smtplib.SMTPRecipientsRefused as exc:
                self._drop()
                replies = "; ".join(
                    f"{addr}: {_reply(code, text)}" for addr, (code, text) in exc.recipients.items()
                )
                permanent = all(code >= 500 for code, _ in exc.recipients.values())
                raise MailDeliveryError(replies, permanent=permanent) from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()
                raise MailDeliveryError(
                    _reply(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500
                ) from exc
            except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
                self._drop()
                raise MailDeliveryError(f"{type(exc).__name__}: {exc}") from exc
            finally:
                self._last_used = time.monotonic()

    def _send_once(self, message: EmailMessage, *, retry: bool) -> None:
        connection = self._open()
        try:
            refused = connection.send_message(message)
        except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError):
            self._drop()
            if not retry:
                raise
            self._send_once(message, retry=False)
            return
        if refused:
            replies = "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in refused.items())
            raise MailDeliveryError(replies, permanent=all(c >= 500 for c, _ in refused.values()))

    def _drop(self) -> None:
        if self._connection is not None:
            _close_quietly(self._connection)
            self._connection = None

    def close(self) -> None:
        """Say QUIT and close the kept connection (a later send reopens one)."""
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.quit()
                except (smtplib.SMTPException, OSError):
                    pass
                finally:
                    _close_quietly(self._connection)
                    self._connection = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _close_quietly(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        connection.close()
