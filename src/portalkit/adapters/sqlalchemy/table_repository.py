"""The generic SQL repository: one table, its row mapping, filters, pages, upserts.

Every repository of the SQLAlchemy adapter is a :class:`SqlRepository` over a
:class:`TableMapping`; :mod:`portalkit.adapters.sqlalchemy.repositories`
re-exports both.
"""

from __future__ import annotations

import functools
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import attrs
from sqlalchemy import (
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
from portalkit.adapters.sqlalchemy.compiler import (
    compile_filter,
    compile_order_by,
    parameterize,
)
from portalkit.adapters.sqlalchemy.row_reader import row_reader
from portalkit.adapters.sqlalchemy.translate import translate
from portalkit.domain.filters import TRUE, Filter
from portalkit.domain.scopes import path_upper_bound
from portalkit.errors import (
    ConfigurationError,
    DuplicateKeyError,
    InvalidInputError,
    NotFoundError,
)
from portalkit.ports import UpsertCounts

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork


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


_STATEMENT_CACHE = 2048


@functools.lru_cache(maxsize=_STATEMENT_CACHE)
def _find_statement(
    mapping: TableMapping[Any],
    where: Filter,
    order_by: tuple[str, ...],
    limit: int | None,
) -> Select[Any]:
    table = mapping.table
    clauses: list[ColumnElement[bool]] = [table.c.tenant_id == bindparam("tenant_id")]
    if where != TRUE:
        clauses.append(compile_filter(where, table))
    stmt = mapping.select_all.where(*clauses).order_by(*compile_order_by(order_by, table))
    return stmt if limit is None else stmt.limit(limit)


@functools.lru_cache(maxsize=_STATEMENT_CACHE)
def _count_statement(mapping: TableMapping[Any], where: Filter) -> Select[Any]:
    table = mapping.table
    clauses: list[ColumnElement[bool]] = [table.c.tenant_id == bindparam("tenant_id")]
    if where != TRUE:
        clauses.append(compile_filter(where, table))
    return select(func.count()).select_from(table).where(*clauses)


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

    # Every page asks the same questions again and again (an asset's jobs, the
    # first page of a principal's documents); building and cache-keying a
    # SQLAlchemy statement costs more than running it on an index, so the
    # statement for a (filter shape, order, limit) is built once, with the
    # tenant and the filter's values bound as parameters (see
    # compiler.parameterize). Filter specs are immutable and hashable, so the
    # key is exact; an unhashable one is built afresh.
    def find(
        self,
        tenant_id: int,
        where: Filter = TRUE,
        *,
        order_by: Sequence[str] = ("id",),
        limit: int | None = None,
    ) -> list[E]:
        """Records of this tenant matching *where*, in order, at most *limit*."""
        shape, params = parameterize(where)
        try:
            stmt = _find_statement(self._m, shape, tuple(order_by), limit)
        except TypeError:  # an unhashable value inside the filter
            stmt = self._m.select_all.where(*self._where(tenant_id, where)).order_by(
                *compile_order_by(order_by, self._m.table)
            )
            if limit is not None:
                stmt = stmt.limit(limit)
            return self._m.from_rows(self._execute(stmt).all())
        return self._m.from_rows(self._execute(stmt, {**params, "tenant_id": tenant_id}).all())

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        """How many records of this tenant match *where*."""
        shape, params = parameterize(where)
        try:
            stmt = _count_statement(self._m, shape)
        except TypeError:
            stmt = (
                select(func.count()).select_from(self._m.table)
                .where(*self._where(tenant_id, where))
            )
            return int(self._execute(stmt).scalar_one())
        return int(self._execute(stmt, {**params, "tenant_id": tenant_id}).scalar_one())

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
