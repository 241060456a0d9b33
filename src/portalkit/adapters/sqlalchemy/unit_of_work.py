"""One unit of work = one database connection and one transaction."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Connection, NestedTransaction
from sqlalchemy.exc import SQLAlchemyError

from portalkit.adapters.sqlalchemy.action_repositories import SqlActionRepositories
from portalkit.adapters.sqlalchemy.document_repositories import (
    DOCUMENT_MAPPINGS,
    ListedRepository,
    ShareLinkRepository,
)
from portalkit.adapters.sqlalchemy.identity_repositories import (
    IDENTITY_MAPPINGS,
    SqlOneTimeCodes,
    SqlSessions,
)
from portalkit.adapters.sqlalchemy.invitation_repositories import (
    INVITATION_MAPPINGS,
    InvitationRepository,
    MessageRepository,
)
from portalkit.adapters.sqlalchemy.repositories import (
    MAPPINGS,
    GrantRepository,
    MailQueueRepository,
    MembershipRepository,
    NamedRepository,
    OutboxRepository,
    ScopeRepository,
    SqlRepository,
    TenantRepository,
    UserRepository,
)
from portalkit.adapters.sqlalchemy.second_factor_repositories import SqlSecondFactors
from portalkit.adapters.sqlalchemy.translate import UNAVAILABLE_MESSAGE, translate
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.events import AuditEntry
from portalkit.domain.messages import MessageRead
from portalkit.domain.principals import Group, Role
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.errors import StorageError

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.storage import SqlAlchemyStorage

__all__ = ["DEFERRED_BEGIN", "SQLITE_BUSY_TIMEOUT_MS", "SqlAlchemyUnitOfWork", "SqlSavepoint"]

#: Key in ``Connection.info``: the next transaction on SQLite begins deferred.
DEFERRED_BEGIN = "portalkit.deferred_begin"
#: How long a SQLite connection waits for another writer's lock.
SQLITE_BUSY_TIMEOUT_MS = 5000


class SqlAlchemyUnitOfWork:
    """A transaction over every repository (the :class:`~portalkit.ports.UnitOfWork` port).

    The connection is taken from the pool on ``__enter__`` and returned on
    ``__exit__``; leaving the block without :meth:`commit` rolls back, and so
    does an exception. After :meth:`commit` or :meth:`rollback` the unit may go
    on: the next statement begins a new transaction.
    """

    def __init__(
        self, storage: SqlAlchemyStorage, *, read_only: bool = False, wait: bool = True
    ) -> None:
        self._storage = storage
        self._connection: Connection | None = None
        self.read_only = read_only
        self._no_wait = not wait
        self.dialect: str = storage.engine.dialect.name
        #: PostgreSQL aborts a transaction on any error; writes run in a
        #: savepoint there so a ConflictError leaves the unit usable.
        self.uses_savepoints = self.dialect == "postgresql"

    # Repositories are built on first use: a request touches two or three of
    # some thirty, and building them all cost more than a lookup's query.
    @functools.cached_property
    def tenants(self) -> TenantRepository:
        """Tenants."""
        return TenantRepository(self)

    @functools.cached_property
    def scopes(self) -> ScopeRepository:
        """The scope tree."""
        return ScopeRepository(self, MAPPINGS["scopes"])

    @functools.cached_property
    def users(self) -> UserRepository:
        """Users."""
        return UserRepository(self, MAPPINGS["users"])

    @functools.cached_property
    def roles(self) -> NamedRepository[Role]:
        """Roles."""
        return NamedRepository(self, MAPPINGS["roles"])

    @functools.cached_property
    def groups(self) -> NamedRepository[Group]:
        """Groups."""
        return NamedRepository(self, MAPPINGS["groups"])

    @functools.cached_property
    def memberships(self) -> MembershipRepository:
        """Group memberships."""
        return MembershipRepository(self, MAPPINGS["memberships"])

    @functools.cached_property
    def grants(self) -> GrantRepository:
        """Direct grants."""
        return GrantRepository(self, MAPPINGS["grants"])

    @functools.cached_property
    def assets(self) -> SqlRepository[Asset]:
        """Assets."""
        return ListedRepository(self, MAPPINGS["assets"])

    @functools.cached_property
    def documents(self) -> SqlRepository[Document]:
        """Documents."""
        return ListedRepository(self, MAPPINGS["documents"])

    @functools.cached_property
    def jobs(self) -> SqlRepository[Job]:
        """Jobs."""
        return ListedRepository(self, MAPPINGS["jobs"])

    @functools.cached_property
    def customers(self) -> SqlRepository[CustomerRecord]:
        """Customer records."""
        return SqlRepository(self, MAPPINGS["customers"])

    @functools.cached_property
    def audit(self) -> SqlRepository[AuditEntry]:
        """The audit log."""
        return SqlRepository(self, MAPPINGS["audit"])

    @functools.cached_property
    def outbox(self) -> OutboxRepository:
        """The event outbox."""
        return OutboxRepository(self, MAPPINGS["outbox"])

    @property
    def mail_queue(self) -> MailQueueRepository:
        """Composed mail waiting to be sent."""
        return MailQueueRepository(self, MAPPINGS["mail_queue"])

    @functools.cached_property
    def invitations(self) -> InvitationRepository:
        """Invitations."""
        return InvitationRepository(self, INVITATION_MAPPINGS["invitations"])

    @functools.cached_property
    def messages(self) -> MessageRepository:
        """Broadcast messages."""
        return MessageRepository(self, INVITATION_MAPPINGS["messages"])

    @functools.cached_property
    def message_reads(self) -> SqlRepository[MessageRead]:
        """Who has read which message."""
        return SqlRepository(self, INVITATION_MAPPINGS["message_reads"])

    @functools.cached_property
    def codes(self) -> SqlOneTimeCodes:
        """One-time codes (password reset, registration proofs)."""
        return SqlOneTimeCodes(self, IDENTITY_MAPPINGS["codes"])

    @functools.cached_property
    def sessions(self) -> SqlSessions:
        """Server-side sessions."""
        return SqlSessions(self)

    @functools.cached_property
    def second_factors(self) -> SqlSecondFactors:
        """Authenticator apps and recovery codes."""
        return SqlSecondFactors(self)

    @functools.cached_property
    def actions(self) -> SqlActionRepositories:
        """Customer actions (service requests, appointments, readings...)."""
        return SqlActionRepositories(self)

    @functools.cached_property
    def share_links(self) -> ShareLinkRepository:
        """Document share links."""
        return ShareLinkRepository(self, DOCUMENT_MAPPINGS["share_links"])

    @functools.cached_property
    def account_balances(self) -> SqlRepository[AccountBalance]:
        """The default account ledger's balances."""
        return SqlRepository(self, DOCUMENT_MAPPINGS["account_balances"])

    @functools.cached_property
    def contracts(self) -> SqlRepository[Contract]:
        """Rental contracts."""
        return SqlRepository(self, DOCUMENT_MAPPINGS["contracts"])

    @functools.cached_property
    def defects(self) -> SqlRepository[Defect]:
        """Defects."""
        return ListedRepository(self, DOCUMENT_MAPPINGS["defects"])

    @property
    def connection(self) -> Connection:
        """The unit's connection; only inside the ``with`` block."""
        if self._connection is None:
            raise StorageError("A unit of work must be used inside a `with` block.")
        return self._connection

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        connection = self._storage._connect()
        # Read by the SQLite "begin" listener: a deferred BEGIN for readers.
        connection.info[DEFERRED_BEGIN] = self.read_only
        self._connection = connection
        if self._no_wait and self.dialect == "sqlite":
            self._busy_timeout(0)
        return self

    def _busy_timeout(self, milliseconds: int) -> None:
        # On the driver's connection: through SQLAlchemy the PRAGMA would begin
        # the unit's transaction (and wait for the lock) before it applies.
        try:
            driver = self.connection.connection.driver_connection
            if driver is not None:
                driver.execute(f"PRAGMA busy_timeout={int(milliseconds)}")
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StorageError(UNAVAILABLE_MESSAGE) from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._no_wait and self.dialect == "sqlite" and self._connection is not None:
            with contextlib.suppress(StorageError):  # the pool's next user waits again
                self._busy_timeout(SQLITE_BUSY_TIMEOUT_MS)
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # close() rolls back an open transaction and tells the pool so,
            # which then skips its own reset: one ROLLBACK, not two.
            connection.close()
        except SQLAlchemyError as error:
            if exc is None:
                raise translate(error) from error

    def commit(self) -> None:
        """Make every write of this unit permanent, atomically."""
        if self.read_only:
            raise StorageError("A read-only unit of work cannot commit; call begin_writes() first.")
        try:
            self.connection.commit()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def rollback(self) -> None:
        """Discard every write since the unit began (or last committed)."""
        try:
            self.connection.rollback()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def begin_writes(self) -> None:
        """Let this unit write; on SQLite its read transaction ends first.

        A deferred SQLite transaction that has read cannot always take the
        write lock later (another writer may have committed since its
        snapshot: "database is locked" at once, whatever the busy timeout),
        so the writes run in a new ``BEGIN IMMEDIATE`` transaction, which
        waits for the lock instead.
        """
        if not self.read_only:
            return
        self.read_only = False
        connection = self.connection
        connection.info[DEFERRED_BEGIN] = False
        if self.dialect == "sqlite" and connection.in_transaction():
            self.rollback()

    def savepoint(self) -> SqlSavepoint:
        """A savepoint in the current transaction (``SAVEPOINT``)."""
        try:
            return SqlSavepoint(self.connection.begin_nested())
        except SQLAlchemyError as exc:
            raise translate(exc) from exc


class SqlSavepoint:
    """A ``SAVEPOINT`` (the :class:`~portalkit.ports.Savepoint` port)."""

    def __init__(self, nested: NestedTransaction) -> None:
        self._nested = nested

    def release(self) -> None:
        """``RELEASE SAVEPOINT``: keep the writes since the point."""
        try:
            if self._nested.is_active:
                self._nested.commit()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def rollback(self) -> None:
        """``ROLLBACK TO SAVEPOINT``: discard the writes since the point."""
        try:
            if self._nested.is_active:
                self._nested.rollback()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
