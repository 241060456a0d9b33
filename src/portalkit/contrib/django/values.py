"""Value conventions between portalkit's entities and Django's database columns.

* Datetimes are timezone-aware UTC in portalkit. With ``USE_TZ = True`` Django
  stores and returns them as such; with ``USE_TZ = False`` they are stored as
  naive UTC and marked UTC again on the way out. Naive datetimes are refused.
* ``frozenset`` fields are stored as sorted JSON lists; ``str`` enums by value.
* Database errors become :mod:`portalkit.errors` (:func:`translating`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, connections

from portalkit.domain.scalars import storable
from portalkit.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidInputError,
    PortalkitError,
    SchemaOutdatedError,
    StorageError,
)

__all__ = ["UNAVAILABLE_MESSAGE", "from_db_datetime", "to_db", "translating"]

_Execute = Callable[[str, Any, bool, dict[str, Any]], Any]

UTC = dt.timezone.utc

UNAVAILABLE_MESSAGE = (
    "The portal's database cannot be reached; check the DATABASES setting and that the "
    "database server is running."
)
_MISSING_SCHEMA = ("no such table", "does not exist", "no such column", "undefinedtable")
_DISCONNECTED = (
    "connection refused",
    "could not connect",
    "connection failed",
    "server closed the connection",
    "unable to open database file",
    "connection is closed",
    "terminating connection",
    "connection already closed",
)


def to_db_datetime(value: dt.datetime) -> dt.datetime:
    """*value* as Django stores it: aware UTC with USE_TZ, naive UTC without."""
    if value.tzinfo is None:
        raise InvalidInputError("portalkit stores timezone-aware datetimes only.")
    utc = value.astimezone(UTC)
    return utc if settings.USE_TZ else utc.replace(tzinfo=None)


def from_db_datetime(value: dt.datetime | None) -> dt.datetime | None:
    """A stored datetime as an aware UTC datetime."""
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_db(value: Any) -> Any:
    """An entity's field value (or a filter's operand) as a column value."""
    if isinstance(value, dt.datetime):
        return to_db_datetime(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


@contextlib.contextmanager
def translating(alias: str | None = None) -> Iterator[None]:
    """Turn Django's database errors raised inside the block into portalkit errors.

    With *alias*, every statement the block runs on that database first has
    its parameters checked: a value no database can store (an int beyond 64
    bits, text with NUL or a lone surrogate, NaN) is InvalidInputError before
    it runs, the same answer on SQLite and PostgreSQL. A value Django cannot
    convert for its field (text for an id) is InvalidInputError too.
    """
    guard = (
        connections[alias].execute_wrapper(_refuse_unstorable)
        if alias is not None
        else contextlib.nullcontext()
    )
    try:
        with guard:
            yield
    except PortalkitError:
        raise
    except (ValueError, OverflowError) as exc:
        raise InvalidInputError() from exc
    except IntegrityError as exc:
        raise ConflictError("A record with the same key already exists.") from exc
    except InterfaceError as exc:
        raise DatabaseUnavailableError(UNAVAILABLE_MESSAGE) from exc
    except DatabaseError as exc:
        text = f"{type(exc).__name__} {exc}".lower()
        if any(marker in text for marker in _MISSING_SCHEMA):
            raise SchemaOutdatedError(
                "The database has no current portalkit schema; run `manage.py migrate`."
            ) from exc
        if any(marker in text for marker in _DISCONNECTED):
            raise DatabaseUnavailableError(UNAVAILABLE_MESSAGE) from exc
        raise StorageError() from exc


def _refuse_unstorable(
    execute: _Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    rows: Iterable[Any] = (params or ()) if many else (params,)
    for row in rows:
        values = row.values() if isinstance(row, Mapping) else row
        for value in values or ():
            if not storable(value):
                raise InvalidInputError()
    return execute(sql, params, many, context)
