"""A 10,000-contact bulk invitation killed with SIGKILL halfway, then resumed.

The sending process is a real subprocess talking to a real SMTP server
(aiosmtpd, in this test's process so its count survives the kill) and to
PostgreSQL. It is killed with SIGKILL once about half the emails have arrived;
the same bulk send is then run again with ``resume=True`` to completion.

What must hold afterwards: every contact has exactly one invitation record
(none lost, none doubled), every invitation is pending and marked sent, every
contact received at least one email, at most the one chunk in flight at the
kill got a second one, and the link in the last email each contact received is
the one that works.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs
import pytest

import portalkit
from portalkit._services.invitations import InvitationService, SignUpForm, SkipReason
from portalkit.adapters.clock import ManualClock, SystemClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.filters import Eq
from portalkit.domain.invitations import InvitationStatus
from portalkit.domain.passwords import PasswordPolicy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.tenants import TenantSettings
from tests.smtp_fixtures import SmtpServer, running_server

pytestmark = pytest.mark.postgres

SECRET = "reliability-test-secret-key-0123456789-abcdef"
CONTACTS = 10_000
CHUNK = 200  # the service's default chunk size
BASE_URL = "https://portal.acme.example"

SENDER = textwrap.dedent(
    """
    import sys
    from portalkit._services.invitations import InvitationService
    from portalkit.adapters.clock import SystemClock
    from portalkit.adapters.crypto import Argon2idHasher
    from portalkit.adapters.smtp import SmtpMailer
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
    from portalkit.adapters.tokens import ItsdangerousTokenSigner
    from portalkit.domain.passwords import PasswordPolicy
    from portalkit.domain.principals import Principal, PrincipalKind

    url, secret, tenant, user, host, port, count, resume = sys.argv[1:9]
    storage = SqlAlchemyStorage.from_url(url)
    with SmtpMailer(host, int(port), security="none", timeout=10) as mailer:
        service = InvitationService(
            storage,
            signer=ItsdangerousTokenSigner(secret),
            mailer=mailer,
            clock=SystemClock(),
            password_policy=PasswordPolicy(),
            hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
        )
        staff = Principal(tenant_id=int(tenant), kind=PrincipalKind.USER, user_id=int(user))
        contacts = (
            {"email": f"contact{i:05d}@example.com", "name": f"Contact {i}"}
            for i in range(int(count))
        )
        report = service.send(staff, contacts, resume=resume == "resume")
    print(report.sent, report.skipped, report.failed, flush=True)
    """
)

_LINK = re.compile(r"token=([A-Za-z0-9_.\-]+)")


class CountingOutbox:
    """An aiosmtpd handler that keeps, per recipient, how many emails arrived and the last one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.per_recipient: Counter[str] = Counter()
        self.last: dict[str, bytes] = {}
        self.total = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Count the message for each recipient and keep its raw content."""
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt.lower()] += 1
                self.last[rcpt.lower()] = envelope.content
            self.total += 1
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpServer, CountingOutbox]]:
    """A real SMTP server on loopback that counts what it receives."""
    outbox = CountingOutbox()
    with running_server(outbox) as server:  # type: ignore[arg-type]
        yield server, outbox


def _world(storage: SqlAlchemyStorage) -> tuple[int, int]:
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=SystemClock())
    tenant = portal.create_tenant(
        "acme",
        "Acme Fleet",
        settings=TenantSettings(base_url=BASE_URL, sender_email="portal@acme.example"),
    )
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", ["invitation.send"])
        staff = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(staff, "inviter", scope=org)
    return tenant.id, staff.id


def _start(
    url: str, tenant_id: int, user_id: int, server: SmtpServer, log: Path, mode: str
) -> subprocess.Popen[bytes]:
    args = [url, SECRET, str(tenant_id), str(user_id), server.host, str(server.port)]
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", SENDER, *args, str(CONTACTS), mode],
            stdout=sink,
            stderr=sink,
        )


@pytest.mark.slow
def test_bulk_send_killed_halfway_then_resumed_loses_and_doubles_nothing(
    postgres_storage: SqlAlchemyStorage,
    smtp: tuple[SmtpServer, CountingOutbox],
    tmp_path: Path,
) -> None:
    """SIGKILL the sending process once half of 10,000 emails arrived; resuming
    the same send completes it: exactly one invitation per contact, all sent,
    every contact emailed, at most one chunk emailed twice, and the last
    email's link is the valid one."""
    server, outbox = smtp
    storage = postgres_storage
    url = storage.engine.url.render_as_string(hide_password=False)
    tenant_id, staff_id = _world(storage)
    log = tmp_path / "sender.log"

    first = _start(url, tenant_id, staff_id, server, log, "fresh")
    deadline = time.monotonic() + 300  # generous: CI machines are shared
    while outbox.total < CONTACTS // 2:
        assert first.poll() is None, f"the sender ended early: {log.read_text()}"
        assert time.monotonic() < deadline, "the sender is too slow"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    assert first.wait(30) == -signal.SIGKILL
    received_before_kill = outbox.total
    assert CONTACTS // 2 <= received_before_kill < CONTACTS

    second = _start(url, tenant_id, staff_id, server, log, "resume")
    assert second.wait(600) == 0, log.read_text()

    # The records: one per contact, all pending and delivered.
    with storage.unit_of_work() as uow:
        invitations = uow.invitations.find(tenant_id)
    emails = Counter(inv.email for inv in invitations)
    expected = {f"contact{i:05d}@example.com" for i in range(CONTACTS)}
    assert set(emails) == expected, "an invitation was lost"
    assert max(emails.values()) == 1, "a contact has two invitations"
    assert all(inv.status is InvitationStatus.PENDING and not inv.unsent for inv in invitations)

    # The emails: nobody missed out, and the last email's link works.
    assert set(outbox.per_recipient) == expected, "a contact never got an email"
    service = InvitationService(
        storage,
        signer=ItsdangerousTokenSigner(SECRET),
        mailer=MemoryMailer(),
        clock=SystemClock(),
        password_policy=PasswordPolicy(),
        hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
    )
    for i in range(0, CONTACTS, 997):
        email = f"contact{i:05d}@example.com"
        message = message_from_bytes(outbox.last[email], policy=policy.default)
        assert isinstance(message, EmailMessage)
        text = message.get_body(("plain",))
        assert text is not None
        match = _LINK.search(text.get_content())
        assert match is not None
        form = service.show(tenant_id, match.group(1))
        assert isinstance(form, SignUpForm)
        assert form.email == email

    # Emailed twice: only the chunk in flight at the kill may be (its emails
    # went out but were not yet recorded as sent); nobody three times.
    doubled = sum(1 for n in outbox.per_recipient.values() if n > 1)
    assert doubled <= CHUNK, f"{doubled} contacts were emailed twice"
    assert max(outbox.per_recipient.values()) <= 2
    assert outbox.total <= CONTACTS + CHUNK


