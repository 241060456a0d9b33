"""Identity storage over SQLAlchemy Core: one-time codes and sessions (in the unit of
work) and a throttle.

Single use is enforced by the database: :meth:`SqlOneTimeCodes.consume` and
:meth:`SqlOneTimeCodes.record_failure` are each one conditional ``UPDATE``, so
of concurrent callers exactly one consumes a code and no failure is lost or
counted past the limit. :class:`SqlThrottle` keeps its counters in
``portalkit_throttle`` and updates a key under a row lock (``SELECT … FOR
UPDATE`` on PostgreSQL, the write lock of ``BEGIN IMMEDIATE`` on SQLite), each
call in a short transaction of its own, so every worker process shares them.
:class:`SqlSessions` finds a session and its user in one joined SELECT, and
writes "last seen" with one conditional ``UPDATE``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from portalkit.adapters.sqlalchemy import identity_tables
from portalkit.adapters.sqlalchemy.repositories import (
    MAPPINGS,
    TENANT_TABLE,
    SqlRepository,
    TableMapping,
    tenant_from_row,
)
from portalkit.adapters.sqlalchemy.translate import translate
from portalkit.domain.identity import CodePurpose, OneTimeCode, ThrottleRule, ThrottleState
from portalkit.domain.principals import User
from portalkit.domain.sessions import Session
from portalkit.domain.tenants import Tenant
from portalkit.errors import StorageError, ThrottledError
from portalkit.ports import UnitOfWork

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

__all__ = ["IDENTITY_MAPPINGS", "SqlOneTimeCodes", "SqlSessions", "SqlThrottle"]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


IDENTITY_MAPPINGS: dict[str, TableMapping[Any]] = {
    "codes": TableMapping(OneTimeCode, _table(identity_tables.OneTimeCodeRow)),
    "sessions": TableMapping(Session, _table(identity_tables.SessionRow)),
}

_CODES = _table(identity_tables.OneTimeCodeRow)
_THROTTLE = _table(identity_tables.ThrottleRow)
#: Insert-and-lock rounds before a throttle call gives up on rows that keep vanishing.
_LOCK_ROUNDS = 8


class SqlOneTimeCodes(SqlRepository[OneTimeCode]):
    """The :class:`~portalkit.ports.OneTimeCodeRepository` over ``portalkit_one_time_codes``."""

    def _subject(self, tenant_id: int, purpose: CodePurpose, subject_id: int) -> Any:
        c = _CODES.c
        return (c.tenant_id == tenant_id) & (c.purpose == purpose) & (c.subject_id == subject_id)

    def get_for(
        self, tenant_id: int, purpose: CodePurpose, subject_id: int
    ) -> OneTimeCode | None:
        """The subject's current code, or None."""
        stmt = self._m.select_all.where(self._subject(tenant_id, purpose, subject_id))
        found = self._m.from_rows(self._execute(stmt))
        return found[0] if found else None

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
        """Mark the code used, in one conditional UPDATE; True for the one caller that did."""
        c = _CODES.c
        stmt = (
            update(_CODES)
            .where(
                self._subject(tenant_id, purpose, subject_id),
                c.digest == digest,
                c.used_at.is_(None),
                c.expires_at > now,
                c.failed_attempts < max_attempts,
            )
            .values(used_at=now, failed_attempts=0, failures_since=None)
        )
        return self._write(stmt).rowcount == 1

    def record_failure(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Count one wrong guess in one conditional UPDATE; False at the limit or with no code."""
        c = _CODES.c
        stmt = (
            update(_CODES)
            .where(self._subject(tenant_id, purpose, subject_id), c.failed_attempts < max_attempts)
            .values(
                failed_attempts=c.failed_attempts + 1,
                failures_since=func.coalesce(c.failures_since, now),
            )
        )
        return self._write(stmt).rowcount == 1


_SESSIONS = _table(identity_tables.SessionRow)
_SESSION_MAPPING: TableMapping[Session] = IDENTITY_MAPPINGS["sessions"]
_USER_MAPPING: TableMapping[User] = MAPPINGS["users"]
_USERS = _USER_MAPPING.table
_SESSION_WIDTH = len(_SESSION_MAPPING.columns)
# Built once: the session and its user, joined on tenant and id, by token hash.
_FIND_WITH_USER = (
    select(*_SESSION_MAPPING.columns, *_USER_MAPPING.columns)
    .join_from(
        _SESSIONS,
        _USERS,
        (_USERS.c.id == _SESSIONS.c.user_id) & (_USERS.c.tenant_id == _SESSIONS.c.tenant_id),
    )
    .where(
        _SESSIONS.c.tenant_id == bindparam("_tenant"),
        _SESSIONS.c.token_hash == bindparam("_hash"),
    )
)
_TENANT_WIDTH = 4
_FIND_WITH_TENANT = (
    select(
        TENANT_TABLE.c.id, TENANT_TABLE.c.slug, TENANT_TABLE.c.name, TENANT_TABLE.c.settings,
        *_SESSION_MAPPING.columns, *_USER_MAPPING.columns,
    )
    .select_from(
        TENANT_TABLE.outerjoin(
            _SESSIONS,
            (_SESSIONS.c.tenant_id == TENANT_TABLE.c.id)
            & (_SESSIONS.c.token_hash == bindparam("_hash")),
        ).outerjoin(
            _USERS,
            (_USERS.c.id == _SESSIONS.c.user_id) & (_USERS.c.tenant_id == TENANT_TABLE.c.id),
        )
    )
    .where(TENANT_TABLE.c.slug == bindparam("_slug"))
)
_FOR_USER = _SESSION_MAPPING.select_all.where(
    _SESSIONS.c.tenant_id == bindparam("_tenant"), _SESSIONS.c.user_id == bindparam("_user")
).order_by(_SESSIONS.c.created_at, _SESSIONS.c.id)
_TOUCH = (
    update(_SESSIONS)
    .where(
        _SESSIONS.c.tenant_id == bindparam("_tenant"),
        _SESSIONS.c.id == bindparam("_id"),
        _SESSIONS.c.last_seen_at <= bindparam("_seen_by"),
        _SESSIONS.c.last_seen_at > bindparam("_seen_after"),
    )
    .values(last_seen_at=bindparam("_now"))
)


class SqlSessions:
    """The :class:`~portalkit.ports.SessionRepository` over ``portalkit_sessions``."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        # The generic repository does the plain work (insert, statement execution).
        self._rows = SqlRepository(uow, _SESSION_MAPPING)
        self._execute = self._rows._execute
        self._write = self._rows._write

    def add(self, session: Session) -> Session:
        """Store a new session; its ``id`` is ignored and the stored copy returned."""
        return self._rows.add(session)

    def find_with_user(self, tenant_id: int, token_hash: str) -> tuple[Session, User] | None:
        """The session with *token_hash* in this tenant and its user: one joined SELECT."""
        row = self._execute(_FIND_WITH_USER, {"_tenant": tenant_id, "_hash": token_hash}).first()
        if row is None:
            return None
        [session] = _SESSION_MAPPING.from_rows([row[:_SESSION_WIDTH]])
        [user] = _USER_MAPPING.from_rows([row[_SESSION_WIDTH:]])
        return session, user

    def find_with_tenant(
        self, slug: str, token_hash: str
    ) -> tuple[Tenant, tuple[Session, User] | None] | None:
        """The tenant, its session and the session's user: one SELECT with outer joins."""
        row = self._execute(_FIND_WITH_TENANT, {"_slug": slug, "_hash": token_hash}).first()
        if row is None:
            return None
        tenant = tenant_from_row(row[:_TENANT_WIDTH])
        rest = row[_TENANT_WIDTH:]
        if rest[0] is None or rest[_SESSION_WIDTH] is None:  # no such session, or no user
            return tenant, None
        [session] = _SESSION_MAPPING.from_rows([rest[:_SESSION_WIDTH]])
        [user] = _USER_MAPPING.from_rows([rest[_SESSION_WIDTH:]])
        return tenant, (session, user)

    def for_user(self, tenant_id: int, user_id: int) -> list[Session]:
        """Every stored session of the user, oldest first."""
        rows = self._execute(_FOR_USER, {"_tenant": tenant_id, "_user": user_id}).all()
        return _SESSION_MAPPING.from_rows(rows)

    def touch(
        self,
        tenant_id: int,
        session_id: int,
        *,
        now: dt.datetime,
        seen_by: dt.datetime,
        seen_after: dt.datetime,
    ) -> bool:
        """Set ``last_seen_at`` in one conditional UPDATE; True for the one caller that did."""
        params = {
            "_tenant": tenant_id, "_id": session_id, "_now": now,
            "_seen_by": seen_by, "_seen_after": seen_after,
        }
        return self._write(_TOUCH, params).rowcount == 1

    def delete(self, tenant_id: int, user_id: int, ids: Sequence[int]) -> int:
        """Delete those of *ids* that are sessions of this user; how many were."""
        if not ids:
            return 0
        c = _SESSIONS.c
        stmt = delete(_SESSIONS).where(
            c.tenant_id == tenant_id, c.user_id == user_id, c.id.in_(list(ids))
        )
        return int(self._write(stmt).rowcount)

    def delete_for_user(self, tenant_id: int, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        c = _SESSIONS.c
        stmt = delete(_SESSIONS).where(c.tenant_id == tenant_id, c.user_id == user_id)
        return int(self._write(stmt).rowcount)

    def delete_expired(
        self, tenant_id: int, *, seen_by: dt.datetime, created_by: dt.datetime
    ) -> int:
        """Delete the tenant's sessions idle since *seen_by* or created by *created_by*."""
        c = _SESSIONS.c
        stmt = delete(_SESSIONS).where(
            c.tenant_id == tenant_id,
            (c.last_seen_at <= seen_by) | (c.created_at <= created_by),
        )
        return int(self._write(stmt).rowcount)


class SqlThrottle:
    """A :class:`~portalkit.ports.Throttle` in the database, shared by every worker.

    Args:
        engine: The storage's engine (``SqlAlchemyStorage.engine``); the schema
            must be migrated (``portalkit_throttle``).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        #: Set on the copy :meth:`within` returns: write in this connection's transaction.
        self._joined: Connection | None = None
        # Prepared once, so SQLAlchemy's statement cache serves every call.
        insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
        self._insert_missing = insert(_THROTTLE).on_conflict_do_nothing()
        c = _THROTTLE.c
        locked = (
            select(c.key, c.failures, c.window_start, c.last_failure)
            .where(c.key.in_(bindparam("keys", expanding=True)))
            .order_by(c.key)
        )
        self._select_locked = locked.with_for_update() if self._dialect == "postgresql" else locked
        # Where the database returns rows from an upsert: ensure and lock the rows and
        # read their states in ONE statement (the no-op DO UPDATE takes the row lock,
        # and a row deleted meanwhile is simply inserted).
        self._upsert_locked: Any = None
        if engine.dialect.insert_returning:
            self._upsert_locked = (
                insert(_THROTTLE)
                .on_conflict_do_update(index_elements=[c.key], set_={"failures": c.failures})
                .returning(c.key, c.failures, c.window_start, c.last_failure)
            )
        self._update_states = (
            update(_THROTTLE)
            .where(c.key == bindparam("b_key"))
            .values(
                failures=bindparam("b_failures"),
                window_start=bindparam("b_window_start"),
                last_failure=bindparam("b_last_failure"),
            )
        )

    def acquire(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Count one attempt against *key*; raise ThrottledError (counting nothing) if blocked."""
        self.acquire_many([(key, rule)], now)

    def within(self, uow: UnitOfWork) -> SqlThrottle:
        """On SQLite, these counters written inside *uow*'s transaction; elsewhere ``self``.

        SQLite has one writer: a unit that holds the write lock would wait for
        itself if the counters took a connection of their own. Joined, they
        commit (or roll back) with the unit, in a savepoint.
        """
        connection = getattr(uow, "connection", None)
        if self._dialect != "sqlite" or not isinstance(connection, Connection):
            return self
        joined = copy.copy(self)
        joined._joined = connection
        return joined

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self._joined is None:
            with self._engine.begin() as connection:
                yield connection
        else:
            with self._joined.begin_nested():
                yield self._joined

    def _locked_states(self, connection: Any, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """Make sure the rows exist, then lock them in key order (no deadlocks).

        Where the database returns rows from an upsert (PostgreSQL, SQLite
        3.35+) that is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``;
        otherwise the two steps below.

        Under READ COMMITTED a concurrent success may delete a row between our
        insert (which found it and did nothing) and our lock (which then finds
        nothing): such keys are inserted and locked again, in a few rounds.

        Raises:
            StorageError: The rows kept vanishing (not seen in practice).
        """
        states: dict[str, ThrottleState] = {}
        missing = sorted(set(keys))
        if self._upsert_locked is not None:
            fresh = [
                {"key": key, "failures": 0, "window_start": None, "last_failure": None}
                for key in missing
            ]
            if len(fresh) == 1:
                rows = connection.execute(self._upsert_locked, fresh[0])
            else:  # one multi-row statement: rows locked in key order
                rows = connection.execute(self._upsert_locked.values(fresh))
            for row in rows:
                states[row[0]] = ThrottleState(
                    failures=row[1], window_start=row[2], last_failure=row[3]
                )
            return states
        for _ in range(_LOCK_ROUNDS):
            connection.execute(
                self._insert_missing,
                [{"key": key, "failures": 0, "window_start": None, "last_failure": None}
                 for key in missing],
            )
            for row in connection.execute(self._select_locked, {"keys": missing}):
                states[row[0]] = ThrottleState(
                    failures=row[1], window_start=row[2], last_failure=row[3]
                )
            missing = [key for key in missing if key not in states]
            if not missing:
                return states
        raise StorageError("The throttle is too busy; please try again.")

    def _store_many(self, connection: Any, states: dict[str, ThrottleState]) -> None:
        """Write several keys' states with one executemany (one round trip on psycopg)."""
        connection.execute(
            self._update_states,
            [
                {
                    "b_key": key,
                    "b_failures": state.failures,
                    "b_window_start": state.window_start,
                    "b_last_failure": state.last_failure,
                }
                for key, state in states.items()
            ],
        )

    def acquire_many(self, limits: Sequence[tuple[str, ThrottleRule]], now: dt.datetime) -> None:
        """Count one attempt against every key in one transaction, or against none."""
        if not limits:
            return
        wait = 0.0
        try:
            with self._transaction() as connection:
                keys = sorted({key for key, _ in limits})
                states = self._locked_states(connection, keys)
                fresh = {key: states[key].refreshed(rule, now) for key, rule in limits}
                wait = max(fresh[key].retry_after(rule, now) for key, rule in limits)
                if wait <= 0:
                    self._store_many(
                        connection, {key: fresh[key].failed(rule, now) for key, rule in limits}
                    )
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        if wait > 0:
            raise ThrottledError(wait)

    def settle(
        self,
        *,
        reset: Sequence[str] = (),
        forgive: Sequence[tuple[str, ThrottleRule]] = (),
        now: dt.datetime,
    ) -> None:
        """Forget *reset* and take one count back on *forgive*, in one transaction."""
        if not reset and not forgive:
            return
        try:
            with self._transaction() as connection:
                # Every key locked first, in key order, as acquire_many does; a
                # reset key's row is zeroed, never deleted, so a concurrent
                # acquire never finds its freshly ensured row gone.
                forgiven = {key for key, _ in forgive} - set(reset)
                states = self._locked_states(connection, [*reset, *forgiven])
                changed = {key: ThrottleState() for key in reset}
                changed.update({key: states[key].forgiven() for key in forgiven})
                self._store_many(connection, dict(sorted(changed.items())))
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def forgive(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Take back one counted attempt of *key*."""
        self.settle(forgive=[(key, rule)], now=now)

    def reset(self, key: str) -> None:
        """Forget every failure of *key*."""
        try:
            with self._transaction() as connection:
                self._store_many(connection, {key: ThrottleState()})
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def state(self, key: str) -> ThrottleState:
        """The stored state of *key*."""
        c = _THROTTLE.c
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(c.failures, c.window_start, c.last_failure).where(c.key == key)
                ).first()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        if row is None:
            return ThrottleState()
        return ThrottleState(failures=row[0], window_start=row[1], last_failure=row[2])
