"""Repositories over SQLAlchemy Core: one generic class for every record type.

A :class:`TableMapping` is built once per entity class: the column list, the
prepared statements and the row/entity converters. Per row, a read is one
``zip`` and one constructor call, a write one ``attrgetter`` call; no ORM
objects are loaded and nothing is reflected at run time.

Every method filters by ``tenant_id``; a foreign exception never leaves this
module untranslated (see :mod:`portalkit.adapters.sqlalchemy.translate`).

The generic class and its mapping are in ``table_repository`` (re-exported
here); this module maps the core tables and adds the repositories with
queries of their own: scopes, memberships, grants, users, the outbox, tenants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import attrs
from cattrs.preconf.json import make_converter
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    func,
    insert,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
    update,
)

from portalkit.adapters.sqlalchemy import tables
from portalkit.adapters.sqlalchemy.table_repository import (
    E,
    SqlRepository,
    TableMapping,
    _Base,
    _table,
    keys_parameter,
)
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode, child_path
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import ConflictError, NotFoundError
from portalkit.ports import HeldAccess

__all__ = [
    "MAPPINGS",
    "TENANT_TABLE",
    "MailQueueRepository",
    "NamedRepository",
    "OutboxRepository",
    "ScopeRepository",
    "SqlRepository",
    "TableMapping",
    "TenantRepository",
    "UserRepository",
    "tenant_from_row",
]


MAPPINGS: dict[str, TableMapping[Any]] = {
    "scopes": TableMapping(ScopeNode, _table(tables.ScopeRow), path_field="path"),
    "users": TableMapping(User, _table(tables.UserRow)),
    "roles": TableMapping(Role, _table(tables.RoleRow)),
    "groups": TableMapping(Group, _table(tables.GroupRow)),
    "memberships": TableMapping(Membership, _table(tables.MembershipRow)),
    "grants": TableMapping(Grant, _table(tables.GrantRow), path_field="scope_path"),
    "assets": TableMapping(Asset, _table(tables.AssetRow), path_field="scope_path"),
    "documents": TableMapping(Document, _table(tables.DocumentRow), path_field="scope_path"),
    "jobs": TableMapping(Job, _table(tables.JobRow), path_field="scope_path"),
    "customers": TableMapping(CustomerRecord, _table(tables.CustomerRow)),
    "audit": TableMapping(AuditEntry, _table(tables.AuditRow)),
    "outbox": TableMapping(OutboxEvent, _table(tables.OutboxRow)),
    "mail_queue": TableMapping(QueuedMail, _table(tables.MailQueueRow)),
}


_SCOPES_BY_IDS = MAPPINGS["scopes"].select_all.where(
    MAPPINGS["scopes"].table.c.tenant_id == bindparam("_tenant"),
    MAPPINGS["scopes"].table.c.id.in_(bindparam("_ids", expanding=True)),
)


class ScopeRepository(SqlRepository[ScopeNode]):
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
        """Add a node below *parent* (None for an organization) and compute its path.

        The path holds the node's own id, so it is written by a second statement.
        """
        table = self._m.table
        parent_id = parent.id if parent else None
        values = {
            "tenant_id": tenant_id,
            "kind": kind,
            "name": name,
            "path": "/",
            "parent_id": parent_id,
            "external_key": external_key,
        }
        node_id = self._write(self._m.insert, values).inserted_primary_key[0]  # type: ignore[index]
        path = child_path(parent.path if parent else None, kind, node_id)
        self._write(update(table).where(table.c.id == node_id).values(path=path))
        return ScopeNode(
            id=node_id,
            tenant_id=tenant_id,
            kind=kind,
            name=name,
            path=path,
            parent_id=parent_id,
            external_key=external_key,
        )

    def get_many(self, tenant_id: int, ids: Sequence[int]) -> list[ScopeNode]:
        """The nodes with these ids that exist in this tenant, in the order asked."""
        if not ids:
            return []
        wanted = list(dict.fromkeys(ids))
        if len(wanted) == 1:
            rows = self._execute(self._m.get_stmt, {"_tenant": tenant_id, "_id": wanted[0]})
        else:
            rows = self._execute(_SCOPES_BY_IDS, {"_tenant": tenant_id, "_ids": wanted})
        found = {n.id: n for n in self._m.from_rows(rows)}
        return [found[i] for i in wanted if i in found]

    def get_many_by_external_key(self, tenant_id: int, keys: Sequence[str]) -> list[ScopeNode]:
        """The nodes with these host keys that exist in this tenant, by id."""
        if not keys:
            return []
        dialect = self._uow.dialect
        return self._m.from_rows(
            self._execute(
                self._m.by_keys(dialect),
                {"_tenant": tenant_id, "_keys": keys_parameter(dialect, list(set(keys)))},
            ).all()
        )


def _joined_reader(
    left: TableMapping[Any], right: TableMapping[Any]
) -> Callable[[Iterable[Sequence[Any]]], list[tuple[Any, Any]]]:
    """``rows -> [(left record, right record)]`` for rows of *left*'s then *right*'s columns."""
    width = len(left.names)

    def read(result: Iterable[Sequence[Any]]) -> list[tuple[Any, Any]]:
        rows = list(result)
        lefts = left.from_rows(row[:width] for row in rows)
        rights = right.from_rows(row[width:] for row in rows)
        return list(zip(lefts, rights, strict=True))

    return read


def _held_statements(*, one_user: bool = False) -> tuple[Select[Any], Select[Any]]:
    """(memberships with their groups, grants held by users or their groups with their roles).

    The users are bound as the list ``_users``, or (*one_user*, a request's
    case) as the one id ``_user``: no list to expand into the SQL on each call.
    """
    m, g = MAPPINGS["memberships"], MAPPINGS["groups"]
    gr, r = MAPPINGS["grants"], MAPPINGS["roles"]
    mt, gt, grt, rt = m.table.c, g.table.c, gr.table.c, r.table.c

    def of_users(column: Any) -> ColumnElement[bool]:
        if one_user:
            return cast(ColumnElement[bool], column == bindparam("_user"))
        users: BindParameter[Any] = bindparam("_users", expanding=True)
        return cast(ColumnElement[bool], column.in_(users))

    with_groups = (
        select(*m.columns, *g.columns)
        .join_from(m.table, g.table, (gt.id == mt.group_id) & (gt.tenant_id == mt.tenant_id))
        .where(mt.tenant_id == bindparam("_tenant"), of_users(mt.user_id))
        .order_by(mt.id)
    )
    groups_of_users = select(mt.group_id).where(
        mt.tenant_id == bindparam("_tenant"), of_users(mt.user_id)
    )
    held = (
        select(*gr.columns, *r.columns)
        .join_from(gr.table, r.table, (rt.id == grt.role_id) & (rt.tenant_id == grt.tenant_id))
        .where(
            grt.tenant_id == bindparam("_tenant"),
            of_users(grt.user_id) | grt.group_id.in_(groups_of_users.scalar_subquery()),
        )
        .order_by(grt.id)
    )
    return with_groups, held


_WITH_GROUPS, _HELD = _held_statements()
_READ_WITH_GROUPS = _joined_reader(MAPPINGS["memberships"], MAPPINGS["groups"])
_READ_HELD = _joined_reader(MAPPINGS["grants"], MAPPINGS["roles"])


class MembershipRepository(SqlRepository[Membership]):
    """Group memberships, and a user's groups in one statement."""

    def with_groups(
        self, tenant_id: int, user_ids: Sequence[int]
    ) -> list[tuple[Membership, Group]]:
        """The users' memberships, each with its group (one joined ``SELECT``)."""
        if not user_ids:
            return []
        rows = self._execute(_WITH_GROUPS, {"_tenant": tenant_id, "_users": list(user_ids)})
        return _READ_WITH_GROUPS(rows.all())


