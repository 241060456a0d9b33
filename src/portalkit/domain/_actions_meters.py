"""Meter readings: meters, readings, unit conversion and the plausibility rules.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError

#: Units a reading can be converted between (to kilometres).
DISTANCE_UNITS: dict[str, float] = {"km": 1.0, "mi": 1.609344}


#: The largest reading accepted.
MAX_READING = 1e9


@attrs.frozen(kw_only=True)
class Meter:
    """A meter of an asset (odometer, hour meter), recording in one unit."""

    id: int
    tenant_id: int
    asset_id: int
    scope_path: str
    name: str
    unit: str
    last_value: float | None = None
    last_read_at: dt.datetime | None = None
    external_key: str | None = None


@attrs.frozen(kw_only=True)
class MeterReading:
    """One recorded reading, in the meter's unit."""

    id: int
    tenant_id: int
    meter_id: int
    asset_id: int
    scope_path: str
    value: float
    unit: str
    read_at: dt.datetime
    is_replacement: bool = False
    recorded_by: int | None = None
    created_at: dt.datetime


def convert_units(value: float, unit: str, to_unit: str) -> float:
    """*value* in *unit* expressed in *to_unit* (only distances convert).

    Raises:
        InvalidInputError: on ``unit`` when the units differ and do not convert.
    """
    if unit == to_unit:
        return value
    if unit in DISTANCE_UNITS and to_unit in DISTANCE_UNITS:
        return value * DISTANCE_UNITS[unit] / DISTANCE_UNITS[to_unit]
    raise InvalidInputError.for_field("unit", Msg("action.unit_mismatch", unit=to_unit))


def check_reading(
    meter: Meter,
    *,
    value: float,
    read_at: dt.datetime,
    now: dt.datetime,
    is_replacement: bool,
    max_age_days: int,
    unit: str | None = None,
    max_per_day: float | None = None,
) -> float:
    """Validate a reading for *meter* and return its value in the meter's unit.

    The rules: the reading is not in the future, not older than
    *max_age_days*, not dated before the meter's last reading, not negative or
    absurdly large, and not below the last reading unless it is marked as a
    meter replacement (a new meter starts again from a low value). With
    *max_per_day*, it is not more than the meter can plausibly have advanced
    since its last reading (at least one day's worth).
    """
    if unit is not None and unit != "":
        value = convert_units(value, unit, meter.unit)
    if read_at > now:
        raise InvalidInputError.for_field("read_at", Msg("action.reading_in_future"))
    if read_at < now - dt.timedelta(days=max_age_days):
        raise InvalidInputError.for_field("read_at", Msg("action.reading_too_old"))
    if value < 0:
        raise InvalidInputError.for_field("value", Msg("action.reading_negative"))
    if value > MAX_READING:
        raise InvalidInputError.for_field("value", Msg("action.reading_too_large"))
    if meter.last_read_at is not None and read_at < meter.last_read_at:
        raise InvalidInputError.for_field("read_at", Msg("action.reading_before_last"))
    if (
        not is_replacement
        and meter.last_value is not None
        and value < meter.last_value
    ):
        raise InvalidInputError.for_field(
            "value", Msg("action.reading_below_last", last=f"{meter.last_value:g} {meter.unit}")
        )
    if (
        max_per_day is not None
        and not is_replacement
        and meter.last_value is not None
        and meter.last_read_at is not None
    ):
        days = max((read_at - meter.last_read_at) / dt.timedelta(days=1), 1.0)
        most = meter.last_value + max_per_day * days
        if value > most:
            raise InvalidInputError.for_field(
                "value", Msg("action.reading_implausible", most=f"{most:.0f} {meter.unit}")
            )
    return value