def test_resume_skips_delivered_invitations_only(postgres_storage: SqlAlchemyStorage) -> None:
    """A resumed send skips contacts whose pending invitation was delivered, and
    still sends to new contacts, to unsent invitations and to expired ones."""
    tenant_id, staff_id = _world(postgres_storage)
    clock = ManualClock(dt.datetime.now(dt.timezone.utc))
    mailer = MemoryMailer()
    service = InvitationService(
        postgres_storage,
        signer=ItsdangerousTokenSigner(SECRET, clock=clock),
        mailer=mailer,
        clock=clock,
        password_policy=PasswordPolicy(),
        hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
        validity=dt.timedelta(days=1),
    )
    staff = Principal(tenant_id=tenant_id, kind=PrincipalKind.USER, user_id=staff_id)
    first = [{"email": f"p{i}@example.com", "name": f"P {i}"} for i in range(3)]
    assert service.send(staff, first).sent == 3
    with postgres_storage.unit_of_work() as uow:  # p2's email "failed": pending, unsent
        p2 = uow.invitations.find(tenant_id, Eq("email", "p2@example.com"))[0]
        uow.invitations.update(attrs.evolve(p2, unsent=True))
        uow.commit()
    more = [*first, {"email": "new@example.com", "name": "New"}]
    report = service.send(staff, more, resume=True)
    assert report.skipped_by_reason == {SkipReason.ALREADY_INVITED: 2}
    assert report.sent == 2
    assert sorted(str(m["To"]) for m in mailer.outbox[3:]) == [
        "New <new@example.com>",
        "P 2 <p2@example.com>",
    ]
    clock.advance(days=2)  # every invitation has expired: all are sent again
    assert service.send(staff, more, resume=True).sent == 4
