"""In-memory storage: the reference adapter, for tests, demos and experiments.

It evaluates filter specifications in Python with
:func:`portalkit.domain.filters.evaluate`; the SQLAlchemy adapter must give the
same answers (the shared contract suite and property tests check it).

Units of work are serialized by one lock and work on a private copy of the
tables, which replaces the shared state only on commit: a unit that fails
leaves nothing behind.

The generic table the repositories are built on is in ``memory_table``; the
identity and customer-action repositories are in ``memory_identity`` and
``memory_actions``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Collection, Sequence
from types import TracebackType
from typing import Any

import attrs

from portalkit.adapters.memory_identity import MemoryCodes, MemorySessions, MemoryThrottle
from portalkit.adapters.memory_second_factors import MemorySecondFactors
from portalkit.adapters.memory_table import E, _Table, _Tables
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, In
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.messages import BroadcastMessage, MessageRead, applies_to, is_live
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode, child_path
from portalkit.domain.shares import ShareLink
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError, NotFoundError, StorageError
from portalkit.ports import HeldAccess

__all__ = ["MemoryStorage", "MemoryUnitOfWork"]


class _Tenants:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _rows(self) -> dict[int, Tenant]:
        rows: dict[int, Tenant] = self._uow._tables.setdefault("tenants", {})
        return rows

    def add(self, tenant: Tenant) -> Tenant:
        if self.get_by_slug(tenant.slug) is not None:
            raise ConflictError("A tenant with this slug exists.")
        stored = attrs.evolve(tenant, id=self._uow._storage._next_id())
        self._rows[stored.id] = stored
        return stored

    def get(self, id: int) -> Tenant | None:
        return self._rows.get(id)

    def get_by_slug(self, slug: str) -> Tenant | None:
        return next((t for t in self._rows.values() if t.slug == slug), None)

    def update(self, tenant: Tenant) -> None:
        if tenant.id not in self._rows:
            raise NotFoundError()
        self._rows[tenant.id] = tenant

    def list(self) -> list[Tenant]:
        return sorted(self._rows.values(), key=lambda t: t.id)


class _Scopes(_Table[ScopeNode]):
    name = "scopes"
    unique = (("tenant_id", "external_key"),)
    path_field = "path"

    def create(
        self,
        *,
        tenant_id: int,
        kind: ScopeKind,
        name: str,
        parent: ScopeNode | None,
        external_key: str | None = None,
    ) -> ScopeNode:
        node_id = self._uow._storage._next_id()
        node = ScopeNode(
            id=node_id,
            tenant_id=tenant_id,
            kind=kind,
            name=name,
            path=child_path(parent.path if parent else None, kind, node_id),
            parent_id=parent.id if parent else None,
            external_key=external_key,
        )
        self._check_unique(node)
        self._rows[node_id] = node
        return node

    def get_many(self, tenant_id: int, ids: Sequence[int]) -> list[ScopeNode]:
        return [n for i in dict.fromkeys(ids) if (n := self.get(tenant_id, i)) is not None]

    def get_many_by_external_key(self, tenant_id: int, keys: Sequence[str]) -> list[ScopeNode]:
        wanted = set(keys)
        return [
            n for n in self._rows.values() if n.tenant_id == tenant_id and n.external_key in wanted
        ]


class _Users(_Table[User]):
    name = "users"
    unique = (("tenant_id", "email"), ("tenant_id", "username"), ("tenant_id", "external_key"))

    def get_by_email(self, tenant_id: int, email: str) -> User | None:
        return next(
            (u for u in self._rows.values() if u.tenant_id == tenant_id and u.email == email), None
        )

    def add_or_activate(self, user: User, existing_id: int | None) -> User | None:
        current = self.get_by_email(user.tenant_id, user.email)
        if current is None:
            return self.add(user)
        if current.id != existing_id or current.password_hash is not None:
            return None
        activated = attrs.evolve(
            current, password_hash=user.password_hash, security_stamp=user.security_stamp
        )
        self.update(activated)
        return activated

    def lock(self, tenant_id: int, ids: Sequence[int]) -> list[User]:
        # Units of work are serialized by the storage's lock: reading is enough.
        return [u for i in sorted(set(ids)) if (u := self.get(tenant_id, i)) is not None]


def _name(entity: object) -> Any:
    return getattr(entity, "name")  # noqa: B009


class _Named(_Table[E]):
    unique = (("tenant_id", "name"),)

    def get_by_name(self, tenant_id: int, name: str) -> E | None:
        return next(
            (r for r in self._rows.values() if r.tenant_id == tenant_id and _name(r) == name),
            None,
        )


class _Roles(_Named[Role]):
    name = "roles"


class _Groups(_Named[Group]):
    name = "groups"


class _Memberships(_Table[Membership]):
    name = "memberships"
    unique = (("tenant_id", "group_id", "user_id"),)

    def with_groups(
        self, tenant_id: int, user_ids: Sequence[int]
    ) -> list[tuple[Membership, Group]]:
        """The users' memberships, each with its group."""
        groups = self._uow.tables("groups")
        return [
            (m, groups[m.group_id])
            for m in self.find(tenant_id, In("user_id", list(user_ids)))
            if m.group_id in groups and groups[m.group_id].tenant_id == tenant_id
        ]


