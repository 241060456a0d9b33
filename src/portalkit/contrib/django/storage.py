"""The Django ORM storage adapter: portal data in the project's own database.

:class:`DjangoStorage` implements :class:`portalkit.ports.Storage` over the
models of :mod:`portalkit.contrib.django.models`; the schema comes from the
app's migrations (``manage.py migrate``). A unit of work is one
``transaction.atomic()`` block on the configured database alias; inside a
host's own atomic block (``ATOMIC_REQUESTS``, a test case) it is a savepoint
of the host's transaction and becomes permanent when that commits.

Every repository of the :class:`~portalkit.ports.UnitOfWork` port is
provided (the core records, invitations and messages, share links, the
account ledger, one-time codes, sessions and customer actions), and a throttle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from portalkit.contrib.django.capability_repositories import (
    CAPABILITY_MAPPINGS,
    DjangoActionRepositories,
    DjangoOneTimeCodes,
    DjangoSessions,
    InvitationRepository,
    MessageRepository,
    ShareLinkRepository,
)
from portalkit.contrib.django.models import ThrottleModel
from portalkit.contrib.django.repositories import (
    MAPPINGS,
    DjangoRepository,
    GrantRepository,
    MailQueueRepository,
    MembershipRepository,
    NamedRepository,
    OutboxRepository,
    ScopeRepository,
    TenantRepository,
    UserRepository,
)
from portalkit.contrib.django.second_factor_repositories import DjangoSecondFactors
from portalkit.contrib.django.values import (
    UNAVAILABLE_MESSAGE,
    from_db_datetime,
    to_db,
    translating,
)
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.events import AuditEntry
from portalkit.domain.identity import ThrottleRule, ThrottleState
from portalkit.domain.messages import MessageRead
from portalkit.domain.principals import Group, Role
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaOutdatedError,
    StorageError,
    ThrottledError,
)

__all__ = ["DjangoSavepoint", "DjangoStorage", "DjangoThrottle", "DjangoUnitOfWork"]

APP_LABEL = "portalkit"

class DjangoUnitOfWork:
    """A transaction over every repository (the :class:`~portalkit.ports.UnitOfWork` port).

    Leaving the block without :meth:`commit` rolls back, and so does an
    exception. After :meth:`commit` or :meth:`rollback` the unit goes on in a
    new transaction.
    """

    def __init__(self, alias: str, *, read_only: bool = False) -> None:
        self.alias = alias
        self.read_only = read_only
        self._atomic: Any = None
        self.tenants = TenantRepository(self)
        self.scopes = ScopeRepository(self, MAPPINGS["scopes"])
        self.users = UserRepository(self, MAPPINGS["users"])
        self.roles: NamedRepository[Role] = NamedRepository(self, MAPPINGS["roles"])
        self.groups: NamedRepository[Group] = NamedRepository(self, MAPPINGS["groups"])
        self.memberships = MembershipRepository(self, MAPPINGS["memberships"])
        self.grants = GrantRepository(self, MAPPINGS["grants"])
        self.assets: DjangoRepository[Asset] = DjangoRepository(self, MAPPINGS["assets"])
        self.documents: DjangoRepository[Document] = DjangoRepository(
            self, MAPPINGS["documents"]
        )
        self.jobs: DjangoRepository[Job] = DjangoRepository(self, MAPPINGS["jobs"])
        self.customers: DjangoRepository[CustomerRecord] = DjangoRepository(
            self, MAPPINGS["customers"]
        )
        self.audit: DjangoRepository[AuditEntry] = DjangoRepository(self, MAPPINGS["audit"])
        self.outbox = OutboxRepository(self, MAPPINGS["outbox"])
        self.mail_queue = MailQueueRepository(self, MAPPINGS["mail_queue"])
        c = CAPABILITY_MAPPINGS
        self.invitations = InvitationRepository(self, c["invitations"])
        self.messages = MessageRepository(self, c["messages"])
        self.message_reads: DjangoRepository[MessageRead] = DjangoRepository(
            self, c["message_reads"]
        )
        self.share_links = ShareLinkRepository(self, c["share_links"])
        self.account_balances: DjangoRepository[AccountBalance] = DjangoRepository(
            self, c["account_balances"]
        )
        self.contracts: DjangoRepository[Contract] = DjangoRepository(self, c["contracts"])
        self.defects: DjangoRepository[Defect] = DjangoRepository(self, c["defects"])
        self.codes = DjangoOneTimeCodes(self, c["codes"])
        self.sessions = DjangoSessions(self, c["sessions"])
        self.second_factors = DjangoSecondFactors(self)
        self.actions = DjangoActionRepositories(self)

    # Transactions ----------------------------------------------------------
    def _begin(self) -> None:
        atomic = transaction.atomic(using=self.alias)
        with translating():
            atomic.__enter__()
        self._atomic = atomic

    def _end(self, *, commit: bool) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        if not commit:
            transaction.set_rollback(True, using=self.alias)
        with translating():
            atomic.__exit__(None, None, None)

    def _require_open(self) -> None:
        if self._atomic is None:
            raise StorageError("A unit of work must be used inside a `with` block.")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A block of reads in this unit, database errors translated."""
        self._require_open()
        with translating(self.alias):
            yield

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A block of writes in a savepoint: a failed write leaves the unit usable."""
        self._require_open()
        with translating(self.alias), transaction.atomic(using=self.alias):
            yield

    def __enter__(self) -> DjangoUnitOfWork:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._end(commit=False)
        except StorageError:
            if exc is None:
                raise

    def commit(self) -> None:
        """Make every write of this unit permanent, atomically."""
        self._require_open()
        if self.read_only:
            raise StorageError("A read-only unit of work cannot commit; call begin_writes() first.")
        self._end(commit=True)
        self._begin()

    def rollback(self) -> None:
        """Discard every write since the unit began (or last committed)."""
        self._require_open()
        self._end(commit=False)
        self._begin()

    def begin_writes(self) -> None:
        """Let this unit commit."""
        self.read_only = False

    def savepoint(self) -> DjangoSavepoint:
        """A savepoint in this unit's transaction."""
        self._require_open()
        with translating():
            return DjangoSavepoint(self.alias, transaction.savepoint(using=self.alias))


