"""The host's outbox consumer: fetch, acknowledge, at-least-once, and crashes lose nothing."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import portalkit
from portalkit._services.events import EventFeed
from portalkit.adapters.clock import ManualClock
from portalkit.domain.events import OutboxEvent
from portalkit.errors import InvalidInputError
from tests.services.action_world import World, build_world

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The action world on each storage adapter."""
    return build_world(portal)


def _feed(world: World) -> EventFeed:
    return EventFeed(world.portal.storage, world.clock)


def _produce(world: World, n: int) -> None:
    for i in range(n):
        world.requests.request_job(world.ann, site=world.site.id, description=f"job {i}")


def test_fetch_then_acknowledge(world: World) -> None:
    """Events come oldest first with unique ids and their payload; acknowledged
    ones do not come again; acknowledging twice counts nothing."""
    feed = _feed(world)
    _produce(world, 3)
    batch = feed.fetch(10)
    assert [e.topic for e in batch] == ["job.requested"] * 3
    assert [e.id for e in batch] == sorted({e.id for e in batch})
    assert [e.payload["description"] for e in batch] == ["job 0", "job 1", "job 2"]
    assert all(e.payload["tenant_id"] == world.tenant_id for e in batch)
    assert feed.acknowledge(batch[:2]) == 2
    assert feed.acknowledge([batch[0].id]) == 0
    assert [e.id for e in feed.fetch(10)] == [batch[2].id]
    assert feed.pending_count(world.tenant_id) == 1
    delivered = feed.get(world.tenant_id, batch[0].id)
    assert delivered is not None
    assert delivered.delivered_at == world.clock.now()


def test_unacknowledged_events_come_again(world: World) -> None:
    """At least once: what was fetched but not acknowledged is fetched again."""
    feed = _feed(world)
    _produce(world, 2)
    first = feed.fetch(1)
    assert feed.fetch(1) == first
    assert [e.id for e in feed.fetch(5, after=first[0].id)] != [first[0].id]


def test_filters_by_tenant_and_topic(world: World) -> None:
    """A consumer may read one tenant's events, or some topics only."""
    other = build_world(world.portal, slug="other")
    _produce(world, 1)
    _produce(other, 2)
    feed = _feed(world)
    assert len(feed.fetch(10)) == 3
    assert {e.tenant_id for e in feed.fetch(10, tenant=other.tenant_id)} == {other.tenant_id}
    assert len(feed.fetch(10, tenant=other.tenant_id)) == 2
    assert feed.fetch(10, topics=["quote.approved"]) == []
    assert len(feed.fetch(10, topics=["job.requested"])) == 3
    with pytest.raises(InvalidInputError):
        feed.fetch(0)


def test_consume_acknowledges_and_stops_on_error(world: World) -> None:
    """consume() handles and acknowledges everything; a failing handler leaves its
    event (and the rest of the batch) pending for the next run."""
    feed = _feed(world)
    _produce(world, 5)
    seen: list[int] = []

    def fail_on_third(event: OutboxEvent) -> None:
        if len(seen) == 2:
            raise RuntimeError("host is down")
        seen.append(event.id)

    with pytest.raises(RuntimeError):
        feed.consume(fail_on_third, batch_size=2)
    assert feed.pending_count(world.tenant_id) == 3
    assert feed.consume(lambda e: seen.append(e.id), batch_size=2) == 3
    assert len(set(seen)) == 5
    assert feed.pending_count(world.tenant_id) == 0


def test_purge_delivered(world: World) -> None:
    """Acknowledged events can be deleted after a while; pending ones never are."""
    feed = _feed(world)
    _produce(world, 2)
    feed.acknowledge(feed.fetch(1))
    world.clock.advance(days=8)
    cutoff = world.clock.now() - dt.timedelta(days=7)
    assert feed.purge(world.tenant_id, delivered_before=cutoff) == 1
    assert feed.pending_count(world.tenant_id) == 1
    with pytest.raises(InvalidInputError):
        feed.purge(world.tenant_id, delivered_before=dt.datetime(2026, 1, 1))


