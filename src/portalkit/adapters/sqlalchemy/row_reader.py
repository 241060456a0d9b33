"""Turning result rows into domain records through their own ``__init__``.

Every list page and lookup turns rows into attrs records. Each record is built
by calling its class with the row's values as keyword arguments, so the class's
validators, converters and hooks run as they would anywhere else. A plain
keyword call was measured against the slot-writing shortcut this module used to
generate: on the real pages of ``bench/pages.py`` the difference stayed within
the run-to-run noise (see the CHANGELOG entry for the figures), so there is no
shortcut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from portalkit.errors import ConfigurationError

__all__ = ["row_reader"]

E = TypeVar("E")


def row_reader(entity: type[E], names: Sequence[str]) -> Callable[[Iterable[Any]], list[E]]:
    """``rows -> [entity(name=row[i], ...)]`` for rows whose columns are *names*, in order."""
    if not names or not all(isinstance(name, str) and name.isidentifier() for name in names):
        raise ConfigurationError(f"Unexpected field names on {entity.__name__}.")
    keys = tuple(names)

    def read(rows: Iterable[Any]) -> list[E]:
        return [entity(**dict(zip(keys, row, strict=True))) for row in rows]

    return read
