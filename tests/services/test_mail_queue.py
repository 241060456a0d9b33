"""The mail queue (issue 20, finding 2): stored with the request, sent by a drainer.

On memory, SQLite and PostgreSQL: a request's mail commits or rolls back with
its code; nothing is sent until a drain; a sent or given-up message keeps no
text; failures are retried with a growing delay, then given up and reported;
drains running at once never send a message twice; the background sender
delivers on its own; ``portalkit mail deliver`` drains from the shell.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import attrs
import pytest

from portalkit import Portal, PortalConfig
from portalkit._services import identity_passwords as identity_module
from portalkit._services.mail_queue import LEASE, delivery_mode
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.memory import MemoryStorage
from portalkit.cli import main
from portalkit.domain.filters import Eq
from portalkit.domain.identity import CodePurpose
from portalkit.domain.mail_queue import MAX_ATTEMPTS, QueuedMail, retry_delay
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConfigurationError, InvalidInputError, MailDeliveryError
from portalkit.ports import Storage

SECRET = "mail-queue-secret-key-0123456789-abcdefghijkl"
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


class FlakyMailer:
    """Fails the first *failures* sends (transiently, or for good), then keeps messages."""

    def __init__(self, failures: int = 0, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        """Refuse while failures are left, else keep *message*."""
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                raise MailDeliveryError("421 try again later" if not self.permanent
                                        else "550 no such user", permanent=self.permanent)
            self.sent.append(message)


@attrs.frozen
class World:
    portal: Portal
    tenant: Tenant
    clock: ManualClock
    mailer: FlakyMailer


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """A fresh storage of each kind."""
    if request.param == "memory":
        return MemoryStorage()
    found: Storage = request.getfixturevalue(f"{request.param}_storage")
    return found


def _world(
    storage: Storage, mailer: FlakyMailer | None = None, delivery: str = "worker",
    start: dt.datetime = NOW,
) -> World:
    clock = ManualClock(start)
    the_mailer = mailer or FlakyMailer()
    portal = Portal(storage, secret_key=SECRET, clock=clock, config=PortalConfig(
        mailer=the_mailer, hasher=FAST_HASHER, mail_delivery=delivery))
    portal.create_tenant("acme", "Acme Rentals")
    with portal.admin("acme") as admin:
        admin.create_user("ann@city.example", "Ann Lee")
    return World(portal, portal.tenant("acme"), clock, the_mailer)


def _queued(world: World) -> list[QueuedMail]:
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        return uow.mail_queue.find(world.tenant.id)


def test_a_request_queues_its_mail_and_a_drain_sends_it(storage: Storage) -> None:
    """Worker mode: the request only stores; the drain sends, marks sent, erases the text."""
    world = _world(storage)
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    [queued] = _queued(world)
    assert world.mailer.sent == []
    assert queued.pending
    assert queued.to == "ann@city.example"
    assert queued.expires_at == NOW + dt.timedelta(minutes=15)
    assert "your password reset code" in queued.subject
    report = world.portal.mail_queue.deliver_pending()
    assert (report.sent, report.retrying, report.given_up) == (1, 0, 0)
    [sent] = world.mailer.sent
    assert str(sent["Message-ID"]) == queued.message_id
    assert sent.get_body(("plain",)) is not None
    [done] = _queued(world)
    assert (done.sent_at, done.message, done.attempts) == (NOW, "", 1)
    assert world.portal.mail_queue.deliver_pending().attempted == 0  # nothing twice


def test_a_rolled_back_request_leaves_no_mail_and_no_code(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail is written in the request's own transaction: a failure after it undoes it."""
    world = _world(storage)

    def broken_audit(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(identity_module, "record", broken_audit)
    with pytest.raises(RuntimeError):
        world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    assert _queued(world) == []
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        ann = uow.users.get_by_email(world.tenant.id, "ann@city.example")
        assert ann is not None
        assert uow.codes.get_for(world.tenant.id, CodePurpose.RESET, ann.id) is None


def test_an_unknown_address_does_the_same_work(storage: Storage) -> None:
    """A code row is renewed and a message queued for an unknown address too (no code in it)."""
    world = _world(storage)
    world.portal.identity.request_password_reset(world.tenant, "nobody@city.example")
    [queued] = _queued(world)
    assert queued.to == "nobody@city.example"
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        assert uow.codes.get_for(world.tenant.id, CodePurpose.RESET, 0) is not None
    world.portal.mail_queue.deliver_pending()
    [told] = world.mailer.sent
    assert "no account" in told.get_body(("plain",)).get_content()


def test_a_transient_failure_is_retried_later_with_a_growing_delay(storage: Storage) -> None:
    """421: kept, retried after 30 s, then 60 s; sent when the server takes it."""
    world = _world(storage, FlakyMailer(failures=2))
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    queue = world.portal.mail_queue
    assert queue.deliver_pending().retrying == 1
    [waiting] = _queued(world)
    assert waiting.next_attempt_at == NOW + retry_delay(1) == NOW + dt.timedelta(seconds=30)
    assert waiting.last_error == "421 try again later"
    assert queue.deliver_pending().attempted == 0  # not due yet
    world.clock.advance(seconds=30)
    assert queue.deliver_pending().retrying == 1
    [waiting] = _queued(world)
    assert waiting.next_attempt_at == world.clock.now() + dt.timedelta(seconds=60)
    world.clock.advance(seconds=60)
    assert queue.deliver_pending().sent == 1
    assert len(world.mailer.sent) == 1
    assert _queued(world)[0].attempts == 3


def test_a_permanent_refusal_is_given_up_and_reported(storage: Storage) -> None:
    """550: no retry; the text is erased, staff see it in the audit, the host gets an event."""
    world = _world(storage, FlakyMailer(failures=1, permanent=True))
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    assert world.portal.mail_queue.deliver_pending().given_up == 1
    [given_up] = _queued(world)
    assert (given_up.failed_at, given_up.message) == (NOW, "")
    [event] = world.portal.events.fetch(topics=["mail.undelivered"])
    assert event.payload["to"] == "ann@city.example"
    assert event.payload["permanent"] == "true"
    assert "550" in event.payload["error"]
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        [entry] = uow.audit.find(world.tenant.id, Eq("action", "mail.send"))
    assert entry.outcome == "failed"


def test_the_last_attempt_gives_up(storage: Storage) -> None:
    """After MAX_ATTEMPTS transient failures the message is given up, not retried forever.

    The code would have expired long before; a message without an expiry shows the cap.
    """
    world = _world(storage, FlakyMailer(failures=MAX_ATTEMPTS))
    queue = world.portal.mail_queue
    with world.portal.storage.unit_of_work() as uow:
        queue.enqueue(uow, world.tenant.id, _message(world, "ann@city.example"))
        uow.commit()
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcomes.append(queue.deliver_pending())
        world.clock.advance(hours=1)
    assert [r.retrying for r in outcomes[:-1]] == [1] * (MAX_ATTEMPTS - 1)
    assert outcomes[-1].given_up == 1
    assert world.mailer.sent == []


def test_mail_not_sent_before_its_code_expires_is_given_up(storage: Storage) -> None:
    """A reset code mailed after it stopped working only confuses: it is given up instead."""
    world = _world(storage)
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    world.clock.advance(minutes=15)
    assert world.portal.mail_queue.deliver_pending().given_up == 1
    assert world.mailer.sent == []


def test_a_claimed_message_is_left_to_its_drainer_for_the_lease(storage: Storage) -> None:
    """A drainer that died mid-send: another retries the message once the lease is over."""
    world = _world(storage)
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    with world.portal.storage.unit_of_work() as uow:
        [due] = uow.mail_queue.due(NOW, 10)
        assert uow.mail_queue.claim(due, until=NOW + LEASE)
        assert not uow.mail_queue.claim(due, until=NOW + LEASE)  # the same row, once
        uow.commit()
    assert world.portal.mail_queue.deliver_pending().attempted == 0
    world.clock.advance(seconds=LEASE.total_seconds())
    assert world.portal.mail_queue.deliver_pending().sent == 1


def _message(world: World, to: str) -> EmailMessage:
    return world.portal.identity._mail.notice(world.tenant, "claim_notice", to=to)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_drains_running_at_once_never_send_a_message_twice(
    request: pytest.FixtureRequest, kind: str
) -> None:
    """Four drainers on 200 messages: each message handed to the mailer exactly once."""
    storage: Storage = request.getfixturevalue(f"{kind}_storage")
    world = _world(storage)
    with storage.unit_of_work() as uow:
        for i in range(200):
            world.portal.mail_queue.enqueue(uow, world.tenant.id,
                                            _message(world, f"r{i}@city.example"))
        uow.commit()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            start.wait(timeout=30)
            world.portal.mail_queue.deliver_pending()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    counts = Counter(str(m["Message-ID"]) for m in world.mailer.sent)
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    assert all(m.sent_at is not None for m in _queued(world))


def test_the_background_sender_delivers_on_its_own(storage: Storage) -> None:
    """The default mode: the request returns, a thread of the process sends just after."""
    world = _world(storage, delivery="background")
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    assert world.portal.mail_queue.wait_idle(timeout=10)
    [sent] = world.mailer.sent
    assert sent["To"].addresses[0].addr_spec == "ann@city.example"
    sender = world.portal.mail_queue._thread
    assert sender is not None
    world.portal.mail_queue.stop()  # what Portal.close() does first
    assert not sender.is_alive()


def test_the_delivery_mode_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mode that does not exist is refused at start-up, from the code or the environment."""
    with pytest.raises(ConfigurationError, match="mail_delivery"):
        PortalConfig(mail_delivery="later")
    monkeypatch.setenv("PORTALKIT_MAIL_DELIVERY", "whenever")
    with pytest.raises(InvalidInputError):
        delivery_mode()
    monkeypatch.delenv("PORTALKIT_MAIL_DELIVERY")
    assert delivery_mode() == "background"
    assert delivery_mode("worker") == "worker"


def test_portalkit_mail_deliver_sends_what_is_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``portalkit mail deliver --console`` drains the queue of the database it is given."""
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    storage.upgrade()
    world = _world(storage, start=dt.datetime.now(dt.timezone.utc))  # the command's clock
    world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
    world.portal.identity.request_password_reset(world.tenant, "nobody@city.example")
    storage.close()
    assert main(["mail", "deliver", "--url", url, "--console"]) == 0
    out = capsys.readouterr().out
    assert "ann@city.example" in out
    assert "nobody@city.example" in out
    assert "2 messages sent, 0 to retry later, 0 given up" in out
    assert main(["mail", "deliver", "--url", url, "--console"]) == 0
    assert "0 messages sent" in capsys.readouterr().out


def test_portalkit_mail_deliver_loop_sends_new_mail_and_stops_on_sigterm(tmp_path: Path) -> None:
    """``--loop``: mail queued while it runs goes out; SIGTERM ends it cleanly (status 0)."""
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415

    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    storage.upgrade()
    world = _world(storage, start=dt.datetime.now(dt.timezone.utc))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "portalkit", "mail", "deliver", "--url", url, "--console",
             "--loop", "--interval", "0.1"],
            stdout=sink, stderr=subprocess.STDOUT, env=environment, text=True,
        )
        try:
            world.portal.identity.request_password_reset(world.tenant, "ann@city.example")
            deadline = time.monotonic() + 60
            while "1 message sent" not in out.read_text():
                assert child.poll() is None, out.read_text()
                assert time.monotonic() < deadline, out.read_text()
                time.sleep(0.1)
        finally:
            child.send_signal(signal.SIGTERM)
            status = child.wait(timeout=30)
    storage.close()
    assert status == 0, out.read_text()
    text = out.read_text()
    assert "ann@city.example" in text
    assert text.rstrip().endswith("1 message sent, 0 to retry later, 0 given up")