class DjangoSavepoint:
    """A savepoint (the :class:`~portalkit.ports.Savepoint` port)."""

    def __init__(self, alias: str, sid: str | None) -> None:
        self._alias = alias
        self._sid = sid

    def release(self) -> None:
        """Keep the writes since the point."""
        sid, self._sid = self._sid, None
        if sid is not None:
            with translating():
                transaction.savepoint_commit(sid, using=self._alias)

    def rollback(self) -> None:
        """Discard the writes since the point."""
        sid, self._sid = self._sid, None
        if sid is not None:
            with translating():
                transaction.savepoint_rollback(sid, using=self._alias)


class DjangoStorage:
    """Storage in the Django project's database (the :class:`~portalkit.ports.Storage` port).

    Args:
        using: The database alias of ``settings.DATABASES`` (``"default"``).
    """

    def __init__(self, using: str = "default") -> None:
        if using not in connections.settings:
            raise ConfigurationError(f"No database {using!r} in settings.DATABASES.")
        self.alias = using

    def unit_of_work(self, *, read_only: bool = False, wait: bool = True) -> DjangoUnitOfWork:
        """A new unit of work (one ``transaction.atomic()`` block); ``read_only`` cannot commit."""
        return DjangoUnitOfWork(self.alias, read_only=read_only)

    def upgrade(self) -> None:
        """Apply portalkit's migrations to this database (``migrate portalkit``)."""
        from django.core.management import call_command  # noqa: PLC0415

        with translating():
            call_command("migrate", APP_LABEL, database=self.alias, verbosity=0,
                         interactive=False)

    def check(self) -> None:
        """Raise unless the database is reachable and portalkit's migrations are applied.

        Raises:
            DatabaseUnavailableError: The database cannot be reached.
            SchemaOutdatedError: Some portalkit migration is not applied.
        """
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            targets = [
                key for key in executor.loader.graph.leaf_nodes() if key[0] == APP_LABEL
            ]
            plan = executor.migration_plan(targets)
        except DatabaseError as exc:
            raise DatabaseUnavailableError(UNAVAILABLE_MESSAGE) from exc
        if plan:
            raise SchemaOutdatedError(
                "The database schema is older than this version of portalkit; "
                "run `manage.py migrate`."
            )

    def close(self) -> None:
        """Nothing to release: Django manages its connections per thread and request."""

    def throttle(self) -> DjangoThrottle:
        """Throttle counters in this database, shared by every worker."""
        return DjangoThrottle(self.alias)

    def __repr__(self) -> str:
        return f"DjangoStorage(using={self.alias!r})"


