"""The mail queue: requests store composed mail, a drainer sends it.

A request that mails (a reset code, a registration code or notice) stores
the message with :meth:`MailQueue.enqueue` in its own unit of work, next to
the code it carries, so the two commit or roll back together, and the
request's time does not depend on the mail server (nor on whether a message
was due at all: issue 20, finding 2). :meth:`MailQueue.deliver_pending`
sends what is due through :meth:`MailComposer.deliver
<portalkit._services.mail_composer.MailComposer.deliver>`, the one place mail
reaches the mailer. Who calls it is the portal's ``mail_delivery`` setting:

* ``"background"`` (the default): a daemon thread of this process, woken after
  each commit that queued mail, and every :data:`POLL_INTERVAL` for retries;
* ``"worker"``: separate processes running ``portalkit mail deliver --loop``
  (several may run at once: each message is claimed by one conditional update);
* ``"inline"``: right after the request's commit, in the request's thread. For
  tests and scripts only: the request then waits for the mail server again.

Delivery is at least once: a drainer that dies between handing a message to
the mailer and marking it sent leaves it to be sent again after its lease
(:data:`LEASE`). A failed attempt is retried with a growing delay
(:func:`~portalkit.domain.mail_queue.retry_delay`); a permanent refusal, the
last attempt, or a message whose code expired meanwhile is given up: recorded
in the audit trail and as a ``mail.undelivered`` outbox event for the host,
and its text (with the code) erased, as it is once sent.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import threading
from email.message import EmailMessage
from typing import Literal

import attrs

from portalkit._services.audit import FAILED, record
from portalkit._services.mail_composer import MailComposer
from portalkit.domain.events import OutboxEvent
from portalkit.domain.mail_queue import MAX_ATTEMPTS, QueuedMail, retry_delay
from portalkit.errors import InvalidInputError, MailDeliveryError
from portalkit.ports import Clock, Storage, UnitOfWork

__all__ = [
    "DELIVERY_ENV",
    "LEASE",
    "MAIL_DELIVERY_MODES",
    "MAX_BATCH",
    "POLL_INTERVAL",
    "DeliveryReport",
    "MailDelivery",
    "MailQueue",
    "delivery_mode",
]

#: Who sends queued mail (see the module's docstring).
MailDelivery = Literal["background", "worker", "inline"]
MAIL_DELIVERY_MODES: tuple[MailDelivery, ...] = ("background", "worker", "inline")

#: The environment variable that chooses the delivery mode when the code does not.
DELIVERY_ENV = "PORTALKIT_MAIL_DELIVERY"

#: How long a claimed message is left to its drainer before another may retry it.
LEASE = dt.timedelta(minutes=5)

#: How often the background sender looks for retries that came due, in seconds.
POLL_INTERVAL = 30.0

#: The most messages one drain claims at a time.
MAX_BATCH = 100

_log = logging.getLogger("portalkit.mail")


@attrs.frozen
class DeliveryReport:
    """What one :meth:`MailQueue.deliver_pending` did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.given_up + other.given_up,
        )

    @property
    def attempted(self) -> int:
        """Messages handed to the mailer (or given up unsent)."""
        return self.sent + self.retrying + self.given_up


def delivery_mode(value: str | None = None) -> MailDelivery:
    """*value*, else ``$PORTALKIT_MAIL_DELIVERY``, else ``"background"``; checked.

    Raises:
        InvalidInputError: Not one of :data:`MAIL_DELIVERY_MODES` (``fields``
            names ``mail_delivery``).
    """
    chosen = value if value is not None else os.environ.get(DELIVERY_ENV) or "background"
    for mode in MAIL_DELIVERY_MODES:
        if chosen == mode:
            return mode
    raise InvalidInputError.for_field(
        "mail_delivery", f"Use one of {', '.join(MAIL_DELIVERY_MODES)}, not {chosen!r}."
    )


def _recipients(message: EmailMessage) -> str:
    return ", ".join(a.addr_spec for a in getattr(message["To"], "addresses", ()))


