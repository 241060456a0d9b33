"""A host's own adapters satisfy the ports structurally; portalkit's do too."""

from __future__ import annotations

import datetime as dt

from typing_extensions import assert_type

from portalkit.adapters.memory import MemoryStorage
from portalkit.ports import Clock, Storage, UnitOfWork


class FixedClock:
    """A clock a host writes for its tests: no base class needed."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        """Always the same instant."""
        return self.at


class NaiveClock:
    """Not a clock: ``now`` returns the wrong type."""

    def now(self) -> str:
        """The time as text."""
        return "12:00"


def clocks() -> None:
    """A class with the right ``now`` is a Clock; one with the wrong type is not."""
    good: Clock = FixedClock(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    bad: Clock = NaiveClock()  # type: ignore[assignment]
    assert_type(good.now(), dt.datetime)
    del bad


def storage(tenant_id: int) -> int:
    """The memory adapter is a Storage; a unit of work reaches every repository."""
    store: Storage = MemoryStorage()
    with store.unit_of_work() as uow:
        assert_type(uow, UnitOfWork)
        count = uow.assets.count(tenant_id)
        uow.commit()
    assert_type(count, int)
    return count
