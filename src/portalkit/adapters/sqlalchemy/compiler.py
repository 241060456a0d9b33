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

import attrs
from sqlalchemy import JSON, ColumnElement, Table, and_, bindparam, false, not_, or_, true
from sqlalchemy.sql.elements import UnaryExpression

from portalkit.domain.filters import And, Eq, Filter, In, Not, Or, Range, ScopeUnder
from portalkit.domain.scopes import path_upper_bound
from portalkit.errors import InvalidInputError

__all__ = ["Slot", "compile_filter", "compile_order_by", "parameterize", "unknown_field"]


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
        return _guard(column, column == _bound(column, spec.value))
    if isinstance(spec, In):
        values = [v for v in spec.values if v is not None]
        if not values:
            return false()
        if len(values) == 1 and isinstance(values[0], Slot):
            return _guard(column, column.in_(_bound(column, values[0])))
        return _guard(column, column.in_(values))
    if isinstance(spec, ScopeUnder):
        return _guard(column, and_(column >= spec.path, column < path_upper_bound(spec.path)))
    # Range
    bounds: list[ColumnElement[bool]] = []
    if spec.low is not None:
        low = _bound(column, spec.low)
        bounds.append(column >= low if spec.include_low else column > low)
    if spec.high is not None:
        high = _bound(column, spec.high)
        bounds.append(column <= high if spec.include_high else column < high)
    if not bounds:
        return column.is_not(None)
    return _guard(column, and_(*bounds))


@attrs.frozen(cache_hash=True)
class Slot:
    """A placeholder for a value bound at execution time (``:p0``, ``:p1`` …)."""

    index: int
    expanding: bool = False

    @property
    def name(self) -> str:
        """The bound parameter's name."""
        return f"p{self.index}"


def _bound(column: ColumnElement[Any], value: Any) -> Any:
    if isinstance(value, Slot):
        return bindparam(value.name, type_=column.type, expanding=value.expanding)
    return value


def parameterize(spec: Filter) -> tuple[Filter, dict[str, Any]]:
    """Split *spec* into its shape (values replaced by :class:`Slot`) and the values.

    Lookups and list pages differ in their values, not in their shape: a
    statement compiled once for the shape serves every call with new
    parameters, and SQLAlchemy's compiled cache sees one statement. Scope
    paths stay in the shape: they belong to the principal's (recurring) policy.
    Equal shapes come back as the same object, so the statement cache finds
    them by identity.
    """
    values: dict[str, Any] = {}

    def slot(value: Any) -> int:
        index = len(values)
        values[f"p{index}"] = value
        return index

    def walk(node: Filter) -> Filter:
        if isinstance(node, (And, Or)):
            if _has_no_values(node):
                return node
            parts = tuple(walk(p) for p in node.parts)
            return _junction_shape(isinstance(node, And), parts)
        if isinstance(node, Not):
            part = walk(node.part)
            return node if part is node.part else _not_shape(part)
        if isinstance(node, Eq):
            return node if node.value is None else _eq_shape(node.field, slot(node.value))
        if isinstance(node, In):
            present = [v for v in node.values if v is not None]
            return _in_shape(node.field, slot(present)) if present else node
        if isinstance(node, Range):
            low = None if node.low is None else slot(node.low)
            high = None if node.high is None else slot(node.high)
            return _range_shape(node.field, low, high, node.include_low, node.include_high)
        return node

    return walk(spec), values


# Shape builders: each returns one object per distinct shape (an interning
# table), so a recurring shape hashes and compares by identity.
_SHAPES = 4096


@functools.lru_cache(maxsize=_SHAPES)
def _eq_shape(field: str, index: int) -> Filter:
    return Eq(field, Slot(index))


@functools.lru_cache(maxsize=_SHAPES)
def _in_shape(field: str, index: int) -> Filter:
    return In(field, (Slot(index, expanding=True),))


@functools.lru_cache(maxsize=_SHAPES)
def _range_shape(
    field: str, low: int | None, high: int | None, include_low: bool, include_high: bool
) -> Filter:
    return Range(
        field,
        None if low is None else Slot(low),
        None if high is None else Slot(high),
        include_low,
        include_high,
    )


@functools.lru_cache(maxsize=_SHAPES)
def _junction_shape(conjunction: bool, parts: tuple[Filter, ...]) -> Filter:
    return And(parts) if conjunction else Or(parts)


@functools.lru_cache(maxsize=_SHAPES)
def _not_shape(part: Filter) -> Filter:
    return Not(part)


#: Value-free subtrees seen so far: a principal's scope filter (an Or of
#: ScopeUnder) is the same object on every call of a request, and finding it
#: here skips walking it. Only positive answers are kept (a lookup's values
#: change with every call); the table is cleared when full.
_VALUE_FREE: dict[Filter, bool] = {}
_VALUE_FREE_MAX = 4096


def _has_no_values(node: Filter) -> bool:
    """True when *node* holds nothing :func:`parameterize` would bind (scope paths only)."""
    try:
        if node in _VALUE_FREE:
            return True
    except TypeError:  # an unhashable value inside: it has values
        return False
    if isinstance(node, (And, Or)):
        free = all(_has_no_values(p) for p in node.parts)
    elif isinstance(node, Not):
        free = _has_no_values(node.part)
    elif isinstance(node, Eq):
        return node.value is None
    elif isinstance(node, In):
        return all(v is None for v in node.values)
    else:
        return not isinstance(node, Range)
    if free:
        if len(_VALUE_FREE) >= _VALUE_FREE_MAX:
            _VALUE_FREE.clear()
        _VALUE_FREE[node] = True
    return free


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