class MailQueue:
    """Queue composed mail in a request's transaction; send it afterwards.

    Args:
        storage: The portal's storage (the queue is a table of it).
        composer: Hands messages to the mailer.
        clock: Times attempts and retries.
        delivery: Who drains the queue: ``"background"``, ``"worker"`` or
            ``"inline"`` (see :mod:`portalkit._services.mail_queue`); None:
            :func:`delivery_mode`'s choice.
    """

    def __init__(
        self,
        storage: Storage,
        composer: MailComposer,
        clock: Clock,
        *,
        delivery: str | None = None,
    ) -> None:
        self.delivery: MailDelivery = delivery_mode(delivery)
        self._storage = storage
        self._composer = composer
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        if self.delivery == "background" and composer.has_mailer:
            # Started now, so mail left by an earlier run goes out at the first poll.
            self._ensure_thread()

    # The request's side ----------------------------------------------------
    def enqueue(
        self,
        uow: UnitOfWork,
        tenant_id: int,
        message: EmailMessage,
        *,
        expires_at: dt.datetime | None = None,
    ) -> QueuedMail:
        """Store *message* in *uow* (it commits or rolls back with the caller's writes).

        *expires_at*: when what the message carries (a code) stops working;
        a message not sent by then is given up rather than sent late. Call
        :meth:`notify` after the commit.
        """
        now = self._clock.now()
        return uow.mail_queue.add(QueuedMail(
            id=0, tenant_id=tenant_id, message=message.as_string(), to=_recipients(message),
            message_id=str(message["Message-ID"] or ""), subject=str(message["Subject"] or ""),
            created_at=now, next_attempt_at=now, expires_at=expires_at,
        ))

    def notify(self) -> None:
        """Mail was committed: send it as the delivery mode says (nothing for ``"worker"``)."""
        if self.delivery == "inline":
            self.deliver_pending()
        elif self.delivery == "background":
            self._ensure_thread()
            self._wake.set()

    # The drainer's side ----------------------------------------------------
    def deliver_pending(self, *, limit: int = 1000) -> DeliveryReport:
        """Send every due message (at most *limit*); returns what was done.

        Safe to run in several threads and processes at once: each message
        is claimed by one conditional update before it is sent.
        """
        report = DeliveryReport()
        while report.attempted < limit and not self._stopping.is_set():
            batch = self._claim(min(MAX_BATCH, limit - report.attempted))
            if not batch:
                break
            for mail in batch:
                report += self._attempt(mail)
        return report

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background sender after the message it is sending (for a clean shutdown).

        What is still queued stays in the database for the next drain.
        """
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until the background sender has sent what was due; False on timeout.

        For tests and for a clean shutdown of a small host.
        """
        with self._idle:
            return self._idle.wait_for(
                lambda: not self._busy and not self._wake.is_set(), timeout=timeout
            )

    def _claim(self, limit: int) -> list[QueuedMail]:
        now = self._clock.now()
        claimed: list[QueuedMail] = []
        with self._storage.unit_of_work() as uow:
            for mail in uow.mail_queue.due(now, limit):
                if uow.mail_queue.claim(mail, until=now + LEASE):
                    claimed.append(attrs.evolve(
                        mail, attempts=mail.attempts + 1, next_attempt_at=now + LEASE
                    ))
            uow.commit()
        return claimed

    def _attempt(self, mail: QueuedMail) -> DeliveryReport:
        now = self._clock.now()
        if mail.expires_at is not None and now >= mail.expires_at:
            self._give_up(mail, MailDeliveryError(
                f"Not sent before what it carries expired (last error: {mail.last_error}).",
                permanent=True))
            return DeliveryReport(given_up=1)
        parsed = email.message_from_string(mail.message, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        error = self._composer.deliver(parsed)
        if error is None:
            with self._storage.unit_of_work() as uow:
                uow.mail_queue.update(attrs.evolve(
                    mail, message="", sent_at=self._clock.now(), last_error=None
                ))
                uow.commit()
            return DeliveryReport(sent=1)
        if error.permanent or mail.attempts >= MAX_ATTEMPTS:
            self._give_up(mail, error)
            return DeliveryReport(given_up=1)
        with self._storage.unit_of_work() as uow:
            uow.mail_queue.update(attrs.evolve(
                mail, next_attempt_at=self._clock.now() + retry_delay(mail.attempts),
                last_error=(error.detail or error.message)[:500],
            ))
            uow.commit()
        return DeliveryReport(retrying=1)

    def _give_up(self, mail: QueuedMail, error: MailDeliveryError) -> None:
        """Erase the text, and tell staff (audit) and the host (``mail.undelivered``)."""
        now = self._clock.now()
        detail = {
            "message_id": mail.message_id,
            "subject": mail.subject,
            "error": (error.detail or error.message)[:500],
            "permanent": str(error.permanent).lower(),
        }
        with self._storage.unit_of_work() as uow:
            uow.mail_queue.update(attrs.evolve(
                mail, message="", failed_at=now, last_error=detail["error"]
            ))
            record(uow, self._clock, tenant_id=mail.tenant_id, action="mail.send",
                   outcome=FAILED, detail=detail)
            uow.outbox.add(OutboxEvent(id=0, tenant_id=mail.tenant_id, topic="mail.undelivered",
                                       payload={**detail, "to": mail.to}, created_at=now))
            uow.commit()

    # The background sender -------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._stopping.is_set() or (self._thread is not None and self._thread.is_alive()):
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="portalkit-mail", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(POLL_INTERVAL)
            if self._stopping.is_set():
                with self._idle:
                    self._wake.clear()
                    self._idle.notify_all()
                return
            with self._idle:
                self._busy = True
                self._wake.clear()
            try:
                self.deliver_pending()
            except Exception:  # the sender must outlive a failing database
                _log.exception("Sending queued mail failed; trying again later.")
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()
