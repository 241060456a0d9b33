"""Repositories over SQLAlchemy Core: one generic class for every record type.

A :class:`TableMapping` is built once per entity class: the column list, the
prepared statements and the row/entity converters. Per row, a read is one
``zip`` and one constructor call, a write one ``attrgetter`` call; no ORM
objects are loaded and nothing is reflected at run time.

Every method filters by ``tenant_id``; a foreign exception never leaves this
module untranslated (see :mod:`portalkit.adapters.sqlalchemy.translate`).
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import attrs
from cattrs.preconf.json import make_converter
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Executable,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import SQLAlchemyError

from portalkit.adapters.sqlalchemy import tables
from portalkit.adapters.sqlalchemy.compiler import compile_filter, compile_order_by
from portalkit.adapters.sqlalchemy.row_reader import row_reader
from portalkit.adapters.sqlalchemy.translate import translate
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, Filter
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode, child_path, path_upper_bound
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConfigurationError,
    ConflictError,
    DuplicateKeyError,
    InvalidInputError,
    NotFoundError,
)
from portalkit.ports import UpsertCounts

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

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

#: Keys looked up per query when counting which rows an upsert will update.
_KEY_CHUNK = 5000


def _table(model: type[tables.Base]) -> Table:
    return cast(Table, model.__table__)


class _Record(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


E = TypeVar("E", bound=_Record)


class TableMapping(Generic[E]):
    """How one entity class maps onto one table, with its prepared statements."""

    def __init__(self, entity: type[E], table: Table, *, path_field: str | None = None) -> None:
        self.entity = entity
        self.table = table
        self.names: tuple[str, ...] = tuple(f.name for f in attrs.fields(cast(Any, entity)))
        missing = set(self.names) - set(table.c.keys())
        if missing:  # pragma: no cover (a schema bug, caught by the first test run)
            raise ConfigurationError(f"{table.name} lacks columns {sorted(missing)}")
        self.write_names = tuple(n for n in self.names if n != "id")
        self.write_name_set = frozenset(self.write_names)
        self.columns = tuple(table.c[n] for n in self.names)
        self.getter: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*self.write_names)
        self.path_field = path_field
        self.keyed = "external_key" in self.names
        c = table.c
        self.select_all: Select[Any] = select(*self.columns)
        self.insert = insert(table)
        self.get_stmt = self.select_all.where(
            c.tenant_id == bindparam("_tenant"), c.id == bindparam("_id")
        )
        self.update_stmt = (
            update(table)
            .where(c.tenant_id == bindparam("_tenant"), c.id == bindparam("_id"))
            .values({n: bindparam(n) for n in self.write_names if n != "tenant_id"})
        )
        self.delete_stmt = sql_delete(table).where(
            c.tenant_id == bindparam("_tenant"), c.id == bindparam("_id")
        )
        if self.keyed:
            self.by_key_stmt = self.select_all.where(
                c.tenant_id == bindparam("_tenant"), c.external_key == bindparam("_key")
            )
        self._upserts: dict[str, Executable] = {}
        self._by_keys: dict[tuple[str, bool], Select[Any]] = {}
        self._from_rows = row_reader(entity, self.names)

    def to_row(self, entity: E) -> dict[str, Any]:
        """The column values of *entity*, without its id."""
        return dict(zip(self.write_names, self.getter(entity), strict=True))

    def from_rows(self, rows: Iterable[Sequence[Any]]) -> list[E]:
        """Entities from result rows of :attr:`select_all`."""
        return self._from_rows(rows)

    def upsert(self, dialect: str) -> Executable:
        """INSERT … ON CONFLICT (tenant_id, external_key) DO UPDATE, for *dialect*."""
        stmt = self._upserts.get(dialect)
        if stmt is None:
            ins: Any
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

                ins = pg_insert(self.table)
            elif dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

                ins = sqlite_insert(self.table)
            else:
                raise ConfigurationError(f"Bulk upsert is not supported on {dialect}.")
            excluded = ins.excluded
            stmt = ins.on_conflict_do_update(
                index_elements=[self.table.c.tenant_id, self.table.c.external_key],
                set_={
                    n: excluded[n]
                    for n in self.write_names
                    if n not in ("tenant_id", "external_key")
                },
            )
            self._upserts[dialect] = stmt
        return stmt

    def by_keys(self, dialect: str, *, count: bool = False) -> Select[Any]:
        """The tenant's (``_tenant``) records whose external key is in ``_keys``, by id,
        or their count; bind ``_keys`` with :func:`keys_parameter`.

        One array (PostgreSQL) or JSON (SQLite) parameter, not one per key: a
        short statement, built and compiled once however many keys there are.
        """
        stmt = self._by_keys.get((dialect, count))
        if stmt is None:
            c = self.table.c
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import ARRAY  # noqa: PLC0415

                wanted = c.external_key == any_(bindparam("_keys", type_=ARRAY(String())))
            else:
                each = func.json_each(bindparam("_keys", type_=String())).table_valued("value")
                wanted = c.external_key.in_(select(each.c.value))
            where = (c.tenant_id == bindparam("_tenant"), wanted)
            stmt = (
                select(func.count()).select_from(self.table).where(*where)
                if count
                else self.select_all.where(*where).order_by(c.id)
            )
            self._by_keys[(dialect, count)] = stmt
        return stmt


def keys_parameter(dialect: str, keys: Sequence[str]) -> Any:
    """The value of :meth:`TableMapping.by_keys`'s ``_keys`` parameter."""
    return list(keys) if dialect == "postgresql" else json.dumps(list(keys))


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