def _access_statement(dialect: str, *, one_user: bool) -> Select[Any]:
    """:meth:`GrantRepository.access_of` as one ``UNION ALL``: what the users hold, with
    each grant's role and organization node, then their memberships with their groups.

    Both parts have the same columns: a tag, then the grant, role, organization,
    membership and group columns, typed NULLs where a part has none.
    """
    gr, r, o = MAPPINGS["grants"], MAPPINGS["roles"], MAPPINGS["scopes"]
    m, g = MAPPINGS["memberships"], MAPPINGS["groups"]
    with_groups, held = _held_statements(one_user=one_user)
    held_part = held.order_by(None).subquery()
    groups_part = with_groups.order_by(None).subquery()
    org = o.table.alias("org")
    grant_path = held_part.c.scope_path
    # The organization's path is the grant path's first segment: "/org:12/".
    position = func.strpos if dialect == "postgresql" else func.instr
    org_path = func.substr(grant_path, 1, position(func.substr(grant_path, 2), "/") + 1)

    def nulls(mapping: TableMapping[Any]) -> list[Any]:
        return [type_coerce(null(), c.type) for c in mapping.columns]

    holding = select(
        literal_column("'g'"), *held_part.c, *(org.c[n] for n in o.names), *nulls(m), *nulls(g)
    ).outerjoin_from(
        held_part, org,
        (org.c.tenant_id == held_part.c.tenant_id)
        & org.c.parent_id.is_(None)
        & (org.c.path == org_path),
    )
    belonging = select(
        literal_column("'m'"), *nulls(gr), *nulls(r), *nulls(o), *groups_part.c
    )
    return union_all(holding, belonging)  # type: ignore[return-value]


