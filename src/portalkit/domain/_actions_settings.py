"""A tenant's rules for customer actions: :class:`ActionSettings`, business hours, storage.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from portalkit.errors import InvalidInputError


@attrs.frozen(kw_only=True)
class ActionConfig:
    """A tenant's stored :class:`ActionSettings` (as a JSON document)."""

    id: int
    tenant_id: int
    data: dict[str, Any]


def _hours(value: Any) -> tuple[tuple[int, str, str], ...]:
    out = []
    for weekday, start, end in value:
        day = int(weekday)
        if not 0 <= day <= 6:
            raise InvalidInputError.for_field("business_hours", "Weekdays are 0 (Monday) to 6.")
        opens, closes = dt.time.fromisoformat(str(start)), dt.time.fromisoformat(str(end))
        if closes <= opens:
            raise InvalidInputError.for_field("business_hours", "Closing must be after opening.")
        out.append((day, opens.strftime("%H:%M"), closes.strftime("%H:%M")))
    return tuple(sorted(out))


@attrs.frozen
class BusinessHours:
    """Opening hours per weekday: ``(weekday, "08:00", "17:00")`` with Monday = 0.

    Local times in :attr:`ActionSettings.timezone`. A weekday may appear several
    times (a lunch break is two intervals).
    """

    intervals: tuple[tuple[int, str, str], ...] = attrs.field(converter=_hours)

    @classmethod
    def weekdays(cls, opens: str = "08:00", closes: str = "17:00") -> BusinessHours:
        """Monday to Friday, the same hours each day."""
        return cls(tuple((d, opens, closes) for d in range(5)))


def _positive(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise InvalidInputError.for_field(attribute.name, "Use a whole number of at least 1.")


def _rates(
    value: Mapping[str, float] | Iterable[tuple[str, float]],
) -> tuple[tuple[str, float], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    out: list[tuple[str, float]] = []
    for unit, rate in items:
        if (
            not isinstance(unit, str) or not unit.strip() or isinstance(rate, bool)
            or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0
        ):
            raise InvalidInputError.for_field(
                "reading_max_per_day", "Give each unit a positive number per day."
            )
        out.append((unit, float(rate)))
    return tuple(sorted(out))


#: How far a meter can plausibly run in a day, per unit: two drivers on a
#: motorway, an hour meter that never stops.
DEFAULT_READING_MAX_PER_DAY: tuple[tuple[str, float], ...] = (
    ("h", 24.0), ("km", 2500.0), ("mi", 1600.0),
)


def _job_types(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(kw_only=True)
class ActionSettings:
    """A tenant's rules for customer actions (all have working defaults).

    Attributes:
        default_job_status: The status a requested job or service request gets.
        job_types: The job types a customer may pick; None allows any short text.
        description_max_length: Longest description, note, reason or message.
        business_hours: Used for appointment slots when the host supplies none.
        timezone: IANA name of the zone business hours are in.
        slot_minutes: Length of a business-hours slot.
        slot_capacity: Appointments one business-hours slot takes.
        booking_horizon_days: How far ahead appointments may be booked.
        min_notice_minutes: How soon (from now) the earliest bookable slot starts.
        pickup_horizon_days: How far ahead a call-off pickup may be requested.
        reading_max_age_days: How far back a meter reading may be dated.
        reading_max_per_day: Per meter unit, how much a meter can plausibly
            advance per day since its last reading (at least one day's worth
            is always allowed); a reading beyond it is refused with the limit
            in the message. Units not listed are not checked. Given as a
            mapping, kept as sorted ``(unit, per_day)`` pairs.
        schedule_horizon_days: How far ahead the maintenance schedule looks.
    """

    default_job_status: str = "requested"
    job_types: frozenset[str] | None = attrs.field(default=None, converter=_job_types)
    description_max_length: int = attrs.field(default=2000, validator=_positive)
    business_hours: BusinessHours = attrs.field(factory=BusinessHours.weekdays)
    timezone: str = "UTC"
    slot_minutes: int = attrs.field(default=60, validator=_positive)
    slot_capacity: int = attrs.field(default=1, validator=_positive)
    booking_horizon_days: int = attrs.field(default=90, validator=_positive)
    min_notice_minutes: int = 0
    pickup_horizon_days: int = attrs.field(default=180, validator=_positive)
    reading_max_age_days: int = attrs.field(default=366, validator=_positive)
    reading_max_per_day: tuple[tuple[str, float], ...] = attrs.field(
        default=DEFAULT_READING_MAX_PER_DAY, converter=_rates
    )
    schedule_horizon_days: int = attrs.field(default=90, validator=_positive)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (what :class:`ActionConfig` stores)."""
        data = attrs.asdict(self, recurse=False)
        data["job_types"] = None if self.job_types is None else sorted(self.job_types)
        data["business_hours"] = [list(i) for i in self.business_hours.intervals]
        data["reading_max_per_day"] = dict(self.reading_max_per_day)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionSettings:
        """Settings from :meth:`to_dict`'s output; unknown keys are refused."""
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(f"Unknown action settings: {', '.join(unknown)}.")
        values = dict(data)
        if "business_hours" in values and not isinstance(values["business_hours"], BusinessHours):
            values["business_hours"] = BusinessHours(values["business_hours"])
        return cls(**values)