# Crashes: real processes, killed with SIGKILL ---------------------------------------

CONSUMER = textwrap.dedent(
    """
    import os, sys, time
    from portalkit.adapters.clock import SystemClock
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
    from portalkit._services.events import EventFeed

    url, log = sys.argv[1], sys.argv[2]
    feed = EventFeed(SqlAlchemyStorage.from_url(url), SystemClock())

    def handle(event):
        with open(log, "a") as f:
            f.write(f"{event.id}\\n")
            f.flush()
            os.fsync(f.fileno())
        time.sleep(0.03)

    feed.consume(handle, batch_size=10, ack_each=False)
    """
)

PRODUCER = textwrap.dedent(
    """
    import os, signal, sys
    from portalkit.adapters.clock import SystemClock
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
    from portalkit._services.actions import ServiceRequests
    from portalkit.domain.principals import Principal, PrincipalKind

    url, tenant, user, site = sys.argv[1], *map(int, sys.argv[2:5])
    requests = ServiceRequests(SqlAlchemyStorage.from_url(url), SystemClock())
    who = Principal(tenant_id=tenant, kind=PrincipalKind.USER, user_id=user)
    for i in range(5):
        requests.request_job(who, site=site, description=f"crash {i}")
    os.kill(os.getpid(), signal.SIGKILL)  # die right after the commits, before delivery
    """
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_world(request: pytest.FixtureRequest) -> tuple[World, str]:
    """The world on a SQL database that other processes can open, and its URL."""
    storage = request.getfixturevalue(f"{request.param}_storage")
    url = storage.engine.url.render_as_string(hide_password=False)
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    return build_world(portal), url


def _run(script: str, errors: Path, *args: str) -> subprocess.Popen[bytes]:
    with errors.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", script, *args], stdout=subprocess.DEVNULL, stderr=sink
        )


@pytest.mark.slow
def test_consumer_killed_mid_batch_loses_nothing(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    """A consumer process killed with SIGKILL in the middle of a batch: the next
    consumer gets every event it had not acknowledged, so every event is handled
    at least once and all end acknowledged."""
    world, url = sql_world
    _produce(world, 25)
    feed = _feed(world)
    all_ids = {e.id for e in feed.fetch(100)}
    log = tmp_path / "handled.log"
    errors = tmp_path / "stderr.txt"
    child = _run(CONSUMER, errors, url, str(log))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = log.read_text().split() if log.exists() else []
        if len(lines) >= 15:  # in the middle of the second batch of 10
            break
        if child.poll() is not None:
            pytest.fail(f"consumer ended early: {errors.read_text()}")
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL
    before = [int(x) for x in log.read_text().split()]
    assert 15 <= len(before) < 25
    pending = {e.id for e in feed.fetch(100)}
    assert pending, "the killed batch was not acknowledged"
    assert set(before) | pending == all_ids
    after: list[int] = []
    feed.consume(lambda e: after.append(e.id), batch_size=7)
    assert set(before) | set(after) == all_ids
    assert set(after) == pending
    assert feed.pending_count(world.tenant_id) == 0


@pytest.mark.slow
def test_producer_killed_after_commit_loses_nothing(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    """A process that commits actions and is killed before anything is delivered
    leaves every action and its event for the consumer."""
    world, url = sql_world
    assert world.ann.user_id is not None
    errors = tmp_path / "stderr.txt"
    child = _run(
        PRODUCER, errors, url, str(world.tenant_id), str(world.ann.user_id), str(world.site.id)
    )
    assert child.wait(60) == -signal.SIGKILL, errors.read_text()
    events = _feed(world).fetch(100)
    assert [e.payload["description"] for e in events] == [f"crash {i}" for i in range(5)]
    with world.portal.storage.unit_of_work() as uow:
        assert uow.actions.requests.count(world.tenant_id) == 5
