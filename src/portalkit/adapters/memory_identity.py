"""In-memory identity storage: one-time codes (in the memory unit of work) and a throttle.

:class:`MemoryCodes` lives in a :class:`~portalkit.adapters.memory.MemoryUnitOfWork`
as ``uow.codes``; :class:`MemoryThrottle` is shared by every thread of one process
(``MemoryStorage.throttle()`` gives the storage's one instance; a database
storage's ``throttle()`` gives the SQL throttle that every worker shares).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from portalkit.domain.identity import CodePurpose, OneTimeCode, ThrottleRule, ThrottleState
from portalkit.errors import ThrottledError

if TYPE_CHECKING:
    from portalkit.adapters.memory import MemoryUnitOfWork

__all__ = ["MemoryCodes", "MemoryThrottle"]

_TABLE = "one_time_codes"


class MemoryCodes:
    """The :class:`~portalkit.ports.OneTimeCodeRepository` of the memory adapter."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _rows(self) -> dict[int, OneTimeCode]:
        rows: dict[int, OneTimeCode] = self._uow._tables.setdefault(_TABLE, {})
        return rows

    def get_for(
        self, tenant_id: int, purpose: CodePurpose, subject_id: int
    ) -> OneTimeCode | None:
        """The subject's current code, or None."""
        return next(
            (
                c
                for c in self._rows.values()
                if (c.tenant_id, c.purpose, c.subject_id) == (tenant_id, purpose, subject_id)
            ),
            None,
        )

    def save(self, code: OneTimeCode) -> OneTimeCode:
        """Insert the subject's code or replace the existing one."""
        existing = self.get_for(code.tenant_id, code.purpose, code.subject_id)
        the_id = existing.id if existing else self._uow._storage._next_id()
        stored = attrs.evolve(code, id=the_id)
        self._rows[the_id] = stored
        return stored

    def consume(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        digest: str,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Mark the code used if it matches and is usable (the unit's lock serializes this)."""
        code = self.get_for(tenant_id, purpose, subject_id)
        if (
            code is None
            or code.digest != digest
            or code.used_at is not None
            or code.expires_at <= now
            or code.failed_attempts >= max_attempts
        ):
            return False
        self._rows[code.id] = attrs.evolve(
            code, used_at=now, failed_attempts=0, failures_since=None
        )
        return True

    def record_failure(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Count one wrong guess; False if there is no code or the limit was reached."""
        code = self.get_for(tenant_id, purpose, subject_id)
        if code is None or code.failed_attempts >= max_attempts:
            return False
        self._rows[code.id] = attrs.evolve(
            code,
            failed_attempts=code.failed_attempts + 1,
            failures_since=code.failures_since or now,
        )
        return True


class MemoryThrottle:
    """A :class:`~portalkit.ports.Throttle` in this process's memory, thread-safe."""

    def __init__(self) -> None:
        self._states: dict[str, ThrottleState] = {}
        self._lock = threading.Lock()

    def within(self, uow: object) -> MemoryThrottle:
        """The throttle itself: its counters never wait for a unit of work."""
        return self

    def acquire(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Count one attempt; raise ThrottledError (without counting) if blocked."""
        with self._lock:
            state = self._states.get(key, ThrottleState()).refreshed(rule, now)
            wait = state.retry_after(rule, now)
            if wait > 0:
                raise ThrottledError(wait)
            self._states[key] = state.failed(rule, now)

    def acquire_many(self, limits: Sequence[tuple[str, ThrottleRule]], now: dt.datetime) -> None:
        """Count one attempt against every key, or (if any is blocked) against none."""
        with self._lock:
            states = {
                key: self._states.get(key, ThrottleState()).refreshed(rule, now)
                for key, rule in limits
            }
            wait = max((states[key].retry_after(rule, now) for key, rule in limits), default=0.0)
            if wait > 0:
                raise ThrottledError(wait)
            for key, rule in limits:
                self._states[key] = states[key].failed(rule, now)

    def settle(
        self,
        *,
        reset: Sequence[str] = (),
        forgive: Sequence[tuple[str, ThrottleRule]] = (),
        now: dt.datetime,
    ) -> None:
        """Forget the keys in *reset*; take one count back on each key in *forgive*."""
        with self._lock:
            for key in reset:
                self._states.pop(key, None)
            for key, _rule in forgive:
                state = self._states.get(key)
                if state is not None:
                    self._states[key] = state.forgiven()

    def forgive(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Take back one counted attempt."""
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states[key] = state.forgiven()

    def reset(self, key: str) -> None:
        """Forget every failure of *key*."""
        with self._lock:
            self._states.pop(key, None)

    def state(self, key: str) -> ThrottleState:
        """The stored state of *key*."""
        with self._lock:
            return self._states.get(key, ThrottleState())

