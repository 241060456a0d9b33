"""Tests for identity storage: one-time codes and the throttle, on memory, SQLite and PostgreSQL.

The same contract runs on every adapter: ``uow.codes`` (conditional consume,
exact failure counts) and the :class:`~portalkit.ports.Throttle` implementations
(``MemoryThrottle``, ``SqlThrottle``).
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.identity import CodePurpose, OneTimeCode, ThrottleRule, ThrottleState
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError, NotFoundError, ThrottledError
from portalkit.ports import Storage, Throttle
from tests.adapters.race_contract import race

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
RULE = ThrottleRule(limit=3, window=dt.timedelta(minutes=15))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """A migrated storage of each kind."""
    if request.param == "memory":
        return MemoryStorage()
    the_storage: Storage = request.getfixturevalue(f"{request.param}_storage")
    return the_storage


@pytest.fixture
def throttle(storage: Storage) -> Throttle:
    """The throttle that goes with each storage."""
    return storage.throttle()


def _tenant(storage: Storage) -> int:
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        uow.commit()
    return tenant.id


def _code(tenant_id: int, digest: str = "d1", **changes: object) -> OneTimeCode:
    fields: dict[str, object] = {
        "id": 0, "tenant_id": tenant_id, "purpose": CodePurpose.RESET, "subject_id": 5,
        "digest": digest, "created_at": T0, "expires_at": T0 + dt.timedelta(minutes=15),
    }
    fields.update(changes)
    return OneTimeCode(**fields)  # type: ignore[arg-type]


def test_codes_one_per_subject_round_trip(storage: Storage) -> None:
    """add() stores one code per tenant, purpose and subject (a second is a conflict that
    leaves the unit usable); update() replaces it by id; every field round-trips."""
    tid = _tenant(storage)
    with storage.unit_of_work() as uow:
        first = uow.codes.add(_code(tid))
        with pytest.raises(ConflictError):
            uow.codes.add(_code(tid, "d2"))
        second = attrs.evolve(_code(tid, "d2", failed_attempts=2, failures_since=T0), id=first.id)
        uow.codes.update(second)
        other = uow.codes.add(_code(tid, "d3", purpose=CodePurpose.CLAIM))
        uow.commit()
    assert first.id != other.id
    with storage.unit_of_work() as uow:
        stored = uow.codes.get_for(tid, CodePurpose.RESET, 5)
        assert uow.codes.get_for(tid, CodePurpose.RESET, 6) is None
        with pytest.raises(NotFoundError):
            uow.codes.update(attrs.evolve(second, id=first.id + other.id + 1))
    assert stored == second


def test_consume_once_only_while_valid(storage: Storage) -> None:
    """A code is consumed once, only with its digest, before expiry, below the attempt limit."""
    tid = _tenant(storage)
    with storage.unit_of_work() as uow:
        uow.codes.add(_code(tid))
        uow.commit()
    with storage.unit_of_work() as uow:
        codes = uow.codes
        assert not codes.consume(tid, CodePurpose.RESET, 5, "wrong", now=T0, max_attempts=5)
        late = T0 + dt.timedelta(minutes=15)
        assert not codes.consume(tid, CodePurpose.RESET, 5, "d1", now=late, max_attempts=5)
        assert codes.consume(tid, CodePurpose.RESET, 5, "d1", now=T0, max_attempts=5)
        assert not codes.consume(tid, CodePurpose.RESET, 5, "d1", now=T0, max_attempts=5)
        uow.commit()


def test_failures_count_up_to_the_limit_and_lock_the_code(storage: Storage) -> None:
    """record_failure counts to max_attempts and no further; then even the right digest fails."""
    tid = _tenant(storage)
    with storage.unit_of_work() as uow:
        uow.codes.add(_code(tid))
        counted = [
            uow.codes.record_failure(tid, CodePurpose.RESET, 5, now=T0, max_attempts=3)
            for _ in range(5)
        ]
        assert counted == [True, True, True, False, False]
        assert not uow.codes.consume(tid, CodePurpose.RESET, 5, "d1", now=T0, max_attempts=3)
        code = uow.codes.get_for(tid, CodePurpose.RESET, 5)
        assert code is not None
        assert (code.failed_attempts, code.failures_since) == (3, T0)
        assert not uow.codes.record_failure(tid, CodePurpose.CLAIM, 5, now=T0, max_attempts=3)


def test_throttle_blocks_at_the_limit_and_forgives(throttle: Throttle) -> None:
    """acquire counts; at the limit ThrottledError carries retry_after; forgive takes one back."""
    for _ in range(3):
        throttle.acquire("k", RULE, T0)
    with pytest.raises(ThrottledError) as caught:
        throttle.acquire("k", RULE, T0)
    assert caught.value.retry_after == 15 * 60
    assert throttle.state("k").failures == 3
    throttle.forgive("k", RULE, T0)
    throttle.acquire("k", RULE, T0)
    assert throttle.state("k").failures == 3
    throttle.reset("k")
    assert throttle.state("k") == ThrottleState()
    throttle.acquire("other", RULE, T0)
    assert throttle.state("other").failures == 1


def test_throttle_window_expires(throttle: Throttle) -> None:
    """Failures under the limit are forgotten once the window has passed."""
    throttle.acquire("k", RULE, T0)
    throttle.acquire("k", RULE, T0)
    later = T0 + dt.timedelta(minutes=16)
    throttle.acquire("k", RULE, later)
    state = throttle.state("k")
    assert state.failures == 1
    assert state.window_start == later


def test_acquire_many_is_all_or_nothing(throttle: Throttle) -> None:
    """acquire_many counts every key, or none when one is blocked (longest wait reported)."""
    short = ThrottleRule(limit=1, window=dt.timedelta(minutes=5))
    throttle.acquire_many([("a", RULE), ("b", short)], T0)
    assert (throttle.state("a").failures, throttle.state("b").failures) == (1, 1)
    with pytest.raises(ThrottledError) as caught:
        throttle.acquire_many([("a", RULE), ("b", short)], T0)
    assert caught.value.retry_after == 5 * 60
    assert (throttle.state("a").failures, throttle.state("b").failures) == (1, 1)
    throttle.acquire_many([], T0)


def test_settle_resets_and_forgives(throttle: Throttle) -> None:
    """settle forgets the reset keys and takes one count back on the forgiven ones."""
    throttle.acquire_many([("a", RULE), ("b", RULE)], T0)
    throttle.acquire_many([("a", RULE), ("b", RULE)], T0)
    throttle.settle(reset=["a"], forgive=[("b", RULE)], now=T0)
    assert throttle.state("a") == ThrottleState()
    assert throttle.state("b").failures == 1
    throttle.settle(forgive=[("never-seen", RULE)], now=T0)
    assert throttle.state("never-seen").failures == 0


def _sign_in_burst(throttle: Throttle, workers: int) -> list[object]:
    """*workers* sign-ins of one user at once: count, then reset on success (as login does)."""
    rule = ThrottleRule(limit=1000, window=dt.timedelta(minutes=15))

    def sign_in() -> None:
        throttle.acquire_many([("client", rule), ("user", rule)], T0)
        throttle.settle(reset=["user"], forgive=[("client", rule)], now=T0)

    return race(sign_in, workers)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_sign_ins_never_lose_a_throttle_row(
    request: pytest.FixtureRequest, kind: str
) -> None:
    """20 threads counting and resetting one key at once, 50 times over: a row deleted by a
    success between another's insert and its SELECT … FOR UPDATE never surfaces as a
    raw error; every call returns normally and nothing is left counted."""
    the_storage: Storage = request.getfixturevalue(f"{kind}_storage")
    throttle = the_storage.throttle()
    for _ in range(50):
        results = _sign_in_burst(throttle, 20)
        errors = [repr(r.__cause__ or r) for r in results if isinstance(r, Exception)]
        assert results == [None] * 20, errors[:2]
    assert throttle.state("user") == ThrottleState()
    assert throttle.state("client") == ThrottleState()
