"""Compile filter specifications (:mod:`portalkit.domain.filters`) to Django ``Q`` objects.

The compiled ``Q`` gives exactly the answers of
:func:`portalkit.domain.filters.evaluate`, like the SQLAlchemy compiler: every
comparison on a nullable column is guarded with ``isnull=False``, so each leaf
is TRUE or FALSE, never SQL's unknown, and ``~`` is plain negation.
:class:`~portalkit.domain.filters.ScopeUnder` becomes the index-friendly range
``path__gte=prefix, path__lt=path_upper_bound(prefix)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db.models import F, OrderBy, Q

from portalkit.contrib.django.values import to_db
from portalkit.domain.filters import And, Eq, Filter, In, Not, Or, ScopeUnder
from portalkit.domain.scopes import path_upper_bound
from portalkit.errors import InvalidInputError

__all__ = ["ALWAYS", "NEVER", "compile_filter", "compile_order_by", "unknown_field"]

#: A condition true on every row (the primary key is never NULL); ``Q()`` is
#: not usable here: Django drops an empty ``Q`` from ``|`` and ``~``.
ALWAYS = Q(pk__isnull=False)
#: A condition true on no row.
NEVER = Q(pk__isnull=True)


def unknown_field(name: str) -> InvalidInputError:
    """The error for a filter or sort field the record type does not have."""
    return InvalidInputError(f"Unknown field {name!r}.", fields={name: "Unknown field."})


def _nullable(columns: Mapping[str, bool], name: str) -> bool:
    try:
        return columns[name]
    except KeyError:
        raise unknown_field(name) from None


def _guard(name: str, nullable: bool, clause: Q) -> Q:
    return clause & Q(**{f"{name}__isnull": False}) if nullable else clause


def compile_filter(spec: Filter, columns: Mapping[str, bool]) -> Q:
    """A ``Q`` that holds exactly where ``evaluate(spec)`` does.

    *columns* maps each comparable field to whether it may be NULL; any other
    field raises :class:`~portalkit.errors.InvalidInputError`.
    """
    if isinstance(spec, And):
        result = ALWAYS
        for part in spec.parts:
            result &= compile_filter(part, columns)
        return result
    if isinstance(spec, Or):
        if not spec.parts:
            return NEVER
        result = compile_filter(spec.parts[0], columns)
        for part in spec.parts[1:]:
            result |= compile_filter(part, columns)
        return result
    if isinstance(spec, Not):
        return ~compile_filter(spec.part, columns)
    name = spec.field
    nullable = _nullable(columns, name)
    if isinstance(spec, Eq):
        if spec.value is None:
            return Q(**{f"{name}__isnull": True}) if nullable else NEVER
        return _guard(name, nullable, Q(**{name: to_db(spec.value)}))
    if isinstance(spec, In):
        values = [to_db(v) for v in spec.values if v is not None]
        if not values:
            return NEVER
        return _guard(name, nullable, Q(**{f"{name}__in": values}))
    if isinstance(spec, ScopeUnder):
        bounds = {f"{name}__gte": spec.path, f"{name}__lt": path_upper_bound(spec.path)}
        return _guard(name, nullable, Q(**bounds))
    # Range
    lookups = {}
    if spec.low is not None:
        lookups[f"{name}__{'gte' if spec.include_low else 'gt'}"] = to_db(spec.low)
    if spec.high is not None:
        lookups[f"{name}__{'lte' if spec.include_high else 'lt'}"] = to_db(spec.high)
    if not lookups:
        return Q(**{f"{name}__isnull": False}) if nullable else ALWAYS
    return _guard(name, nullable, Q(**lookups))


def compile_order_by(order_by: Sequence[str], columns: Mapping[str, bool]) -> list[OrderBy]:
    """ORDER BY terms for field names (``"-name"`` descends), NULLs last both ways.

    ``id`` is appended when missing so the order is total and stable.
    """
    terms: list[OrderBy] = []
    seen_id = False
    for item in order_by:
        descending = item.startswith("-")
        name = item[1:] if descending else item
        seen_id = seen_id or name == "id"
        nullable = _nullable(columns, name)
        expression = F(name)
        if descending:
            terms.append(expression.desc(nulls_last=True if nullable else None))
        else:
            terms.append(expression.asc(nulls_last=True if nullable else None))
    if not seen_id:
        terms.append(F("id").asc())
    return terms
