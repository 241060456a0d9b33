"""Ports: the interfaces portalkit's services use and adapters implement.

Each port is a :class:`typing.Protocol`. portalkit ships adapters for all of
them (memory, SQLAlchemy, SMTP …); a host can write its own, and the contract
test suite in ``tests/adapters/contract.py`` says what an adapter must do.

Every repository method takes the ``tenant_id`` it works in: no query can cross
from one tenant to another by forgetting a filter.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Sequence
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol, TypeVar

import attrs

from portalkit.domain.accounts import AccountBalance, Contract, Defect, ItemOut
from portalkit.domain.actions import (
    ActionConfig,
    Appointment,
    CallOff,
    IdempotencyKey,
    MaintenanceItem,
    Meter,
    MeterReading,
    QuoteDecision,
    RentalItem,
    ServiceRequest,
    Slot,
    SlotOffer,
)
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, Filter
from portalkit.domain.identity import (
    CodePurpose,
    OneTimeCode,
    ThrottleRule,
    ThrottleState,
)
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.messages import BroadcastMessage, MessageRead
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.sessions import Session
from portalkit.domain.shares import ShareLink
from portalkit.domain.tenants import Tenant

__all__ = [
    "AccountSource",
    "ActionRepositories",
    "AssetRepository",
    "AuditRepository",
    "Availability",
    "BroadcastMessageRepository",
    "Clock",
    "CustomerRepository",
    "DocumentRepository",
    "DocumentSource",
    "GrantRepository",
    "GroupRepository",
    "IdempotencyKeyRepository",
    "InvitationRepository",
    "JobRepository",
    "KeyedRepository",
    "KpiSource",
    "MailQueueRepository",
    "Mailer",
    "MembershipRepository",
    "MessageReadRepository",
    "MeterRepository",
    "OneTimeCodeRepository",
    "OutboxRepository",
    "PasswordHasher",
    "RentalItemRepository",
    "Repository",
    "RoleRepository",
    "Savepoint",
    "ScopeRepository",
    "ScopedRepository",
    "SessionRepository",
    "ShareLinkRepository",
    "SlotRepository",
    "Storage",
    "TenantRepository",
    "Throttle",
    "TokenClaims",
    "TokenPurpose",
    "TokenSigner",
    "UnitOfWork",
    "UpsertCounts",
    "UserRepository",
]

E = TypeVar("E")


class Clock(Protocol):
    """Where time comes from; tests pass a fixed or stepping clock."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class Mailer(Protocol):
    """Sends one email message; raises on failure."""

    def send(self, message: EmailMessage) -> None:
        """Deliver *message* (its To/From/Subject headers are set)."""
        ...


class TokenPurpose(str, enum.Enum):
    """What a signed token is for; each purpose signs with its own salt.

    A token made for one purpose never verifies for another.
    """

    INVITE = "invite"
    RESET = "reset"
    DOWNLOAD = "download"
    EMAIL_PROOF = "email-proof"
    SHARE = "share"


@attrs.frozen
class TokenClaims:
    """What a verified token says: an opaque record id, a nonce, when it was signed.

    Tokens carry nothing else (no email, phone or name); the record they point
    to decides the rest, and a changed nonce kills every older token.
    """

    id: int
    nonce: str
    signed_at: dt.datetime


class TokenSigner(Protocol):
    """Signs and verifies expiring, purpose-bound tokens (links in emails)."""

    def sign(self, purpose: TokenPurpose, id: int, nonce: str) -> str:
        """A URL-safe token for record *id* with *nonce*, dated now."""
        ...

    def verify(
        self, purpose: TokenPurpose, token: str, *, max_age: dt.timedelta | None = None
    ) -> TokenClaims:
        """The token's claims; raise InvalidTokenError or TokenExpiredError.

        *max_age* shortens the purpose's configured lifetime; it never lengthens it.
        """
        ...


class DocumentSource(Protocol):
    """Gives the bytes of a document's file (the host owns the PDFs)."""

    def read(self, document: Document) -> bytes:
        """The file's content; raise :class:`~portalkit.errors.NotFoundError` if none."""
        ...


class AccountSource(Protocol):
    """The host's ledger and rentals for one organization (seed 004).

    The host's ERP owns these; portalkit decides who may see them. The
    SQL-backed default (:class:`portalkit._services.accounts.StoredAccountSource`)
    reads portalkit's own tables, which the demo fills.
    """

    def balance(self, tenant_id: int, organization_id: int) -> AccountBalance | None:
        """The organization's balance and last payment, or None if unknown."""
        ...

    def contracts(self, tenant_id: int, organization_id: int) -> Sequence[Contract]:
        """The organization's rental contracts."""
        ...

    def items_out(self, tenant_id: int, organization_id: int) -> Sequence[ItemOut]:
        """The items the organization has on rent."""
        ...