class _Base:
    """Statement execution with error translation, for every repository."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    def _execute(self, stmt: Executable, params: Any = None) -> CursorResult[Any]:
        try:
            return self._uow.connection.execute(stmt, params)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def _write(self, stmt: Executable, params: Any = None) -> CursorResult[Any]:
        """Execute a write; on PostgreSQL inside a savepoint, so a failed write
        (a unique violation) leaves the unit usable, as it is in SQLite and memory."""
        connection = self._uow.connection
        try:
            if self._uow.uses_savepoints:
                with connection.begin_nested():
                    return connection.execute(stmt, params)
            return connection.execute(stmt, params)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc


class SqlRepository(_Base, Generic[E]):
    """The repository of one record type (every port of :mod:`portalkit.ports`)."""

    def __init__(self, uow: SqlAlchemyUnitOfWork, mapping: TableMapping[E]) -> None:
        super().__init__(uow)
        self._m = mapping

    # Repository ------------------------------------------------------------
    def add(self, entity: E) -> E:
        """Store a new record; its ``id`` is ignored and the stored copy returned."""
        result = self._write(self._m.insert, self._m.to_row(entity))
        new_id = result.inserted_primary_key[0]  # type: ignore[index]
        stored: E = attrs.evolve(cast(Any, entity), id=new_id)
        return stored

    def get(self, tenant_id: int, id: int) -> E | None:
        """The record with *id* in this tenant, or None."""
        rows = self._execute(self._m.get_stmt, {"_tenant": tenant_id, "_id": id}).all()
        return self._m.from_rows(rows)[0] if rows else None

    def update(self, entity: E) -> None:
        """Replace the stored record with the same tenant and id."""
        params = self._m.to_row(entity)
        del params["tenant_id"]
        params["_tenant"] = entity.tenant_id
        params["_id"] = entity.id
        if self._write(self._m.update_stmt, params).rowcount == 0:
            raise NotFoundError()

    def delete(self, tenant_id: int, id: int) -> bool:
        """Remove a record; True if it existed."""
        result = self._write(self._m.delete_stmt, {"_tenant": tenant_id, "_id": id})
        return bool(result.rowcount)

    def _where(self, tenant_id: int, where: Filter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [self._m.table.c.tenant_id == tenant_id]
        if where != TRUE:
            clauses.append(compile_filter(where, self._m.table))
        return clauses

    def find(
        self,
        tenant_id: int,
        where: Filter = TRUE,
        *,
        order_by: Sequence[str] = ("id",),
        limit: int | None = None,
    ) -> list[E]:
        """Records of this tenant matching *where*, in order, at most *limit*."""
        stmt = self._m.select_all.where(*self._where(tenant_id, where)).order_by(
            *compile_order_by(order_by, self._m.table)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return self._m.from_rows(self._execute(stmt).all())

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        """How many records of this tenant match *where*."""
        stmt = select(func.count()).select_from(self._m.table).where(*self._where(tenant_id, where))
        return int(self._execute(stmt).scalar_one())

    # Keyed records ---------------------------------------------------------
    def get_by_external_key(self, tenant_id: int, external_key: str) -> E | None:
        """The record with the host's key, or None."""
        rows = self._execute(
            self._m.by_key_stmt, {"_tenant": tenant_id, "_key": external_key}
        ).all()
        return self._m.from_rows(rows)[0] if rows else None

    def upsert_many(self, tenant_id: int, entities: Sequence[E]) -> UpsertCounts:
        """Insert or update by external key: one executemany of INSERT … ON CONFLICT.

        Raises :class:`~portalkit.errors.DuplicateKeyError` if a key repeats in
        *entities* and :class:`~portalkit.errors.InvalidInputError` if one is
        missing; nothing is written then.
        """
        return self.upsert_rows(tenant_id, [self._m.to_row(e) for e in entities])

    def upsert_rows(self, tenant_id: int, rows: list[dict[str, Any]]) -> UpsertCounts:
        """:meth:`upsert_many` of records given as dicts of every field but ``id``.

        For bulk loads that already hold plain values: the dicts are bound as
        statement parameters as they are (their ``tenant_id`` is set to
        *tenant_id*), so no entity is built per row. A dict with other keys is
        :class:`~portalkit.errors.InvalidInputError`.
        """
        if not rows:
            return UpsertCounts()
        names = self._m.write_name_set
        keys: list[str] = []
        for row in rows:
            if row.keys() != names:
                raise InvalidInputError(
                    f"Each row needs exactly the fields {', '.join(sorted(names))}."
                )
            row["tenant_id"] = tenant_id
            keys.append(row["external_key"])
        check_upsert_keys(keys)
        existing = self._count_existing(tenant_id, keys)
        self._write(self._m.upsert(self._uow.dialect), rows)
        return UpsertCounts(inserted=len(rows) - existing, updated=existing)

    def _count_existing(self, tenant_id: int, keys: Sequence[str]) -> int:
        """How many of *keys* this tenant already has (they will be updated)."""
        dialect = self._uow.dialect
        stmt = self._m.by_keys(dialect, count=True)
        total = 0
        for i in range(0, len(keys), _KEY_CHUNK):
            chunk = keys_parameter(dialect, keys[i : i + _KEY_CHUNK])
            total += int(self._execute(stmt, {"_tenant": tenant_id, "_keys": chunk}).scalar_one())
        return total

    # Scoped records --------------------------------------------------------
    def rewrite_scope_prefix(self, tenant_id: int, old: str, new: str) -> int:
        """Replace the *old* path prefix with *new* below it: one UPDATE statement."""
        table = self._m.table
        column = table.c[self._m.path_field or "scope_path"]
        stmt = (
            update(table)
            .where(
                table.c.tenant_id == tenant_id,
                column >= old,
                column < path_upper_bound(old),
            )
            .values(
                {column.name: literal(new, String()) + func.substr(column, len(old) + 1)}
            )
        )
        return int(self._write(stmt).rowcount)


