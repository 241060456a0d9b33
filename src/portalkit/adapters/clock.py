"""Clocks: the system clock, and a manual one for tests and demos."""

from __future__ import annotations

import datetime as dt

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        return dt.datetime.now(dt.timezone.utc)


class ManualClock:
    """A clock that stands still until moved; for tests.

    Args:
        start: The initial time; naive values are taken as UTC.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
        self._now = start if start.tzinfo else start.replace(tzinfo=dt.timezone.utc)

    def now(self) -> dt.datetime:
        """The clock's current time."""
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by ``datetime.timedelta(**delta)`` and return the new time."""
        self._now += dt.timedelta(**delta)
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to *when*."""
        self._now = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
