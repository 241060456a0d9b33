"""The maintenance schedule: PMs and SAs, split into upcoming and overdue.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs


class MaintenanceKind(str, enum.Enum):
    """Preventive maintenance or a scheduled activity (seed 000's PMs and SAs)."""

    PM = "pm"
    SA = "sa"


@attrs.frozen(kw_only=True)
class MaintenanceItem:
    """A PM or SA of an asset, due on a date (the host's schedule)."""

    id: int
    tenant_id: int
    asset_id: int
    scope_path: str
    kind: str
    code: str
    description: str = ""
    due_on: dt.date | None = None
    due_meter: float | None = None
    last_done_on: dt.date | None = None
    external_key: str | None = None


@attrs.frozen
class Schedule:
    """An asset's maintenance schedule as the customer may see it.

    Attributes:
        overdue: Items due before today, oldest first.
        upcoming: Items due from today up to the horizon, soonest first.
        kinds: The kinds shown (``"pm"``, ``"sa"``), by permission.
    """

    overdue: tuple[MaintenanceItem, ...]
    upcoming: tuple[MaintenanceItem, ...]
    kinds: frozenset[str]


def split_schedule(
    items: Iterable[MaintenanceItem],
    *,
    today: dt.date,
    horizon_days: int,
    kinds: frozenset[str],
) -> Schedule:
    """Split items of the allowed *kinds* into overdue and upcoming (undated ones are left out)."""
    last = today + dt.timedelta(days=horizon_days)
    overdue: list[MaintenanceItem] = []
    upcoming: list[MaintenanceItem] = []
    for item in items:
        if item.kind not in kinds or item.due_on is None:
            continue
        if item.due_on < today:
            overdue.append(item)
        elif item.due_on <= last:
            upcoming.append(item)
    key = lambda i: (i.due_on, i.kind, i.code, i.id)  # noqa: E731
    return Schedule(tuple(sorted(overdue, key=key)), tuple(sorted(upcoming, key=key)), kinds)
