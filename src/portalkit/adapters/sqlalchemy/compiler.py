"""Compile filter specifications (:mod:`portalkit.domain.filters`) to SQL.

The compiled clause gives exactly the answers of
:func:`portalkit.domain.filters.evaluate` (a property test holds them equal on
SQLite and PostgreSQL). SQL's third truth value is kept out: every comparison
on a nullable column is guarded with ``IS NOT NULL``, so each compiled leaf is
TRUE or FALSE, never NULL, and ``NOT`` is plain negation as in Python.

:class:`~portalkit.domain.filters.ScopeUnder` compiles to the range
``path >= prefix AND path < path_upper_bound(prefix)``: a B-tree index on
``(tenant_id, scope_path)`` serves it, and, unlike ``LIKE``, it needs no
escaping of ``%`` or ``_``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, and_, false, not_, or_, true
from sqlalchemy.sql.elements import UnaryExpression

from portalkit.domain.filters import And, Eq, Filter, In, Not, Or, ScopeUnder
from portalkit.domain.scopes import path_upper_bound
from portalkit.errors import InvalidInputError

__all__ = ["compile_filter", "compile_order_by", "unknown_field"]


def unknown_field(name: str) -> InvalidInputError:
    """The error for a filter or sort field the record type does not have."""
    return InvalidInputError(f"Unknown field {name!r}.", fields={name: "Unknown field."})


def _column(table: Table, name: str) -> ColumnElement[Any]:
    column = table.c.get(name)
    if column is None or isinstance(column.type, JSON) or _is_json(column.type):
        raise unknown_field(name)
    return column


def _is_json(type_: Any) -> bool:
    impl = getattr(type_, "impl", None)
    return isinstance(impl, JSON) or (isinstance(impl, type) and issubclass(impl, JSON))


def _guard(column: ColumnElement[Any], clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """``column IS NOT NULL AND clause`` where the column may hold NULL."""
    if getattr(column, "nullable", True):
        return and_(column.is_not(None), clause)
    return clause


def compile_filter(spec: Filter, table: Table) -> ColumnElement[bool]:
    """A boolean clause over *table* that holds exactly where ``evaluate(spec)`` does.

    Raises :class:`~portalkit.errors.InvalidInputError` for a field the table
    does not have (or cannot compare, like JSON columns).
    """
    # A principal's scope filter (an Or of ScopeUnder) recurs on every request
    # while its lookup values change: cache those subtrees, not the one-offs.
    if isinstance(spec, (Or, ScopeUnder)):
        try:
            return _compile_cached(spec, table)
        except TypeError:  # an unhashable value inside: compile it afresh
            pass
    return _compile(spec, table)


@functools.lru_cache(maxsize=2048)
def _compile_cached(spec: Filter, table: Table) -> ColumnElement[bool]:
    return _compile(spec, table)


def _compile(spec: Filter, table: Table) -> ColumnElement[bool]:
    if isinstance(spec, And):
        if not spec.parts:
            return true()
        return and_(*(compile_filter(p, table) for p in spec.parts))
    if isinstance(spec, Or):
        if not spec.parts:
            return false()
        return or_(*(compile_filter(p, table) for p in spec.parts))
    if isinstance(spec, Not):
        return not_(compile_filter(spec.part, table))
    column = _column(table, spec.field)
    if isinstance(spec, Eq):
        if spec.value is None:
            return column.is_(None)
        return _guard(column, column == spec.value)
    if isinstance(spec, In):
        values = [v for v in spec.values if v is not None]
        if not values:
            return false()
        return _guard(column, column.in_(values))
    if isinstance(spec, ScopeUnder):
        return _guard(
            column, and_(column >= spec.path, column < path_upper_bound(spec.path))
        )
    # Range
    bounds: list[ColumnElement[bool]] = []
    if spec.low is not None:
        bounds.append(column >= spec.low if spec.include_low else column > spec.low)
    if spec.high is not None:
        bounds.append(column <= spec.high if spec.include_high else column < spec.high)
    if not bounds:
        return column.is_not(None)
    return _guard(column, and_(*bounds))


def compile_order_by(order_by: Sequence[str], table: Table) -> list[UnaryExpression[Any]]:
    """ORDER BY terms for field names (``"-name"`` descends), NULLs last both ways.

    ``id`` is appended when missing so the order is total and stable.
    """
    terms: list[UnaryExpression[Any]] = []
    seen_id = False
    for name in order_by:
        descending = name.startswith("-")
        field = name[1:] if descending else name
        seen_id = seen_id or field == "id"
        column = _column(table, field)
        term = column.desc() if descending else column.asc()
        if getattr(column, "nullable", True) and not getattr(column, "primary_key", False):
            term = term.nulls_last()
        terms.append(term)
    if not seen_id:
        terms.append(table.c.id.asc())
    return terms
