"""Translate SQLAlchemy and DBAPI exceptions into portalkit's error tree.

Every foreign exception stops here (``raise … from exc``): callers of the
adapter only ever see :mod:`portalkit.errors`.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from portalkit.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidInputError,
    PortalkitError,
    SchemaOutdatedError,
    StorageError,
)

__all__ = ["UNAVAILABLE_MESSAGE", "translate"]

UNAVAILABLE_MESSAGE = (
    "The portal's database cannot be reached; check the database URL and that the "
    "database server is running."
)

_MISSING_SCHEMA_MARKERS = ("no such table", "undefinedtable", "does not exist", "no such column")


def translate(exc: Exception) -> PortalkitError:
    """The portalkit error for a SQLAlchemy/DBAPI exception (to ``raise … from exc``)."""
    if isinstance(exc, PortalkitError):
        return exc
    if isinstance(exc, sa_exc.StatementError) and isinstance(
        exc.orig, (ValueError, TypeError, OverflowError)
    ):
        # A bind parameter was refused before reaching the database (a naive
        # datetime, a value of the wrong type or beyond its range): the
        # caller's input, not the database.
        return InvalidInputError("A value has the wrong type for storage.")
    if isinstance(exc, sa_exc.DataError) and "(0x00)" in str(exc.orig):
        # PostgreSQL refuses NUL in text before running anything: the input's fault.
        return InvalidInputError("Text cannot contain NUL characters.")
    if isinstance(exc, sa_exc.DataError) and "out of range" in str(exc.orig):
        # A number or date beyond the column's range: the input, not an outage.
        return InvalidInputError()
    if isinstance(exc, sa_exc.IntegrityError):
        return ConflictError("A record with the same key already exists.")
    if isinstance(exc, sa_exc.DBAPIError):
        text = f"{type(exc.orig).__name__} {exc.orig}".lower()
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return DatabaseUnavailableError(UNAVAILABLE_MESSAGE)
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.ProgrammingError)) and any(
            marker in text for marker in _MISSING_SCHEMA_MARKERS
        ):
            return SchemaOutdatedError()
        if isinstance(exc, sa_exc.OperationalError) and _looks_disconnected(text):
            return DatabaseUnavailableError(UNAVAILABLE_MESSAGE)
    return StorageError()


def _looks_disconnected(text: str) -> bool:
    return any(
        marker in text
        for marker in (
            "connection refused",
            "could not connect",
            "connection failed",
            "server closed the connection",
            "unable to open database file",
            "connection is closed",
            "terminating connection",
        )
    )
