"""Appointments: slots with a capacity, bookings, and the rules for booking a slot.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from portalkit.domain._actions_settings import ActionSettings, BusinessHours
from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError


class AppointmentStatus(str, enum.Enum):
    """Where an appointment stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True)
class SlotOffer:
    """A bookable time offered by the host's availability port or business hours.

    ``location`` separates independent calendars (a shop, a bay); ``""`` is the
    tenant's one calendar.
    """

    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = 1
    location: str = ""


@attrs.frozen(kw_only=True)
class Slot:
    """A slot as stored: its capacity and how many bookings hold it."""

    id: int
    tenant_id: int
    location: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int = 0

    @property
    def free(self) -> int:
        """Places still free."""
        return max(0, self.capacity - self.booked)


@attrs.frozen(kw_only=True)
class Appointment:
    """A customer appointment for an asset in one slot."""

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    asset_id: int
    slot_id: int
    location: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str = AppointmentStatus.BOOKED.value
    notes: str = ""
    booked_by: int | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None = None


def weekly_slots(
    hours: BusinessHours,
    tz: dt.tzinfo,
    start: dt.datetime,
    end: dt.datetime,
    *,
    slot_minutes: int,
    capacity: int,
) -> list[SlotOffer]:
    """The business-hours slots that start in ``[start, end)``, in time order (UTC).

    Each opening interval is cut into whole slots of *slot_minutes*; a rest
    shorter than a slot is not offered.
    """
    if end <= start:
        return []
    length = dt.timedelta(minutes=slot_minutes)
    first_day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(tz).date()
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, open_text, close_text in hours.intervals:
        by_day.setdefault(weekday, []).append(
            (dt.time.fromisoformat(open_text), dt.time.fromisoformat(close_text))
        )
    offers: list[SlotOffer] = []
    day = first_day
    while day <= last_day:
        for opens, closes in by_day.get(day.weekday(), ()):
            at = dt.datetime.combine(day, opens, tzinfo=tz)
            close_at = dt.datetime.combine(day, closes, tzinfo=tz)
            while at + length <= close_at:
                utc = at.astimezone(dt.timezone.utc)
                if start <= utc < end:
                    offers.append(
                        SlotOffer(starts_at=utc, ends_at=utc + length, capacity=capacity)
                    )
                at += length
        day += dt.timedelta(days=1)
    offers.sort(key=lambda o: (o.starts_at, o.location))
    return offers


def check_slot(offer: SlotOffer, now: dt.datetime, settings: ActionSettings) -> None:
    """Refuse a slot that has started (or is within the notice period) or is too far ahead."""
    earliest = now + dt.timedelta(minutes=settings.min_notice_minutes)
    if offer.starts_at <= earliest:
        raise InvalidInputError.for_field("starts_at", Msg("action.slot_in_past"))
    if offer.starts_at > now + dt.timedelta(days=settings.booking_horizon_days):
        raise InvalidInputError.for_field(
            "starts_at", Msg("action.slot_too_far", days=settings.booking_horizon_days)
        )
