"""The mail queue's rules: the retry schedule and when a message is pending."""

from __future__ import annotations

import datetime as dt

import pytest

from portalkit.domain.mail_queue import MAX_ATTEMPTS, QueuedMail, retry_delay

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(-1, 30), (0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (40, 3600)],
)
def test_retry_waits_30_seconds_doubling_up_to_an_hour(attempts: int, seconds: int) -> None:
    assert retry_delay(attempts) == dt.timedelta(seconds=seconds)


def test_six_attempts_before_giving_up() -> None:
    assert MAX_ATTEMPTS == 6


def _mail(**changes: object) -> QueuedMail:
    values: dict[str, object] = {
        "id": 1, "tenant_id": 1, "message": "Subject: hi\n\nbody", "to": "ann@example.com",
        "message_id": "<1@portal.example>", "subject": "hi", "created_at": NOW,
        "next_attempt_at": NOW,
    }
    values.update(changes)
    return QueuedMail(**values)  # type: ignore[arg-type]


def test_a_new_message_is_pending_with_no_attempts() -> None:
    mail = _mail()
    assert mail.pending
    assert (mail.attempts, mail.expires_at, mail.last_error) == (0, None, None)


@pytest.mark.parametrize("field", ["sent_at", "failed_at"])
def test_a_sent_or_given_up_message_is_not_pending(field: str) -> None:
    assert not _mail(**{field: NOW}).pending
    assert not _mail(sent_at=NOW, failed_at=NOW).pending
