"""In-memory identity storage: one-time codes and sessions (in the memory unit of work)
and a throttle.

:class:`MemoryCodes` and :class:`MemorySessions` live in a
:class:`~portalkit.adapters.memory.MemoryUnitOfWork` as ``uow.codes`` and
``uow.sessions``; :class:`MemoryThrottle` is shared by every thread of one process
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
from portalkit.domain.principals import User
from portalkit.domain.sessions import Session
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError, NotFoundError, ThrottledError

if TYPE_CHECKING:
    from portalkit.adapters.memory import MemoryUnitOfWork

__all__ = ["MemoryCodes", "MemorySessions", "MemoryThrottle"]

_TABLE = "one_time_codes"
_SESSIONS = "sessions"


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

    def add(self, code: OneTimeCode) -> OneTimeCode:
        """Insert the subject's first code; ConflictError if it has one."""
        if self.get_for(code.tenant_id, code.purpose, code.subject_id) is not None:
            raise ConflictError()
        stored = attrs.evolve(code, id=self._uow._storage._next_id())
        self._rows[stored.id] = stored
        return stored

    def update(self, code: OneTimeCode) -> None:
        """Replace the stored code with the same tenant and id."""
        existing = self._rows.get(code.id)
        if existing is None or existing.tenant_id != code.tenant_id:
            raise NotFoundError()
        self._rows[code.id] = code

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


class MemorySessions:
    """The :class:`~portalkit.ports.SessionRepository` of the memory adapter."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _rows(self) -> dict[int, Session]:
        rows: dict[int, Session] = self._uow._tables.setdefault(_SESSIONS, {})
        return rows

    def add(self, session: Session) -> Session:
        """Store a new session with a fresh id."""
        if any(s.token_hash == session.token_hash for s in self._rows.values()):
            raise ConflictError()
        stored = attrs.evolve(session, id=self._uow._storage._next_id())
        self._rows[stored.id] = stored
        return stored

    def find_with_user(self, tenant_id: int, token_hash: str) -> tuple[Session, User] | None:
        """The session with *token_hash* in this tenant and its user, or None."""
        found = next(
            (
                s
                for s in self._rows.values()
                if s.token_hash == token_hash and s.tenant_id == tenant_id
            ),
            None,
        )
        if found is None:
            return None
        user = self._uow.users.get(tenant_id, found.user_id)
        return None if user is None else (found, user)

    def find_with_tenant(
        self, slug: str, token_hash: str
    ) -> tuple[Tenant, tuple[Session, User] | None] | None:
        """The tenant named *slug*, and its session with *token_hash* with the user."""
        tenant = self._uow.tenants.get_by_slug(slug)
        if tenant is None:
            return None
        return tenant, self.find_with_user(tenant.id, token_hash)

    def for_user(self, tenant_id: int, user_id: int) -> list[Session]:
        """Every stored session of the user, oldest first."""
        return sorted(
            (s for s in self._rows.values() if (s.tenant_id, s.user_id) == (tenant_id, user_id)),
            key=lambda s: (s.created_at, s.id),
        )

    def touch(
        self,
        tenant_id: int,
        session_id: int,
        *,
        now: dt.datetime,
        seen_by: dt.datetime,
        seen_after: dt.datetime,
    ) -> bool:
        """Set ``last_seen_at`` if it is at or before *seen_by* and after *seen_after*."""
        found = self._rows.get(session_id)
        if found is None or found.tenant_id != tenant_id:
            return False
        if not seen_after < found.last_seen_at <= seen_by:
            return False
        self._rows[session_id] = attrs.evolve(found, last_seen_at=now)
        return True

    def delete(self, tenant_id: int, user_id: int, ids: Sequence[int]) -> int:
        """Delete those of *ids* that are sessions of this user."""
        wanted = set(ids)
        doomed = [
            s.id
            for s in self._rows.values()
            if s.id in wanted and (s.tenant_id, s.user_id) == (tenant_id, user_id)
        ]
        for the_id in doomed:
            del self._rows[the_id]
        return len(doomed)

    def delete_for_user(self, tenant_id: int, user_id: int) -> int:
        """Delete every session of the user."""
        return self.delete(tenant_id, user_id, [s.id for s in self.for_user(tenant_id, user_id)])

    def delete_expired(
        self, tenant_id: int, *, seen_by: dt.datetime, created_by: dt.datetime
    ) -> int:
        """Delete the tenant's sessions idle since *seen_by* or created by *created_by*."""
        doomed = [
            s.id
            for s in self._rows.values()
            if s.tenant_id == tenant_id
            and (s.last_seen_at <= seen_by or s.created_at <= created_by)
        ]
        for the_id in doomed:
            del self._rows[the_id]
        return len(doomed)


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

