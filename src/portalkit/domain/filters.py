"""Filter specifications: a rule written once, as data.

A rule that must hold both in Python and inside the database (scope
containment, document visibility, search) is stated as a tree of these small
frozen objects. The memory adapter evaluates it with :func:`evaluate`; the
SQLAlchemy adapter compiles the same tree into a WHERE clause. Property tests
hold the two equal, so the rule cannot drift between them.

Semantics are two-valued: a comparison with a missing (``None``) field value is
false, never unknown, and :class:`Not` is plain negation. ``Eq(f, None)`` tests
that the field is missing. The SQL compiler guards nullable columns so that it
gives the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

import attrs

from portalkit.domain.scopes import validate_path

__all__ = [
    "FALSE",
    "TRUE",
    "And",
    "Eq",
    "Filter",
    "In",
    "Not",
    "Or",
    "Range",
    "Scalar",
    "ScopeUnder",
    "all_of",
    "any_of",
    "evaluate",
    "fields_of",
]

Scalar: TypeAlias = "str | int | bool | dt.date | dt.datetime | None"


def _parts(parts: Iterable[Filter]) -> tuple[Filter, ...]:
    return tuple(parts)


def _tuple_of_scalars(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))  # keep order, drop duplicates


@attrs.frozen(cache_hash=True)
class Eq:
    """``field == value``; with ``value=None``, "field is missing"."""

    field: str
    value: Any


@attrs.frozen(cache_hash=True)
class In:
    """``field`` is one of ``values`` (an empty tuple matches nothing)."""

    field: str
    values: tuple[Any, ...] = attrs.field(converter=_tuple_of_scalars)


@attrs.frozen(cache_hash=True)
class Range:
    """``low <= field < high`` by default; either bound may be None (open).

    Meant for numbers, dates and datetimes, whose order is the same in Python
    and in every database.
    """

    field: str
    low: Any = None
    high: Any = None
    include_low: bool = True
    include_high: bool = False


@attrs.frozen(cache_hash=True)
class ScopeUnder:
    """The record's scope path is *path* or lies below it."""

    path: str = attrs.field(validator=lambda _i, _a, v: validate_path(v))
    field: str = "scope_path"


@attrs.frozen(cache_hash=True)
class And:
    """All parts hold. ``And(())`` is :data:`TRUE`."""

    parts: tuple[Filter, ...] = attrs.field(converter=_parts)


@attrs.frozen(cache_hash=True)
class Or:
    """At least one part holds. ``Or(())`` is :data:`FALSE`."""

    parts: tuple[Filter, ...] = attrs.field(converter=_parts)


@attrs.frozen(cache_hash=True)
class Not:
    """The part does not hold."""

    part: Filter


Filter: TypeAlias = "Eq | In | Range | ScopeUnder | And | Or | Not"

#: Matches every record.
TRUE: Filter = And(())
#: Matches no record.
FALSE: Filter = Or(())


def all_of(*parts: Filter) -> Filter:
    """``And`` of *parts*, flattened, with TRUE dropped and FALSE absorbing."""
    flat: list[Filter] = []
    for part in parts:
        if isinstance(part, And):
            flat.extend(part.parts)
        elif isinstance(part, Or) and not part.parts:
            return FALSE
        else:
            flat.append(part)
    return flat[0] if len(flat) == 1 else And(flat)


def any_of(*parts: Filter) -> Filter:
    """``Or`` of *parts*, flattened, with FALSE dropped and TRUE absorbing."""
    flat: list[Filter] = []
    for part in parts:
        if isinstance(part, Or):
            flat.extend(part.parts)
        elif isinstance(part, And) and not part.parts:
            return TRUE
        else:
            flat.append(part)
    return flat[0] if len(flat) == 1 else Or(flat)


def fields_of(spec: Filter) -> frozenset[str]:
    """Every field name the specification reads."""
    if isinstance(spec, (And, Or)):
        return frozenset().union(*(fields_of(p) for p in spec.parts))
    if isinstance(spec, Not):
        return fields_of(spec.part)
    return frozenset({spec.field})


def _at_least(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value >= bound) if inclusive else bool(value > bound)


def _at_most(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value <= bound) if inclusive else bool(value < bound)


def evaluate(spec: Filter, record: object, get: Callable[[object, str], Any] = getattr) -> bool:
    """Evaluate *spec* against one record (an attrs instance, or any object).

    *get* reads a field; pass ``lambda r, f: r[f]`` for mappings.
    """
    if isinstance(spec, And):
        return all(evaluate(p, record, get) for p in spec.parts)
    if isinstance(spec, Or):
        return any(evaluate(p, record, get) for p in spec.parts)
    if isinstance(spec, Not):
        return not evaluate(spec.part, record, get)
    value = get(record, spec.field)
    if isinstance(spec, Eq):
        if spec.value is None:
            return value is None
        return value is not None and bool(value == spec.value)
    if isinstance(spec, In):
        return value is not None and value in spec.values
    if isinstance(spec, ScopeUnder):
        return isinstance(value, str) and value.startswith(spec.path)
    # Range
    if value is None:
        return False
    if spec.low is not None and not _at_least(value, spec.low, spec.include_low):
        return False
    return spec.high is None or _at_most(value, spec.high, spec.include_high)
