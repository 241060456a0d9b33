"""Tests for portalkit._services.throttle: several keys acquired all-or-nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit._services.throttle import Limit, acquire_all, throttle_key
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.memory_identity import MemoryThrottle
from portalkit.domain.identity import ThrottleRule
from portalkit.errors import ThrottledError

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
TWO = ThrottleRule(limit=2)
MANY = ThrottleRule(limit=100)


def test_acquire_all_counts_every_key() -> None:
    """One attempt counts once against each of its keys."""
    throttle = MemoryThrottle()
    acquire_all(throttle, [Limit("a", MANY), Limit("b", MANY)], T0)
    assert (throttle.state("a").failures, throttle.state("b").failures) == (1, 1)


def test_a_blocked_key_gives_back_the_counts_already_taken() -> None:
    """When the second key is blocked, the first key's count is taken back."""
    throttle = MemoryThrottle()
    for _ in range(2):
        throttle.acquire("b", TWO, T0)
    with pytest.raises(ThrottledError):
        acquire_all(throttle, [Limit("a", MANY), Limit("b", TWO)], T0)
    assert throttle.state("a").failures == 0
    assert throttle.state("b").failures == 2


def test_success_resets_some_keys_and_forgives_the_others() -> None:
    """succeeded(reset=...) clears the named keys and takes one count back on the rest."""
    throttle = MemoryThrottle()
    throttle.acquire("client", MANY, T0)
    throttle.acquire("account", MANY, T0)
    attempt = acquire_all(throttle, [Limit("client", MANY), Limit("account", MANY)], T0)
    attempt.succeeded(reset=["account"])
    assert throttle.state("client").failures == 1
    assert throttle.state("account").failures == 0


def test_forgive_only_some_keys() -> None:
    """forgive(keys) takes the count back on those keys only."""
    throttle = MemoryThrottle()
    attempt = acquire_all(throttle, [Limit("x", MANY), Limit("y", MANY)], T0)
    attempt.forgive(["y"])
    assert (throttle.state("x").failures, throttle.state("y").failures) == (1, 0)


def test_storages_give_their_throttle() -> None:
    """Memory storage gives one memory throttle, the same on every call."""
    storage = MemoryStorage()
    assert isinstance(storage.throttle(), MemoryThrottle)
    assert storage.throttle() is storage.throttle()


def test_database_storage_gives_the_shared_sql_throttle(sqlite_storage: object) -> None:
    """SQLAlchemy storage gives the SQL throttle every worker shares."""
    from portalkit.adapters.sqlalchemy.identity_repositories import SqlThrottle  # noqa: PLC0415

    assert isinstance(sqlite_storage.throttle(), SqlThrottle)  # type: ignore[attr-defined]


@given(st.text(max_size=300))
def test_keys_are_short_printable_and_distinct(value: str) -> None:
    """Keys stay within 200 ASCII characters; different values give different keys."""
    key = throttle_key("login", 7, "id", value)
    assert len(key) <= 200
    assert key.isascii()
    assert key.startswith("login:7:id:")
    assert throttle_key("login", 7, "id", value + "x") != key
    assert throttle_key("login", 8, "id", value) != key