class KpiSource(Protocol):
    """The figures behind KPI/report tiles (seed 001); the host computes them."""

    def values(
        self, tenant_id: int, keys: frozenset[str], scope_paths: Sequence[str]
    ) -> dict[str, int | float | str | None]:
        """The value of each of *keys* over the records under *scope_paths*."""
        ...


@attrs.frozen
class UpsertCounts:
    """How many rows a bulk upsert inserted and updated."""

    inserted: int = 0
    updated: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.inserted + other.inserted, self.updated + other.updated)


class Repository(Protocol[E]):
    """Storage of one kind of tenant-owned record.

    ``order_by`` names fields; a leading ``-`` sorts descending. ``id`` is always
    added as the last key so the order is stable.
    """

    def add(self, entity: E) -> E:
        """Store a new record; its ``id`` is ignored and the stored copy returned."""
        ...

    def get(self, tenant_id: int, id: int) -> E | None:
        """The record with *id* in this tenant, or None."""
        ...

    def update(self, entity: E) -> None:
        """Replace the stored record with the same tenant and id."""
        ...

    def delete(self, tenant_id: int, id: int) -> bool:
        """Remove a record; True if it existed."""
        ...

    def find(
        self,
        tenant_id: int,
        where: Filter = TRUE,
        *,
        order_by: Sequence[str] = ("id",),
        limit: int | None = None,
    ) -> list[E]:
        """Records of this tenant matching *where*, in order, at most *limit*."""
        ...

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        """How many records of this tenant match *where*."""
        ...


class KeyedRepository(Repository[E], Protocol):
    """Records the host identifies by its own external key (synced nightly)."""

    def get_by_external_key(self, tenant_id: int, external_key: str) -> E | None:
        """The record with the host's key, or None."""
        ...

    def upsert_many(self, tenant_id: int, entities: Sequence[E]) -> UpsertCounts:
        """Insert or update by external key, in one round of statements.

        Keys must be unique within *entities* (the service checks).
        """
        ...


class ScopedRepository(Repository[E], Protocol):
    """Records bound to a scope node, carrying its path."""

    def rewrite_scope_prefix(self, tenant_id: int, old: str, new: str) -> int:
        """Replace the *old* path prefix with *new* on every record below it."""
        ...


class TenantRepository(Protocol):
    """The tenants of this portal installation."""

    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; raises ConflictError if the slug is taken."""
        ...

    def get(self, id: int) -> Tenant | None:
        """The tenant with *id*, or None."""
        ...

    def get_by_slug(self, slug: str) -> Tenant | None:
        """The tenant with *slug*, or None."""
        ...

    def update(self, tenant: Tenant) -> None:
        """Replace a tenant's name and settings."""
        ...

    def list(self) -> list[Tenant]:
        """Every tenant, by id."""
        ...


class ScopeRepository(ScopedRepository[ScopeNode], KeyedRepository[ScopeNode], Protocol):
    """The scope tree."""

    def create(
        self,
        *,
        tenant_id: int,
        kind: ScopeKind,
        name: str,
        parent: ScopeNode | None,
        external_key: str | None = None,
    ) -> ScopeNode:
        """Add a node below *parent* (None for an organization) and compute its path."""
        ...

    def get_many(self, tenant_id: int, ids: Sequence[int]) -> list[ScopeNode]:
        """The nodes with these ids that exist in this tenant."""
        ...

    def get_many_by_external_key(self, tenant_id: int, keys: Sequence[str]) -> list[ScopeNode]:
        """The nodes with these host keys that exist in this tenant."""
        ...


class UserRepository(KeyedRepository[User], Protocol):
    """Portal users."""

    def get_by_email(self, tenant_id: int, email: str) -> User | None:
        """The user with this (normalized) email, or None."""
        ...


class RoleRepository(Repository[Role], Protocol):
    """Roles."""

    def get_by_name(self, tenant_id: int, name: str) -> Role | None:
        """The role called *name*, or None."""
        ...


class GroupRepository(Repository[Group], Protocol):
    """User groups."""

    def get_by_name(self, tenant_id: int, name: str) -> Group | None:
        """The group called *name*, or None."""
        ...


class MembershipRepository(Repository[Membership], Protocol):
    """Which users are in which groups."""

    def with_groups(
        self, tenant_id: int, user_ids: Sequence[int]
    ) -> list[tuple[Membership, Group]]:
        """The users' memberships, each with its group, in one read (a request's policy)."""
        ...