def check_upsert_keys(keys: Sequence[str | None]) -> None:
    """Raise unless every key is present and unique within one batch."""
    if any(k is None for k in keys):
        raise InvalidInputError.for_field("external_key", "Every record needs an external key.")
    if len(set(keys)) != len(keys):
        dupes = sorted(str(k) for k, n in Counter(keys).items() if n > 1)
        raise DuplicateKeyError(dupes)


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
        table = self._m.table
        found = {
            n.id: n
            for n in self._m.from_rows(
                self._execute(
                    self._m.select_all.where(
                        table.c.tenant_id == tenant_id, table.c.id.in_(list(set(ids)))
                    )
                )
            )
        }
        return [found[i] for i in dict.fromkeys(ids) if i in found]

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


def _held_statements() -> tuple[Select[Any], Select[Any]]:
    """(memberships with their groups, grants held by users or their groups with their roles)."""
    m, g = MAPPINGS["memberships"], MAPPINGS["groups"]
    gr, r = MAPPINGS["grants"], MAPPINGS["roles"]
    mt, gt, grt, rt = m.table.c, g.table.c, gr.table.c, r.table.c
    users: BindParameter[Any] = bindparam("_users", expanding=True)
    with_groups = (
        select(*m.columns, *g.columns)
        .join_from(m.table, g.table, (gt.id == mt.group_id) & (gt.tenant_id == mt.tenant_id))
        .where(mt.tenant_id == bindparam("_tenant"), mt.user_id.in_(users))
        .order_by(mt.id)
    )
    groups_of_users = select(mt.group_id).where(
        mt.tenant_id == bindparam("_tenant"), mt.user_id.in_(users)
    )
    held = (
        select(*gr.columns, *r.columns)
        .join_from(gr.table, r.table, (rt.id == grt.role_id) & (rt.tenant_id == grt.tenant_id))
        .where(
            grt.tenant_id == bindparam("_tenant"),
            grt.user_id.in_(users) | grt.group_id.in_(groups_of_users.scalar_subquery()),
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


class GrantRepository(SqlRepository[Grant]):
    """Grants, and what users hold (directly or through a group) in one statement."""

    def held_by(self, tenant_id: int, user_ids: Sequence[int]) -> list[tuple[Grant, Role]]:
        """The grants of the users and of their groups, each with its role (one ``SELECT``)."""
        if not user_ids:
            return []
        rows = self._execute(_HELD, {"_tenant": tenant_id, "_users": list(user_ids)})
        return _READ_HELD(rows.all())


class UserRepository(SqlRepository[User]):
    """Portal users."""

    def get_by_email(self, tenant_id: int, email: str) -> User | None:
        """The user with this (normalized) email, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(table.c.tenant_id == tenant_id, table.c.email == email)
        found = self._m.from_rows(self._execute(stmt).all())
        return found[0] if found else None


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
