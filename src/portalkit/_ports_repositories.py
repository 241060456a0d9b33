"""The repository ports: the generic tenant-scoped repository and one per record.

:mod:`portalkit.ports` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, Filter
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.messages import BroadcastMessage, MessageRead
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.shares import ShareLink
from portalkit.domain.tenants import Tenant

E = TypeVar("E")


@attrs.frozen
class UpsertCounts:
    """How many rows a bulk upsert inserted and updated."""

    inserted: int = 0
    updated: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.inserted + other.inserted, self.updated + other.updated)


@attrs.frozen
class HeldAccess:
    """Everything a policy for some users is compiled from, read at once.

    Attributes:
        memberships: The users' memberships, each with its group.
        held: The grants of the users and of their groups, each with its role.
        organizations: The organization nodes those grants lie in (a grant
            whose organization does not exist has none).
    """

    memberships: tuple[tuple[Membership, Group], ...] = ()
    held: tuple[tuple[Grant, Role], ...] = ()
    organizations: tuple[ScopeNode, ...] = ()


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


@runtime_checkable
class RowUpserts(Protocol):
    """An optional capability of a keyed repository: upsert records given as dicts.

    The nightly sync builds every record's fields anyway; a repository that
    can write them as they are skips building one record object per row (the
    SQLAlchemy adapter's asset repository does; measured in
    ``bench/bulk_upsert.py``). A repository without it gets
    :meth:`KeyedRepository.upsert_many` calls instead, with the same result.
    """

    def upsert_rows(self, tenant_id: int, rows: list[dict[str, Any]]) -> UpsertCounts:
        """``upsert_many`` of records given as dicts of every field but ``id``."""
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

    def add_or_activate(self, user: User, existing_id: int | None) -> User | None:
        """Store *user* as new, or, when the passwordless user *existing_id* has
        *user*'s email, give that user *user*'s password hash and security stamp
        (nothing else changes); the stored user.

        Both outcomes are one write of the same shape, so which one happened does
        not show in the time it takes (issue 20, finding 2).

        Returns:
            None when the address's user is not *existing_id* (one appeared
            since it was read) or has a password by now; nothing was written.
            A user returned with another id than *existing_id* was created
            because the address left that user since it was read: the caller
            must then not commit.
        """
        ...

    def lock(self, tenant_id: int, ids: Sequence[int]) -> list[User]:
        """The users with these ids (of this tenant), by id, held until the unit ends.

        Call it in a writing unit: another unit locking any of these users
        waits until this one ends, then reads what it committed (``SELECT …
        FOR UPDATE`` on PostgreSQL; SQLite's single writer and the memory
        adapter's one lock already serialize writing units).
        """
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

    def access_of(self, tenant_id: int, user_ids: Sequence[int]) -> HeldAccess:
        """The users' memberships, what they hold and its organizations (a request's policy).

        One statement where the storage can; ordered by id within each part.
        """
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

    def live_with_reads(
        self, tenant_id: int, user_id: int, now: dt.datetime
    ) -> list[tuple[BroadcastMessage, dt.datetime | None]]:
        """The messages showing at *now* (start inclusive, end exclusive), newest
        first (``starts_at`` then ``id``, descending), each with the time
        *user_id* marked it read or None: ONE statement (an inbox).

        An adapter without it still works: the message service then reads the
        messages and the read marks apart.
        """
        ...


class MessageReadRepository(Repository[MessageRead], Protocol):
    """Which user read which message (unique per user and message)."""