class GrantRepository(ScopedRepository[Grant], Protocol):
    """Roles held at scope nodes."""

    def held_by(self, tenant_id: int, user_ids: Sequence[int]) -> list[tuple[Grant, Role]]:
        """The grants of the users and of their groups, each with its role, in one read."""
        ...


class AssetRepository(ScopedRepository[Asset], KeyedRepository[Asset], Protocol):
    """Assets."""


class DocumentRepository(ScopedRepository[Document], KeyedRepository[Document], Protocol):
    """Documents."""


class JobRepository(ScopedRepository[Job], KeyedRepository[Job], Protocol):
    """Jobs."""


class CustomerRepository(KeyedRepository[CustomerRecord], Protocol):
    """The host's customer records behind organizations."""


class ShareLinkRepository(Repository[ShareLink], Protocol):
    """Share links (stored with the secret's keyed hash only)."""

    def get_by_secret_hash(self, tenant_id: int, secret_hash: str) -> ShareLink | None:
        """The link whose secret hashes to *secret_hash*, or None."""
        ...


class AuditRepository(Repository[AuditEntry], Protocol):
    """The audit trail (append-only in use)."""


class OutboxRepository(Repository[OutboxEvent], Protocol):
    """Events waiting for the host; delivered at least once."""

    def pending(self, limit: int) -> list[OutboxEvent]:
        """Undelivered events of every tenant, oldest first."""
        ...

    def mark_delivered(self, ids: Sequence[int], at: dt.datetime) -> int:
        """Acknowledge events; returns how many were still pending."""
        ...


class MailQueueRepository(Repository[QueuedMail], Protocol):
    """Composed mail waiting to be sent (see :mod:`portalkit.domain.mail_queue`)."""

    def due(self, now: dt.datetime, limit: int) -> list[QueuedMail]:
        """Pending messages of every tenant due at or before *now*, oldest first."""
        ...

    def claim(self, mail: QueuedMail, *, until: dt.datetime) -> bool:
        """Take *mail* for one attempt: ``attempts`` + 1, ``next_attempt_at`` = *until*.

        One conditional statement (``UPDATE … WHERE id = … AND attempts = …``
        on a pending row): of concurrent drainers exactly one gets True, so a
        message is never handed to the mailer twice at once.
        """
        ...


class InvitationRepository(Repository[Invitation], Protocol):
    """Invitations (and set-password links of staff-created accounts)."""

    def update_if(
        self, invitation: Invitation, *, status: InvitationStatus, nonce: str
    ) -> bool:
        """Replace the stored invitation only if it still has *status* and *nonce*.

        One conditional statement (``UPDATE … WHERE status = … AND nonce = …``):
        of two concurrent callers exactly one gets True. False when the stored
        row changed (or is gone).
        """
        ...


class BroadcastMessageRepository(Repository[BroadcastMessage], Protocol):
    """Broadcast messages."""

    def count_unread(
        self, tenant_id: int, user_id: int, group_ids: Collection[int], now: dt.datetime
    ) -> int:
        """How many messages *user_id* has not marked read among those showing
        at *now* (start inclusive, end exclusive) to everyone or to one of
        *group_ids*: ONE statement, never the messages themselves.

        An adapter without it still works: the message service then reads the
        inbox to count it.
        """
        ...


class MessageReadRepository(Repository[MessageRead], Protocol):
    """Which user read which message (unique per user and message)."""


# Customer actions (service requests, appointments, meters, rentals, quotes) ----


class Availability(Protocol):
    """The host's appointment calendar: which slots can be booked.

    Without one, slots come from the tenant's business hours
    (:class:`~portalkit.domain.actions.ActionSettings`).
    """

    def offers(
        self, tenant_id: int, scope_path: str, start: dt.datetime, end: dt.datetime
    ) -> Sequence[SlotOffer]:
        """Bookable slots starting in ``[start, end)`` for a record at *scope_path*."""
        ...


class IdempotencyKeyRepository(Repository[IdempotencyKey], Protocol):
    """Client-supplied idempotency keys; ``add`` raises ConflictError for a used key."""

    def get_by_key(self, tenant_id: int, owner: str, key: str) -> IdempotencyKey | None:
        """The key *owner* used, or None."""
        ...


class SlotRepository(Repository[Slot], Protocol):
    """Appointment slots and how many bookings hold each."""

    def ensure(self, tenant_id: int, offer: SlotOffer) -> Slot:
        """The stored slot for *offer* (created if missing; capacity follows the offer).

        Safe when two units create the same slot at once.
        """
        ...

    def reserve(self, tenant_id: int, slot_id: int) -> bool:
        """Take one place (``UPDATE … SET booked = booked + 1 WHERE booked < capacity``).

        Of concurrent callers for the last place exactly one gets True.
        """
        ...

    def release(self, tenant_id: int, slot_id: int) -> None:
        """Give one place back."""
        ...


