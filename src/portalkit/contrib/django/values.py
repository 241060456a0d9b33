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
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError

from portalkit.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidInputError,
    SchemaOutdatedError,
    StorageError,
)

__all__ = ["UNAVAILABLE_MESSAGE", "from_db_datetime", "to_db", "translating"]

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
def translating() -> Iterator[None]:
    """Turn Django's database errors raised inside the block into portalkit errors."""
    try:
        yield
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