class _Grants(_Table[Grant]):
    name = "grants"

    def held_by(self, tenant_id: int, user_ids: Sequence[int]) -> list[tuple[Grant, Role]]:
        """The grants of the users and of their groups, each with its role."""
        users = set(user_ids)
        groups = {
            m.group_id
            for m in self._uow.tables("memberships").values()
            if m.tenant_id == tenant_id and m.user_id in users
        }
        roles = self._uow.tables("roles")
        return [
            (g, roles[g.role_id])
            for g in self.find(tenant_id)
            if (g.user_id in users or g.group_id in groups)
            and g.role_id in roles and roles[g.role_id].tenant_id == tenant_id
        ]

    def access_of(self, tenant_id: int, user_ids: Sequence[int]) -> HeldAccess:
        """The users' memberships, what they hold and its organization nodes."""
        held = self.held_by(tenant_id, user_ids)
        roots = {
            n.path: n for n in self._uow.tables("scopes").values()
            if n.tenant_id == tenant_id and n.parent_id is None
        }
        organizations = {
            node.id: node for g, _ in held if (node := roots.get(_root_path(g.scope_path)))
        }
        return HeldAccess(
            memberships=tuple(self._uow.memberships.with_groups(tenant_id, user_ids)),
            held=tuple(held),
            organizations=tuple(organizations[i] for i in sorted(organizations)),
        )


def _root_path(path: str) -> str:
    """The first segment of *path* (``/org:12/``), or "" for a path without one."""
    end = path.find("/", 1)
    return path[: end + 1] if path.startswith("/") and end > 0 else ""


class _Assets(_Table[Asset]):
    name = "assets"
    unique = (("tenant_id", "external_key"),)


class _Documents(_Table[Document]):
    name = "documents"
    unique = (("tenant_id", "external_key"),)


class _Jobs(_Table[Job]):
    name = "jobs"
    unique = (("tenant_id", "external_key"),)


class _Customers(_Table[CustomerRecord]):
    name = "customers"
    unique = (("tenant_id", "external_key"),)


class _Audit(_Table[AuditEntry]):
    name = "audit"


class _Outbox(_Table[OutboxEvent]):
    name = "outbox"

    def pending(self, limit: int) -> list[OutboxEvent]:
        waiting = [e for e in self._rows.values() if e.delivered_at is None]
        return sorted(waiting, key=lambda e: e.id)[:limit]

    def mark_delivered(self, ids: Sequence[int], at: dt.datetime) -> int:
        done = 0
        for id_ in ids:
            event = self._rows.get(id_)
            if event is not None and event.delivered_at is None:
                self._rows[id_] = attrs.evolve(event, delivered_at=at)
                done += 1
        return done


class _MailQueue(_Table[QueuedMail]):
    name = "mail_queue"

    def due(self, now: dt.datetime, limit: int) -> list[QueuedMail]:
        waiting = [m for m in self._rows.values() if m.pending and m.next_attempt_at <= now]
        return sorted(waiting, key=lambda m: m.id)[:limit]

    def claim(self, mail: QueuedMail, *, until: dt.datetime) -> bool:
        stored = self._rows.get(mail.id)
        if stored is None or not stored.pending or stored.attempts != mail.attempts:
            return False
        self._rows[mail.id] = attrs.evolve(
            stored, attempts=stored.attempts + 1, next_attempt_at=until
        )
        return True


class _Invitations(_Table[Invitation]):
    name = "invitations"

    def update_if(
        self, invitation: Invitation, *, status: InvitationStatus, nonce: str
    ) -> bool:
        stored = self.get(invitation.tenant_id, invitation.id)
        if stored is None or stored.status is not status or stored.nonce != nonce:
            return False
        self._rows[invitation.id] = invitation
        return True


class _Messages(_Table[BroadcastMessage]):
    name = "messages"

    def count_unread(
        self, tenant_id: int, user_id: int, group_ids: Collection[int], now: dt.datetime
    ) -> int:
        """Live messages for everyone or *group_ids* without *user_id*'s read mark."""
        read = {
            mark.message_id
            for mark in self._uow._tables.get("message_reads", {}).values()
            if mark.tenant_id == tenant_id and mark.user_id == user_id
        }
        return sum(
            1
            for m in self._matching(tenant_id, TRUE)
            if m.id not in read and applies_to(m, group_ids, now)
        )


    def live_with_reads(
        self, tenant_id: int, user_id: int, now: dt.datetime
    ) -> list[tuple[BroadcastMessage, dt.datetime | None]]:
        """Live messages, newest first, with *user_id*'s read time."""
        read = {
            mark.message_id: mark.read_at
            for mark in self._uow._tables.get("message_reads", {}).values()
            if mark.tenant_id == tenant_id and mark.user_id == user_id
        }
        live = [m for m in self._matching(tenant_id, TRUE) if is_live(m, now)]
        live.sort(key=lambda m: (m.starts_at, m.id), reverse=True)
        return [(m, read.get(m.id)) for m in live]


