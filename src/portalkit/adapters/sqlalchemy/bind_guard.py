"""The last check before a statement reaches the database: every bound value is storable.

The public API checks its input (:mod:`portalkit._boundary`), but a value can
still reach a statement another way (a host's own repository call, a record
built by hand). Without this check the driver decides what happens: SQLite
raises :class:`OverflowError` for an int beyond 64 bits and
:class:`UnicodeEncodeError` for a lone surrogate, PostgreSQL reports a
"value out of range" that reads like a storage failure, and refuses NUL in
text. Here each is :class:`~portalkit.errors.InvalidInputError`, before
anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event

from portalkit.domain.scalars import storable
from portalkit.errors import InvalidInputError

__all__ = ["guard_binds"]


def guard_binds(engine: Engine) -> None:
    """Refuse unstorable bound values on every statement *engine* runs (once per engine)."""
    if not event.contains(engine, "before_cursor_execute", _refuse_unstorable):
        event.listen(engine, "before_cursor_execute", _refuse_unstorable)


def _refuse_unstorable(
    _connection: object,
    _cursor: object,
    _statement: str,
    parameters: Any,
    _context: object,
    executemany: bool,
) -> None:
    rows: Iterable[Any] = parameters if executemany else (parameters,)
    for row in rows:
        values = row.values() if isinstance(row, Mapping) else row
        if values is None:
            continue
        for value in values:
            if not storable(value):
                raise InvalidInputError()
