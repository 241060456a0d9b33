"""Repositories of the documents capability over SQLAlchemy Core.

Share links, the default account ledger (balances, contracts, items out) and
defects reuse the generic :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`
with their own :class:`~portalkit.adapters.sqlalchemy.repositories.TableMapping`.
:class:`ListedRepository` serves the customer lists (documents, jobs, assets,
defects) with cached statements.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select

from portalkit.adapters.sqlalchemy import document_tables as dtables
from portalkit.adapters.sqlalchemy.compiler import compile_filter, compile_order_by, parameterize
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.filters import TRUE, Filter
from portalkit.domain.shares import ShareLink

__all__ = ["DOCUMENT_MAPPINGS", "ListedRepository", "ShareLinkRepository"]


class _Record(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


E = TypeVar("E", bound=_Record)

#: Distinct list statements kept per process.
_STATEMENT_CACHE = 2048


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


DOCUMENT_MAPPINGS: dict[str, TableMapping[Any]] = {
    "share_links": TableMapping(ShareLink, _table(dtables.ShareLinkRow)),
    "account_balances": TableMapping(AccountBalance, _table(dtables.AccountBalanceRow)),
    "contracts": TableMapping(Contract, _table(dtables.ContractRow), path_field="scope_path"),
    "defects": TableMapping(Defect, _table(dtables.DefectRow), path_field="scope_path"),
}


class ShareLinkRepository(SqlRepository[ShareLink]):
    """Share links, found by the keyed hash of their secret."""

    def get_by_secret_hash(self, tenant_id: int, secret_hash: str) -> ShareLink | None:
        """The link whose secret hashes to *secret_hash*, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(
            table.c.tenant_id == tenant_id, table.c.secret_hash == secret_hash
        )
        found = self._m.from_rows(self._execute(stmt))
        return found[0] if found else None


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


class ListedRepository(SqlRepository[E]):
    """A repository whose ``find``/``count`` statements are built once per distinct query.

    Customer lists ask the same question again and again (the first page of a
    principal's documents); building and cache-keying a SQLAlchemy statement
    costs more than running it on an indexed page, so the statement for a
    (filter shape, order, limit) is kept in an LRU cache, with the tenant and
    the filter's values bound as parameters (:func:`~portalkit.adapters.
    sqlalchemy.compiler.parameterize`): a lookup with a new key reuses the
    statement. Filter specs are immutable and hashable, so the key is exact; an
    unhashable one is simply not cached.
    """

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
            return super().find(tenant_id, where, order_by=order_by, limit=limit)
        return self._m.from_rows(self._execute(stmt, {**params, "tenant_id": tenant_id}).all())

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        """How many records of this tenant match *where*."""
        shape, params = parameterize(where)
        try:
            stmt = _count_statement(self._m, shape)
        except TypeError:
            return super().count(tenant_id, where)
        return int(self._execute(stmt, {**params, "tenant_id": tenant_id}).scalar_one())