class _MessageReads(_Table[MessageRead]):
    name = "message_reads"
    unique = (("tenant_id", "message_id", "user_id"),)


class _ShareLinks(_Table[ShareLink]):
    name = "share_links"
    unique = (("secret_hash",),)

    def get_by_secret_hash(self, tenant_id: int, secret_hash: str) -> ShareLink | None:
        return next(
            (
                s
                for s in self._rows.values()
                if s.tenant_id == tenant_id and s.secret_hash == secret_hash
            ),
            None,
        )


class _AccountBalances(_Table[AccountBalance]):
    name = "account_balances"
    unique = (("tenant_id", "organization_id"),)


class _Contracts(_Table[Contract]):
    name = "contracts"
    unique = (("tenant_id", "external_key"),)


class _Defects(_Table[Defect]):
    name = "defects"
    unique = (("tenant_id", "external_key"),)


class MemoryUnitOfWork:
    """A serialized transaction over a private copy of the memory tables."""

    def __init__(self, storage: MemoryStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self._tables: _Tables = {}
        self.read_only = read_only
        self.tenants = _Tenants(self)
        self.scopes = _Scopes(self)
        self.users = _Users(self)
        self.roles = _Roles(self)
        self.groups = _Groups(self)
        self.memberships = _Memberships(self)
        self.grants = _Grants(self)
        self.assets = _Assets(self)
        self.documents = _Documents(self)
        self.jobs = _Jobs(self)
        self.customers = _Customers(self)
        self.audit = _Audit(self)
        self.outbox = _Outbox(self)
        self.mail_queue = _MailQueue(self)
        from portalkit.adapters.memory_actions import MemoryActionRepositories  # noqa: PLC0415

        self.actions = MemoryActionRepositories(self)
        self.share_links = _ShareLinks(self)
        self.account_balances = _AccountBalances(self)
        self.contracts = _Contracts(self)
        self.defects = _Defects(self)
        self.codes = MemoryCodes(self)
        self.sessions = MemorySessions(self)
        self.second_factors = MemorySecondFactors(self)
        self.invitations = _Invitations(self)
        self.messages = _Messages(self)
        self.message_reads = _MessageReads(self)

    def __enter__(self) -> MemoryUnitOfWork:
        self._storage._lock.acquire()
        self._tables = {name: dict(rows) for name, rows in self._storage._tables.items()}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tables = {}
        self._storage._lock.release()

    def commit(self) -> None:
        if self.read_only:
            raise StorageError("A read-only unit of work cannot commit; call begin_writes() first.")
        self._storage._tables = {name: dict(rows) for name, rows in self._tables.items()}

    def rollback(self) -> None:
        self._tables = {name: dict(rows) for name, rows in self._storage._tables.items()}

    def tables(self, name: str) -> dict[int, Any]:
        """The rows of table *name* in this unit, by id."""
        return self._tables.setdefault(name, {})

    def begin_writes(self) -> None:
        """Let this unit commit (memory units are serialized: nothing else changes)."""
        self.read_only = False

    def savepoint(self) -> MemorySavepoint:
        """A copy of this unit's tables to go back to."""
        return MemorySavepoint(self)


class MemorySavepoint:
    """A point inside a memory unit of work (the :class:`~portalkit.ports.Savepoint` port)."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._tables = {name: dict(rows) for name, rows in uow._tables.items()}

    def release(self) -> None:
        """Keep the writes since the point."""

    def rollback(self) -> None:
        """Go back to the tables as they were at the point."""
        self._uow._tables = {name: dict(rows) for name, rows in self._tables.items()}


class MemoryStorage:
    """Storage in this process's memory; everything is lost when it ends."""

    def __init__(self) -> None:
        self._tables: _Tables = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._throttle: MemoryThrottle | None = None

    def _next_id(self) -> int:
        return next(self._ids)

    def unit_of_work(self, *, read_only: bool = False, wait: bool = True) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self, read_only=read_only)

    def upgrade(self) -> None:
        """Nothing to migrate in memory."""

    def check(self) -> None:
        """Memory storage is always usable."""

    def close(self) -> None:
        """Nothing to release."""

    def throttle(self) -> MemoryThrottle:
        """The throttle counters of this storage (shared by its threads)."""
        with self._lock:
            if self._throttle is None:
                self._throttle = MemoryThrottle()
            return self._throttle
