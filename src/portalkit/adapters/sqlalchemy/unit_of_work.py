"""One unit of work = one database connection and one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Connection
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
)
from portalkit.adapters.sqlalchemy.invitation_repositories import (
    INVITATION_MAPPINGS,
    InvitationRepository,
    MessageRepository,
)
from portalkit.adapters.sqlalchemy.repositories import (
    MAPPINGS,
    NamedRepository,
    OutboxRepository,
    ScopeRepository,
    SqlRepository,
    TenantRepository,
    UserRepository,
)
from portalkit.adapters.sqlalchemy.translate import translate
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.events import AuditEntry
from portalkit.domain.messages import MessageRead
from portalkit.domain.principals import Grant, Group, Membership, Role
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.errors import StorageError

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.storage import SqlAlchemyStorage

__all__ = ["SqlAlchemyUnitOfWork"]


class SqlAlchemyUnitOfWork:
    """A transaction over every repository (the :class:`~portalkit.ports.UnitOfWork` port).

    The connection is taken from the pool on ``__enter__`` and returned on
    ``__exit__``; leaving the block without :meth:`commit` rolls back, and so
    does an exception. After :meth:`commit` or :meth:`rollback` the unit may go
    on: the next statement begins a new transaction.
    """

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        self._storage = storage
        self._connection: Connection | None = None
        self.dialect: str = storage.engine.dialect.name
        #: PostgreSQL aborts a transaction on any error; writes run in a
        #: savepoint there so a ConflictError leaves the unit usable.
        self.uses_savepoints = self.dialect == "postgresql"
        self.tenants = TenantRepository(self)
        self.scopes = ScopeRepository(self, MAPPINGS["scopes"])
        self.users = UserRepository(self, MAPPINGS["users"])
        self.roles: NamedRepository[Role] = NamedRepository(self, MAPPINGS["roles"])
        self.groups: NamedRepository[Group] = NamedRepository(self, MAPPINGS["groups"])
        self.memberships: SqlRepository[Membership] = SqlRepository(self, MAPPINGS["memberships"])
        self.grants: SqlRepository[Grant] = SqlRepository(self, MAPPINGS["grants"])
        self.assets: SqlRepository[Asset] = ListedRepository(self, MAPPINGS["assets"])
        self.documents: SqlRepository[Document] = ListedRepository(self, MAPPINGS["documents"])
        self.jobs: SqlRepository[Job] = ListedRepository(self, MAPPINGS["jobs"])
        self.customers: SqlRepository[CustomerRecord] = SqlRepository(self, MAPPINGS["customers"])
        self.audit: SqlRepository[AuditEntry] = SqlRepository(self, MAPPINGS["audit"])
        self.outbox = OutboxRepository(self, MAPPINGS["outbox"])
        # Invitations and broadcast messages.
        self.invitations = InvitationRepository(self, INVITATION_MAPPINGS["invitations"])
        self.messages = MessageRepository(self, INVITATION_MAPPINGS["messages"])
        self.message_reads: SqlRepository[MessageRead] = SqlRepository(
            self, INVITATION_MAPPINGS["message_reads"]
        )
        self.codes = SqlOneTimeCodes(self, IDENTITY_MAPPINGS["codes"])
        self.actions = SqlActionRepositories(self)
        # Documents capability (share links, default account ledger, defects).
        m = DOCUMENT_MAPPINGS
        self.share_links = ShareLinkRepository(self, m["share_links"])
        self.account_balances: SqlRepository[AccountBalance] = SqlRepository(
            self, m["account_balances"]
        )
        self.contracts: SqlRepository[Contract] = SqlRepository(self, m["contracts"])
        self.defects: SqlRepository[Defect] = ListedRepository(self, m["defects"])

    @property
    def connection(self) -> Connection:
        """The unit's connection; only inside the ``with`` block."""
        if self._connection is None:
            raise StorageError("A unit of work must be used inside a `with` block.")
        return self._connection

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        self._connection = self._storage._connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
