"""Model field types that carry portalkit's value conventions into Django.

:class:`CText` is a text column that compares byte-wise on PostgreSQL (the "C"
collation), so ``ORDER BY`` and the range scans of scope paths agree with
Python's ``str`` order, as in the SQLAlchemy adapter. SQLite's default BINARY
collation already does. The collation is chosen per database at schema time
and is not part of the migration, so one migration serves both databases.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["CText"]


class CText(models.TextField):  # type: ignore[type-arg]
    """A text column in the "C" collation on PostgreSQL."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        """Add ``COLLATE "C"`` on PostgreSQL."""
        params: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