class MeterRepository(ScopedRepository[Meter], KeyedRepository[Meter], Protocol):
    """Asset meters with their last reading."""

    def update_if_unchanged(self, old: Meter, new: Meter) -> bool:
        """Store *new* only if the last reading is still *old*'s; False otherwise."""
        ...


class RentalItemRepository(ScopedRepository[RentalItem], KeyedRepository[RentalItem], Protocol):
    """Items out on rent."""

    def call_off(self, tenant_id: int, item_id: int, quantity: int) -> bool:
        """Add *quantity* to the called-off count only if that many are still out."""
        ...


class ActionRepositories(Protocol):
    """The repositories of customer actions (``uow.actions``)."""

    @property
    def requests(self) -> ScopedRepository[ServiceRequest]: ...

    @property
    def slots(self) -> SlotRepository: ...

    @property
    def appointments(self) -> ScopedRepository[Appointment]: ...

    @property
    def meters(self) -> MeterRepository: ...

    @property
    def readings(self) -> ScopedRepository[MeterReading]: ...

    @property
    def maintenance(self) -> KeyedRepository[MaintenanceItem]: ...

    @property
    def rentals(self) -> RentalItemRepository: ...

    @property
    def call_offs(self) -> ScopedRepository[CallOff]: ...

    @property
    def quote_decisions(self) -> ScopedRepository[QuoteDecision]: ...

    @property
    def idempotency(self) -> IdempotencyKeyRepository: ...

    @property
    def settings(self) -> Repository[ActionConfig]: ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords (``portalkit.adapters.crypto.Argon2idHasher``)."""

    def hash(self, password: str) -> str:
        """A new encoded hash of *password* with a fresh salt."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """True if *password* matches *encoded* (False for a broken hash)."""
        ...

    def verify_dummy(self, password: str) -> bool:
        """Cost exactly one verification and return False (the no-such-user path)."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """True if *encoded* was made with other parameters than new hashes get."""
        ...


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


class OneTimeCodeRepository(Protocol):
    """Password-reset and email-proof codes: at most one per tenant, purpose and subject."""

    def get_for(
        self, tenant_id: int, purpose: CodePurpose, subject_id: int
    ) -> OneTimeCode | None:
        """The subject's current code, or None."""
        ...

    def save(self, code: OneTimeCode) -> OneTimeCode:
        """Insert the subject's code, or replace the existing one (same tenant/purpose/subject)."""
        ...

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
        """Mark the code used if *digest* matches, it is unused, unexpired and not locked.

        One conditional update: of concurrent callers, at most one gets True.
        """
        ...

    def record_failure(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Count one wrong guess (atomically); False if the limit was already reached."""
        ...


class SessionRepository(Protocol):
    """Server-side sessions (:class:`~portalkit.domain.sessions.Session`), one per sign-in.

    Every method is limited to one tenant; a session is found by the hash of
    its token, never by the token.
    """

    def add(self, session: Session) -> Session:
        """Store a new session; its ``id`` is ignored and the stored copy returned."""
        ...

    def find_with_user(self, tenant_id: int, token_hash: str) -> tuple[Session, User] | None:
        """The session with *token_hash* in this tenant and its user, in ONE statement
        (a join), or None (unknown hash, another tenant's, or the user is gone)."""
        ...

    def find_with_tenant(
        self, slug: str, token_hash: str
    ) -> tuple[Tenant, tuple[Session, User] | None] | None:
        """The tenant named *slug* and, in the same read, its session with
        *token_hash* and that session's user (a request's first read); None
        when there is no such tenant."""
        ...

    def for_user(self, tenant_id: int, user_id: int) -> list[Session]:
        """Every stored session of the user (live or not), oldest first."""
        ...

    def touch(
        self,
        tenant_id: int,
        session_id: int,
        *,
        now: dt.datetime,
        seen_by: dt.datetime,
        seen_after: dt.datetime,
    ) -> bool:
        """Set ``last_seen_at`` to *now* if it is at or before *seen_by* and after
        *seen_after*: one conditional UPDATE, so of concurrent callers at most
        one writes; True if it did."""
        ...

    def delete(self, tenant_id: int, user_id: int, ids: Sequence[int]) -> int:
        """Delete those of *ids* that are sessions of this user; how many were."""
        ...

    def delete_for_user(self, tenant_id: int, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
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
