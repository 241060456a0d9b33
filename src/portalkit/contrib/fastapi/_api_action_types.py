"""The JSON API's bodies for the customer actions (attrs classes, read and written by cattrs).

A request body is the action's contract; the action's own service still
checks every value (ranges, slots, the meter's last reading) with its
message codes.
"""

from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen
class MeterOut:
    """A meter of an asset the principal may record readings for."""

    id: int
    name: str
    unit: str
    last_value: float | None
    last_read_at: dt.datetime | None


@attrs.frozen
class MeterReadingBody:
    """Record a reading: the meter, the value, when (default now), its unit if another."""

    meter: int
    value: float
    read_at: str | None = None
    unit: str | None = None
    is_replacement: bool = False


@attrs.frozen
class MeterReadingOut:
    """A recorded meter reading (in the meter's unit)."""

    id: int
    meter_id: int
    asset_id: int
    value: float
    unit: str
    read_at: dt.datetime
    is_replacement: bool


@attrs.frozen
class ServiceRequestBody:
    """Request service on an asset."""

    asset: int
    description: str
    job_type: str | None = None


@attrs.frozen
class ServiceRequestOut:
    """A request for service (or for a job) the principal may see."""

    id: int
    kind: str
    status: str
    job_type: str
    description: str
    asset_id: int | None
    job_id: int | None
    created_at: dt.datetime


@attrs.frozen
class SlotOut:
    """A time with free places to book for an asset."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    free: int


@attrs.frozen
class AppointmentBody:
    """Book one of the offered times for an asset."""

    asset: int
    starts_at: str
    location: str | None = None
    notes: str | None = None


@attrs.frozen
class AppointmentOut:
    """An appointment the principal may see."""

    id: int
    asset_id: int
    location: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    notes: str
