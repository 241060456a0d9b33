"""The storage ports: a unit of work over every repository, savepoints, the storage
and its shared failure counters (the throttle).

:mod:`portalkit.ports` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from portalkit._ports_actions import ActionRepositories
from portalkit._ports_identity import (
    OneTimeCodeRepository,
    SecondFactorRepository,
    SessionRepository,
)
from portalkit._ports_repositories import (
    AssetRepository,
    AuditRepository,
    BroadcastMessageRepository,
    CustomerRepository,
    DocumentRepository,
    GrantRepository,
    GroupRepository,
    InvitationRepository,
    JobRepository,
    MailQueueRepository,
    MembershipRepository,
    MessageReadRepository,
    OutboxRepository,
    Repository,
    RoleRepository,
    ScopedRepository,
    ScopeRepository,
    ShareLinkRepository,
    TenantRepository,
    UserRepository,
)
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.identity import (
    ThrottleRule,
    ThrottleState,
)


class Throttle(Protocol):
    """Counts failures per key, shared by every worker (login, claims, lookups).

    Keys are opaque strings chosen by the caller (include the tenant). An
    attempt is counted as a failure when it starts (:meth:`acquire`) and taken
    back when it succeeds (:meth:`forgive`), so parallel attempts can never
    exceed the limit.
    """

    def acquire(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Count one attempt against *key*; raise ThrottledError if it is blocked.

        A blocked attempt is not counted.
        """
        ...

    def forgive(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Take back one counted attempt (it succeeded)."""
        ...

    def reset(self, key: str) -> None:
        """Forget every failure of *key*."""
        ...

    def state(self, key: str) -> ThrottleState:
        """The stored state of *key* (for tests and staff screens)."""
        ...

    def acquire_many(self, limits: Sequence[tuple[str, ThrottleRule]], now: dt.datetime) -> None:
        """Count one attempt against every key at once, or against none.

        Raises:
            ThrottledError: Some key is blocked (``retry_after`` is the longest
                wait); nothing was counted.
        """
        ...

    def settle(
        self,
        *,
        reset: Sequence[str] = (),
        forgive: Sequence[tuple[str, ThrottleRule]] = (),
        now: dt.datetime,
    ) -> None:
        """After a success: forget the keys in *reset*, take one count back on *forgive*."""
        ...

    def within(self, uow: UnitOfWork) -> Throttle:
        """These counters as written inside *uow*'s transaction, where that is needed.

        Where the database has a single writer (SQLite), a unit that holds the
        write lock would wait for itself if the counters used a connection of
        their own; there the returned throttle writes in the unit's
        transaction (and commits with it). Elsewhere it is the throttle itself.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository.

    Use it as a context manager; leaving the block without :meth:`commit`
    rolls everything back, and so does an exception.
    """

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def scopes(self) -> ScopeRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def roles(self) -> RoleRepository: ...

    @property
    def groups(self) -> GroupRepository: ...

    @property
    def memberships(self) -> MembershipRepository: ...

    @property
    def grants(self) -> GrantRepository: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def documents(self) -> DocumentRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def mail_queue(self) -> MailQueueRepository: ...

    @property
    def actions(self) -> ActionRepositories: ...

    @property
    def invitations(self) -> InvitationRepository: ...

    @property
    def messages(self) -> BroadcastMessageRepository: ...

    @property
    def message_reads(self) -> MessageReadRepository: ...

    @property
    def share_links(self) -> ShareLinkRepository: ...

    @property
    def account_balances(self) -> Repository[AccountBalance]: ...

    @property
    def contracts(self) -> ScopedRepository[Contract]: ...

    @property
    def defects(self) -> ScopedRepository[Defect]: ...

    @property
    def codes(self) -> OneTimeCodeRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def second_factors(self) -> SecondFactorRepository: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write of this unit permanent, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every write since the unit began (or last committed)."""
        ...

    def begin_writes(self) -> None:
        """Make a unit opened with ``read_only=True`` a writing one.

        What was read so far is kept; on SQLite the read transaction ends and
        the next statement begins ``BEGIN IMMEDIATE`` (a deferred read
        transaction cannot always be upgraded to a write one). A no-op on a
        unit that already writes.
        """
        ...

    def savepoint(self) -> Savepoint:
        """A point inside the current transaction that the unit can go back to."""
        ...


class Savepoint(Protocol):
    """A point inside a transaction (:meth:`UnitOfWork.savepoint`)."""

    def release(self) -> None:
        """Keep every write since the point (they commit with the transaction)."""
        ...

    def rollback(self) -> None:
        """Discard every write since the point; the transaction goes on."""
        ...


class Storage(Protocol):
    """A storage backend: makes units of work and manages its schema."""

    def unit_of_work(self, *, read_only: bool = False, wait: bool = True) -> UnitOfWork:
        """A new unit of work (a transaction).

        A ``read_only`` unit refuses :meth:`UnitOfWork.commit`; on SQLite it
        begins a deferred transaction, so readers never wait for each other
        or for a writer (WAL). A unit with ``wait=False`` does not wait for
        another writer's lock where the database has one (SQLite): its write
        fails at once with a StorageError (for writes that may be skipped).
        """
        ...

    def upgrade(self) -> None:
        """Create or migrate the schema to this version of portalkit."""
        ...

    def check(self) -> None:
        """Raise DatabaseUnavailableError or SchemaOutdatedError if not usable."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def throttle(self) -> Throttle:
        """Failure and rate counters kept by this storage, shared by every worker."""
        ...
