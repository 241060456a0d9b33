"""Column types that carry portalkit's value conventions into SQL.

* :class:`UtcDateTime` stores naive UTC and gives back timezone-aware UTC, so
  the same instant compares and sorts the same in SQLite and PostgreSQL.
* :class:`JsonFrozenSet` stores a ``frozenset[str]`` as a sorted JSON list.
* :class:`EnumAsString` stores a ``str`` enum by its value.
* :data:`PATH_STRING` / :func:`c_string` compare in the "C" collation on
  PostgreSQL, so ``ORDER BY`` and range scans agree with Python's ``str`` order.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["EnumAsString", "JsonFrozenSet", "UtcDateTime", "c_string"]

_UTC = dt.timezone.utc
# Naive <-> aware UTC by arithmetic: ``datetime.replace(tzinfo=...)`` parses
# keyword arguments and costs eight times as much, on every row of every list.
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
EnumT = TypeVar("EnumT", bound=enum.Enum)


def c_string() -> TypeEngine[str]:
    """A string column that compares byte-wise ("C" collation) on PostgreSQL.

    SQLite's default BINARY collation already compares UTF-8 bytes, which is
    code-point order: the same as Python.
    """
    return String().with_variant(String(collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime, stored as naive UTC.

    Naive datetimes are refused: portalkit's clock is always aware.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Convert an aware datetime to naive UTC for storage."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("portalkit stores timezone-aware datetimes only")
        naive: dt.datetime = _NAIVE_EPOCH + (value - _UTC_EPOCH)
        return naive

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Mark a stored naive UTC datetime as UTC."""
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return _aware_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """One Python call per value (the hot path of every list).

        SQLite hands back ISO text, which :meth:`datetime.fromisoformat` reads
        directly; PostgreSQL drivers hand back naive datetimes.
        """
        if dialect.name == "sqlite":
            parse = dt.datetime.fromisoformat

            def from_text(value: Any) -> dt.datetime | None:
                if value is None:
                    return None
                try:  # the stored form, naive UTC text: read it as UTC in one call
                    parsed = parse(value + "+00:00")
                except ValueError:  # text that carries its own offset
                    parsed = parse(value)
                return parsed if parsed.tzinfo is _UTC else _aware_utc(parsed)

            return from_text

        def from_naive(value: Any) -> dt.datetime | None:
            if value is None:
                return None
            return _aware_utc(value)

        return from_naive


def _aware_utc(value: dt.datetime) -> dt.datetime:
    """*value* as an aware UTC datetime (naive values are UTC already)."""
    if value.tzinfo is None:
        return _UTC_EPOCH + (value - _NAIVE_EPOCH)
    return value.astimezone(_UTC)


class JsonFrozenSet(TypeDecorator[frozenset[str]]):
    """A ``frozenset`` of strings, stored as a sorted JSON list."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use JSONB on PostgreSQL."""
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB  # noqa: PLC0415

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> list[str] | None:
        """Turn the set into a sorted list (stable, so diffs and tests are quiet)."""
        if value is None:
            return None
        return sorted(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> frozenset[str] | None:
        """Turn the stored list back into a frozenset."""
        if value is None:
            return None
        return frozenset(value)


class EnumAsString(TypeDecorator[EnumT], Generic[EnumT]):
    """A ``str``-valued enum stored as its value (no database ENUM type to migrate)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[EnumT]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use the "C" collation on PostgreSQL, like every other string column."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(String(collation="C"))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Store the member's value; plain strings pass through unchanged."""
        if value is None:
            return None
        if isinstance(value, enum.Enum):
            return str(value.value)
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> EnumT | None:
        """Give back the enum member."""
        if value is None:
            return None
        return self.enum_class(value)