_ACCESS: dict[tuple[str, bool], Select[Any]] = {}
_WIDTHS = tuple(
    len(MAPPINGS[name].names) for name in ("grants", "roles", "scopes", "memberships", "groups")
)


def _read_access(rows: Iterable[Sequence[Any]]) -> HeldAccess:
    g, r, o = _WIDTHS[:3]
    held, organizations, memberships = [], {}, []
    for row in rows:
        if row[0] == "g":
            held.append(row[1 : 1 + g + r])
            if row[1 + g + r] is not None:
                organizations[row[1 + g + r]] = row[1 + g + r : 1 + g + r + o]
        else:
            memberships.append(row[1 + g + r + o :])
    held.sort(key=lambda row: row[0])
    memberships.sort(key=lambda row: row[0])
    return HeldAccess(
        memberships=tuple(_READ_WITH_GROUPS(memberships)),
        held=tuple(_READ_HELD(held)),
        organizations=tuple(
            MAPPINGS["scopes"].from_rows(organizations[i] for i in sorted(organizations))
        ),
    )


class GrantRepository(SqlRepository[Grant]):
    """Grants, and what users hold (directly or through a group) in one statement."""

    def held_by(self, tenant_id: int, user_ids: Sequence[int]) -> list[tuple[Grant, Role]]:
        """The grants of the users and of their groups, each with its role (one ``SELECT``)."""
        if not user_ids:
            return []
        rows = self._execute(_HELD, {"_tenant": tenant_id, "_users": list(user_ids)})
        return _READ_HELD(rows.all())

    def access_of(self, tenant_id: int, user_ids: Sequence[int]) -> HeldAccess:
        """Memberships with groups, grants with roles and their organizations: one ``SELECT``."""
        if not user_ids:
            return HeldAccess()
        users = list(dict.fromkeys(user_ids))
        key = (self._uow.dialect, len(users) == 1)
        stmt = _ACCESS.get(key)
        if stmt is None:
            stmt = _ACCESS[key] = _access_statement(key[0], one_user=key[1])
        params: dict[str, Any] = {"_tenant": tenant_id}
        if key[1]:
            params["_user"] = users[0]
        else:
            params["_users"] = users
        return _read_access(self._execute(stmt, params).all())


class UserRepository(SqlRepository[User]):
    """Portal users."""

    def get_by_email(self, tenant_id: int, email: str) -> User | None:
        """The user with this (normalized) email, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(table.c.tenant_id == tenant_id, table.c.email == email)
        found = self._m.from_rows(self._execute(stmt).all())
        return found[0] if found else None

    def lock(self, tenant_id: int, ids: Sequence[int]) -> list[User]:
        """The users with these ids, by id, locked until the unit ends (FOR UPDATE;
        SQLAlchemy renders nothing on SQLite, whose writer lock serializes already)."""
        if not ids:
            return []
        table = self._m.table
        stmt = (
            self._m.select_all.where(table.c.tenant_id == tenant_id, table.c.id.in_(set(ids)))
            .order_by(table.c.id)
            .with_for_update()
        )
        return self._m.from_rows(self._execute(stmt).all())

    def add_or_activate(self, user: User, existing_id: int | None) -> User | None:
        """Store *user*, or activate the passwordless user *existing_id* with its email
        (see the port): ``INSERT … ON CONFLICT (tenant_id, email) DO UPDATE SET
        password_hash, security_stamp WHERE id = :existing AND password_hash IS NULL
        RETURNING …``, one statement whichever happens."""
        dialect = self._uow.dialect
        stmt = _ADD_OR_ACTIVATE.get(dialect)
        if stmt is None:
            stmt = _ADD_OR_ACTIVATE.setdefault(dialect, _add_or_activate(dialect))
        params = self._m.to_row(user)
        params["_existing"] = existing_id
        found = self._m.from_rows(self._write(stmt, params).all())
        return found[0] if found else None


#: :meth:`UserRepository.add_or_activate`'s statement, per dialect.
_ADD_OR_ACTIVATE: dict[str, Executable] = {}


def _add_or_activate(dialect: str) -> Executable:
    ins: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

        ins = pg_insert(MAPPINGS["users"].table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

        ins = sqlite_insert(MAPPINGS["users"].table)
    mapping = MAPPINGS["users"]
    c = mapping.table.c
    stmt: Executable = ins.on_conflict_do_update(
        index_elements=[c.tenant_id, c.email],
        set_={
            "password_hash": ins.excluded.password_hash,
            "security_stamp": ins.excluded.security_stamp,
        },
        where=(c.id == bindparam("_existing")) & c.password_hash.is_(None),
    ).returning(*mapping.columns)
    return stmt


class NamedRepository(SqlRepository[E]):
    """Roles and groups: unique by name within a tenant."""

    def get_by_name(self, tenant_id: int, name: str) -> E | None:
        """The record called *name*, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(table.c.tenant_id == tenant_id, table.c.name == name)
        found = self._m.from_rows(self._execute(stmt).all())
        return found[0] if found else None