#: Insert-and-lock rounds before a throttle call gives up on rows that keep vanishing.
_LOCK_ROUNDS = 8


class DjangoThrottle:
    """A :class:`~portalkit.ports.Throttle` in the Django database (``portalkit_dj_throttle``).

    Each call is its own transaction; on PostgreSQL the counter rows are locked
    (``SELECT … FOR UPDATE``, in key order) so parallel attempts never exceed
    the limit.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def within(self, uow: object) -> DjangoThrottle:
        """The throttle itself: Django runs it on the thread's connection, in its transaction."""
        return self

    def _objects(self) -> Any:
        return ThrottleModel._base_manager.using(self.alias)

    def _locked(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """Make sure the rows exist, then lock them in key order.

        Rows are zeroed, never deleted, by this class; a row that vanishes
        between the insert and the lock anyway (deleted by hand) is inserted
        and locked again, for a few rounds.
        """
        states: dict[str, ThrottleState] = {}
        missing = sorted(set(keys))
        for _ in range(_LOCK_ROUNDS):
            self._objects().bulk_create(
                [ThrottleModel(key=key) for key in missing], ignore_conflicts=True
            )
            rows = (
                self._objects()
                .select_for_update()
                .filter(key__in=missing)
                .order_by("key")
                .values_list("key", "failures", "window_start", "last_failure")
            )
            for key, failures, start, last in rows:
                states[key] = ThrottleState(
                    failures=failures,
                    window_start=from_db_datetime(start),
                    last_failure=from_db_datetime(last),
                )
            missing = [key for key in missing if key not in states]
            if not missing:
                return states
        raise StorageError("The throttle is too busy; please try again.")

    def _store(self, key: str, state: ThrottleState) -> None:
        self._objects().filter(key=key).update(
            failures=state.failures,
            window_start=to_db(state.window_start),
            last_failure=to_db(state.last_failure),
        )

    def acquire(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Count one attempt against *key*; raise ThrottledError (counting nothing) if blocked."""
        self.acquire_many([(key, rule)], now)

    def acquire_many(self, limits: Sequence[tuple[str, ThrottleRule]], now: dt.datetime) -> None:
        """Count one attempt against every key in one transaction, or against none."""
        if not limits:
            return
        wait = 0.0
        with translating(self.alias), transaction.atomic(using=self.alias):
            states = self._locked(sorted({key for key, _ in limits}))
            fresh = {key: states[key].refreshed(rule, now) for key, rule in limits}
            wait = max(fresh[key].retry_after(rule, now) for key, rule in limits)
            if wait <= 0:
                for key, rule in limits:
                    self._store(key, fresh[key].failed(rule, now))
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
        with translating(self.alias), transaction.atomic(using=self.alias):
            # Every key locked in key order (as acquire_many does); a reset
            # row is zeroed, not deleted, so no concurrent caller loses it.
            forgiven = {key for key, _ in forgive} - set(reset)
            states = self._locked([*reset, *forgiven])
            for key in sorted({*reset, *forgiven}):
                self._store(key, ThrottleState() if key in reset else states[key].forgiven())

    def forgive(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Take back one counted attempt of *key*."""
        self.settle(forgive=[(key, rule)], now=now)

    def reset(self, key: str) -> None:
        """Forget every failure of *key*."""
        with translating():
            self._store(key, ThrottleState())

    def state(self, key: str) -> ThrottleState:
        """The stored state of *key*."""
        with translating():
            rows = list(
                self._objects()
                .filter(key=key)
                .values_list("failures", "window_start", "last_failure")
            )
        if not rows:
            return ThrottleState()
        failures, start, last = rows[0]
        return ThrottleState(
            failures=failures,
            window_start=from_db_datetime(start),
            last_failure=from_db_datetime(last),
        )
