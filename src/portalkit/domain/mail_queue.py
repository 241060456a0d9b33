"""Mail waiting to be sent: stored with the write it belongs to, sent by a drainer.

A request that mails (a reset code, a registration code) stores the composed
message in the same transaction as the code it carries; a drainer
(:class:`portalkit._services.mail_queue.MailQueue`, the ``portalkit mail deliver`` command or the
in-process background sender) hands it to the mailer afterwards. The request
therefore takes the same time whether or not a message is due, and a
rolled-back request leaves no mail behind.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["MAX_ATTEMPTS", "QueuedMail", "retry_delay"]

#: Attempts before a message is given up (a ``mail.undelivered`` event then tells the host).
MAX_ATTEMPTS = 6


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the *attempts*-th failed attempt: 30 s, doubling, at most 1 h."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@attrs.frozen(kw_only=True)
class QueuedMail:
    """One message in the mail queue.

    ``message`` is the RFC 5322 text of the composed message; it is erased
    once the message was sent or given up, so a code it carried is not kept.
    A message is pending while neither ``sent_at`` nor ``failed_at`` is set;
    it is due once ``next_attempt_at`` has passed. A drainer claims it by
    raising ``attempts`` (a conditional update only one drainer wins) and
    moving ``next_attempt_at`` past its own attempt.
    """

    id: int
    tenant_id: int
    message: str
    to: str
    message_id: str
    subject: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    expires_at: dt.datetime | None = None
    attempts: int = 0
    sent_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    last_error: str | None = None

    @property
    def pending(self) -> bool:
        """Neither sent nor given up."""
        return self.sent_at is None and self.failed_at is None
