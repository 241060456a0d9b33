"""Mailers that deliver nowhere: an in-memory outbox for tests, the console for demos.

Both implement the :class:`~portalkit.ports.Mailer` port. For real delivery
use :class:`portalkit.adapters.smtp.SmtpMailer`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from typing import TextIO

from portalkit.errors import MailDeliveryError

__all__ = ["ConsoleMailer", "MemoryMailer"]


def _recipients(message: EmailMessage) -> list[str]:
    return [
        address.addr_spec
        for header in ("To", "Cc", "Bcc")
        for address in getattr(message.get(header), "addresses", ())
    ]


class MemoryMailer:
    """Keeps every sent message in :attr:`outbox` (for tests and experiments).

    Args:
        refuse: Recipient addresses for which :meth:`send` raises
            :class:`~portalkit.errors.MailDeliveryError`, as a server refusing
            them would; or a function that says whether to refuse a message.
    """

    def __init__(
        self, *, refuse: Iterable[str] | Callable[[EmailMessage], bool] = ()
    ) -> None:
        self.outbox: list[EmailMessage] = []
        self._lock = threading.Lock()
        if callable(refuse):
            self._refuse = refuse
        else:
            refused = frozenset(a.lower() for a in refuse)
            self._refuse = lambda m: any(r.lower() in refused for r in _recipients(m))

    def send(self, message: EmailMessage) -> None:
        """Store *message* in the outbox, or raise MailDeliveryError if refused."""
        if self._refuse(message):
            raise MailDeliveryError("550 recipient refused (MemoryMailer)", permanent=True)
        with self._lock:
            self.outbox.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to *address* so far, oldest first."""
        wanted = address.lower()
        with self._lock:
            return [m for m in self.outbox if wanted in (r.lower() for r in _recipients(m))]

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self.outbox.clear()


class ConsoleMailer:
    """Prints each message's headers and text part (for the demo and local development).

    Args:
        stream: Where to write (standard output by default).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        """Write *message* readably to the stream."""
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        lines = [f"{name}: {message[name]}" for name in ("From", "Reply-To", "To", "Subject")
                 if message[name] is not None]
        out = "\n".join(["-" * 72, *lines, "", str(text).rstrip(), "-" * 72, ""])
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(out)
            stream.flush()
