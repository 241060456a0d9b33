"""PostgreSQL restarted while customers submit service requests.

A throwaway server owned by this test is restarted (``pg_ctl restart -m fast``,
which terminates every session) while several threads submit service requests
through the public service. What must hold:

* a request caught by the restart fails with a clear typed error
  (:class:`~portalkit.errors.DatabaseUnavailableError` or its parent
  :class:`~portalkit.errors.StorageError`), never a driver exception;
* the following requests succeed with no manual step (no pool reset, no
  restart of the application): the dead connections are dropped by the pool;
* nothing is half-written: every stored request has exactly one outbox event
  and one audit entry, and every event belongs to a stored request;
* retrying a failed request with its idempotency key stores it exactly once,
  even when the commit reached the database but its answer was lost.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.errors import DatabaseUnavailableError, PortalkitError, StorageError
from tests.reliability.pg_server import PgServer, throwaway_server
from tests.services.action_world import World, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SECRET = "reliability-test-secret-key-0123456789-abcdef"
THREADS = 6
PER_THREAD = 30
POOL = {"pool_size": 4, "max_overflow": 4}


@pytest.fixture
def pg() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own (restarting it disturbs nobody else)."""
    with throwaway_server() as server:
        yield server


@pytest.fixture
def world(pg: PgServer) -> Iterator[World]:
    """The customer world on the throwaway server, through a pooled engine."""
    storage = SqlAlchemyStorage.from_url(pg.url, **POOL)
    storage.upgrade()
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    yield build_world(portal)
    storage.close()


class Load:
    """Threads submitting service requests, each retried with its idempotency key."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.lock = threading.Lock()
        self.stored: dict[str, int] = {}
        self.failures: list[tuple[str, PortalkitError, float]] = []
        self.unexpected: list[BaseException] = []

    def submit(self, key: str) -> None:
        """Submit one request; retry the same key on a storage error, for up to 60 s."""
        deadline = time.monotonic() + 60
        while True:
            try:
                request = self.world.requests.request_service(
                    self.world.ann,
                    asset=self.world.asset.id,
                    description=f"request {key}",
                    idempotency_key=key,
                )
            except StorageError as exc:
                with self.lock:
                    self.failures.append((key, exc, time.monotonic()))
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            with self.lock:
                self.stored[key] = request.id
            return

    def run(self, thread: int) -> None:
        """One client: its share of the requests, one after another."""
        try:
            for i in range(PER_THREAD):
                self.submit(f"t{thread}-r{i}")
        except BaseException as exc:  # recorded, then the test fails on it
            with self.lock:
                self.unexpected.append(exc)


def test_restart_in_flight_gives_typed_errors_then_recovers_without_half_writes(
    pg: PgServer, world: World
) -> None:
    """Restart PostgreSQL under load: typed errors for the requests caught by it,
    success afterwards without intervention, every request stored exactly once
    with its event and audit entry."""
    load = Load(world)
    threads = [threading.Thread(target=load.run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(load.stored) < THREADS * 3:
        assert time.monotonic() < deadline, "the load did not get going"
        time.sleep(0.01)
    pg.restart()
    restarted_at = time.monotonic()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert load.unexpected == []

    # The requests caught by the restart got a clear, typed error.
    assert load.failures, "the restart caught no request in flight"
    for _, error, _ in load.failures:
        assert isinstance(error, (DatabaseUnavailableError, StorageError))
        assert error.code in {"database_unavailable", "storage"}
        assert "psycopg" not in error.message.lower()
    # No manual step: after the server is back, each pooled connection fails
    # at most once, then requests succeed.
    after = [f for f in load.failures if f[2] > restarted_at]
    assert len(after) <= POOL["pool_size"] + POOL["max_overflow"] + THREADS
    for i in range(5):
        load.submit(f"after-{i}")
    assert all(not key.startswith("after-") for key, _, _ in load.failures)

    # Nothing half-written, nothing twice.
    keys = {f"t{t}-r{i}" for t in range(THREADS) for i in range(PER_THREAD)}
    keys |= {f"after-{i}" for i in range(5)}
    assert set(load.stored) == keys
    tid = world.tenant_id
    with world.portal.storage.unit_of_work() as uow:
        requests = uow.actions.requests.find(tid)
        events = [e for e in uow.outbox.find(tid) if e.topic == "service_request.created"]
        audit = [a for a in uow.audit.find(tid) if a.target.startswith("service_request:")]
    descriptions = Counter(r.description for r in requests)
    assert set(descriptions) == {f"request {key}" for key in keys}
    assert max(descriptions.values()) == 1, "a request was stored twice"
    ids = {r.id for r in requests}
    assert ids == set(load.stored.values())
    event_ids = Counter(e.payload["request_id"] for e in events)
    assert set(event_ids) == ids, "a request without its event, or an event without its request"
    assert max(event_ids.values()) == 1
    audited = Counter(a.target for a in audit if a.outcome == "success")
    assert audited == Counter(f"service_request:{i}" for i in ids)
