"""The Django models and the SQLAlchemy tables describe one schema (issue 19, item 4).

The schema is written four times (SQLAlchemy tables, Alembic migrations, Django
models, Django migrations). Alembic is held to the tables by its own tests and
Django's migrations to the models by ``makemigrations --check``; this test
holds the models to the tables: the same tables, columns, kinds of column,
nullability, unique constraints and indexes. The few differences that are
deliberate are listed in :data:`ALLOWED` with their reason; any other
difference fails.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from sqlalchemy import Column, Table, UniqueConstraint

import portalkit.adapters.sqlalchemy.storage  # noqa: F401 - registers every table
from portalkit.adapters.sqlalchemy.tables import Base

#: Differences on purpose: (table, what, detail) -> why.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("throttle", "django-only column", "id"): (
        "Django models need a one-column surrogate key; the SQLAlchemy table's key is `key`"
    ),
    ("throttle", "django-only unique", "key"): "the SQLAlchemy table's primary key",
    ("throttle", "width", "failures"): "a failure counter: 32 bits in SQLAlchemy is plenty",
    ("one_time_codes", "width", "failed_attempts"): "a failure counter, as above",
}

#: Kinds of column, so a type is compared by what it stores.
_SQLALCHEMY_KINDS = {
    "BigInteger": "integer64", "Integer": "integer32", "Boolean": "boolean", "Date": "date",
    "Double": "float", "JSON": "json", "JsonFrozenSet": "json", "String": "text",
    "EnumAsString": "text", "UtcDateTime": "datetime",
}
_DJANGO_KINDS = {
    "BigAutoField": "integer64", "BigIntegerField": "integer64", "ForeignKey": "integer64",
    "BooleanField": "boolean", "DateField": "date", "FloatField": "float",
    "JSONField": "json", "TextField": "text", "DateTimeField": "datetime",
}


def _sqlalchemy_tables() -> dict[str, Table]:
    return {t.name.removeprefix("portalkit_"): t for t in Base.metadata.sorted_tables}


def _django_models() -> dict[str, Any]:
    models = apps.get_app_config("portalkit").get_models()
    return {m._meta.db_table.removeprefix("portalkit_dj_"): m for m in models}


def _kind(column: Column[Any]) -> str:
    return _SQLALCHEMY_KINDS.get(type(column.type).__name__, type(column.type).__name__)


def _differences() -> list[tuple[str, str, str]]:
    tables, models = _sqlalchemy_tables(), _django_models()
    found = [("*", "sqlalchemy-only table", n) for n in sorted(set(tables) - set(models))]
    found += [("*", "django-only table", n) for n in sorted(set(models) - set(tables))]
    for name in sorted(set(tables) & set(models)):
        table, meta = tables[name], models[name]._meta
        fields = {f.column: f for f in meta.concrete_fields}
        columns = {c.name: c for c in table.columns}
        found += [(name, "sqlalchemy-only column", c) for c in sorted(set(columns) - set(fields))]
        found += [(name, "django-only column", c) for c in sorted(set(fields) - set(columns))]
        for column in sorted(set(columns) & set(fields)):
            sa_column, field = columns[column], fields[column]
            if sa_column.nullable != field.null:
                found.append((name, "nullability", column))
            sa_kind = _kind(sa_column)
            dj_kind = _DJANGO_KINDS.get(field.get_internal_type(), field.get_internal_type())
            if sa_kind != dj_kind:
                widths = {sa_kind, dj_kind} == {"integer32", "integer64"}
                found.append((name, "width" if widths else "kind", column))

        def columns_of(names: Any, meta: Any = meta) -> str:
            return ",".join(meta.get_field(f.lstrip("-")).column for f in names)

        sa_unique = {
            ",".join(c.name for c in k.columns)
            for k in table.constraints if isinstance(k, UniqueConstraint)
        } | {",".join(c.name for c in i.columns) for i in table.indexes if i.unique}
        dj_unique = {
            columns_of(k.fields) for k in meta.constraints
            if type(k).__name__ == "UniqueConstraint" and getattr(k, "fields", None)
        } | {columns_of(u) for u in meta.unique_together} | {
            f.column for f in meta.concrete_fields if f.unique and not f.primary_key
        }
        found += [(name, "sqlalchemy-only unique", u) for u in sorted(sa_unique - dj_unique)]
        found += [(name, "django-only unique", u) for u in sorted(dj_unique - sa_unique)]
        sa_index = {",".join(c.name for c in i.columns) for i in table.indexes if not i.unique}
        dj_index = {columns_of(i.fields) for i in meta.indexes}
        found += [(name, "sqlalchemy-only index", i) for i in sorted(sa_index - dj_index)]
        found += [(name, "django-only index", i) for i in sorted(dj_index - sa_index)]
    return found


def test_the_django_models_and_the_sqlalchemy_tables_are_one_schema() -> None:
    """Tables, columns, kinds, nullability, unique constraints and indexes agree."""
    drift = [d for d in _differences() if d not in ALLOWED]
    assert drift == [], drift


def test_every_allowed_difference_still_exists() -> None:
    """A difference that was fixed leaves the allow-list too (no stale excuses)."""
    assert set(ALLOWED) <= set(_differences())


def test_the_comparison_sees_every_table() -> None:
    """The comparison covers the whole schema, not an empty intersection."""
    tables, models = _sqlalchemy_tables(), _django_models()
    assert len(set(tables) & set(models)) >= 30
    assert {"tenants", "users", "grants", "documents", "throttle"} <= set(tables)
    indexes = sum(1 for t in tables.values() for i in t.indexes if not i.unique)
    uniques = sum(
        1 for t in tables.values() for k in t.constraints if isinstance(k, UniqueConstraint)
    )
    assert indexes >= 10
    assert uniques >= 10