class OutboxRepository(SqlRepository[OutboxEvent]):
    """Events waiting for the host."""

    def pending(self, limit: int) -> list[OutboxEvent]:
        """Undelivered events of every tenant, oldest first."""
        table = self._m.table
        stmt = (
            self._m.select_all.where(table.c.delivered_at.is_(None))
            .order_by(table.c.id)
            .limit(limit)
        )
        return self._m.from_rows(self._execute(stmt).all())

    def mark_delivered(self, ids: Sequence[int], at: dt.datetime) -> int:
        """Acknowledge events; returns how many were still pending."""
        if not ids:
            return 0
        table = self._m.table
        stmt = (
            update(table)
            .where(table.c.id.in_(list(set(ids))), table.c.delivered_at.is_(None))
            .values(delivered_at=at)
        )
        return int(self._write(stmt).rowcount)


class MailQueueRepository(SqlRepository[QueuedMail]):
    """Composed mail waiting to be sent."""

    def due(self, now: dt.datetime, limit: int) -> list[QueuedMail]:
        """Pending messages whose next attempt is due, oldest first.

        On PostgreSQL rows another drainer holds are skipped (``FOR UPDATE
        SKIP LOCKED``) rather than waited for; :meth:`claim` decides anyway.
        """
        table = self._m.table
        stmt = (
            self._m.select_all.where(
                table.c.sent_at.is_(None),
                table.c.failed_at.is_(None),
                table.c.next_attempt_at <= now,
            )
            .order_by(table.c.id)
            .limit(limit)
        )
        if self._uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return self._m.from_rows(self._execute(stmt).all())

    def claim(self, mail: QueuedMail, *, until: dt.datetime) -> bool:
        """Take *mail* for one attempt; one conditional update, so one drainer wins."""
        table = self._m.table
        stmt = (
            update(table)
            .where(
                table.c.id == mail.id,
                table.c.attempts == mail.attempts,
                table.c.sent_at.is_(None),
                table.c.failed_at.is_(None),
            )
            .values(attempts=mail.attempts + 1, next_attempt_at=until)
        )
        return int(self._write(stmt).rowcount) == 1


_settings_converter = make_converter()
_TENANT = _table(tables.TenantRow)


#: The tenants table (its rows: :func:`tenant_from_row`).
TENANT_TABLE = _TENANT


def tenant_from_row(row: Sequence[Any]) -> Tenant:
    """The tenant of a row of (id, slug, name, settings)."""
    id_, slug, name, settings = row
    return Tenant(
        id=id_,
        slug=slug,
        name=name,
        settings=_settings_converter.structure(settings, TenantSettings),
    )


class TenantRepository(_Base):
    """The tenants of this installation; settings are stored as one JSON document."""

    def _from_row(self, row: Sequence[Any]) -> Tenant:
        return tenant_from_row(row)

    def _select(self) -> Select[Any]:
        t = _TENANT.c
        return select(t.id, t.slug, t.name, t.settings)

    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; raises ConflictError if the slug is taken."""
        try:
            result = self._write(
                insert(_TENANT),
                {
                    "slug": tenant.slug,
                    "name": tenant.name,
                    "settings": _settings_converter.unstructure(tenant.settings),
                },
            )
        except ConflictError as exc:
            raise ConflictError("A tenant with this slug exists.") from exc
        return attrs.evolve(tenant, id=result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, id: int) -> Tenant | None:
        """The tenant with *id*, or None."""
        row = self._execute(self._select().where(_TENANT.c.id == id)).first()
        return self._from_row(row) if row is not None else None

    def get_by_slug(self, slug: str) -> Tenant | None:
        """The tenant with *slug*, or None."""
        row = self._execute(self._select().where(_TENANT.c.slug == slug)).first()
        return self._from_row(row) if row is not None else None

    def update(self, tenant: Tenant) -> None:
        """Replace a tenant's slug, name and settings."""
        stmt = (
            update(_TENANT)
            .where(_TENANT.c.id == tenant.id)
            .values(
                slug=tenant.slug,
                name=tenant.name,
                settings=_settings_converter.unstructure(tenant.settings),
            )
        )
        if self._write(stmt).rowcount == 0:
            raise NotFoundError()

    def list(self) -> list[Tenant]:
        """Every tenant, by id."""
        return [self._from_row(r) for r in self._execute(self._select().order_by(_TENANT.c.id))]
