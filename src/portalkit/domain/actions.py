"""Customer actions: the records they create and the rules that validate them.

Seeds 000, 002 and 004 let a customer *do* things, not only look:

- request service on an asset, or request a job at one of their sites
  (:class:`ServiceRequest`; it becomes an unscheduled job with the tenant's
  default status);
- view, book, move and cancel appointments (:class:`Appointment` in a
  :class:`Slot` with a capacity; slots come from a host availability port or
  the tenant's :class:`BusinessHours`);
- record meter readings (:class:`Meter`, :class:`MeterReading`): never in the
  future, never below the last reading unless marked as a meter replacement,
  in the meter's unit;
- see the maintenance schedule (:class:`MaintenanceItem`: PMs and SAs,
  upcoming and overdue);
- call items off rent (:class:`RentalItem`, :class:`CallOff`) with a pickup
  date and partial quantities;
- approve, decline or ask for changes to a quote (:class:`QuoteDecision`).

Everything here is pure: the services (:mod:`portalkit._services.actions`)
load records, call these checks with the current time, and store the results.
Input parsing is strict: a payload may hold only the fields an action reads
(:func:`check_fields`), so a status, an organization id or a foreign id slipped
into a form is refused with a field-level
:class:`~portalkit.errors.InvalidInputError` and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import AlreadyUsedError, ConflictError, InvalidInputError

__all__ = [
    "DECIDABLE_QUOTE_KINDS",
    "DECIDABLE_QUOTE_STATUSES",
    "DEFAULT_READING_MAX_PER_DAY",
    "DISTANCE_UNITS",
    "MAX_READING",
    "ActionConfig",
    "ActionSettings",
    "Appointment",
    "AppointmentStatus",
    "BusinessHours",
    "CallOff",
    "IdempotencyKey",
    "MaintenanceItem",
    "MaintenanceKind",
    "Meter",
    "MeterReading",
    "QuoteDecision",
    "QuoteDecisionKind",
    "RentalItem",
    "RequestKind",
    "Schedule",
    "ServiceRequest",
    "Slot",
    "SlotOffer",
    "check_call_off",
    "check_fields",
    "check_pickup_date",
    "check_quote_decidable",
    "check_reading",
    "check_slot",
    "clean_idempotency_key",
    "clean_text",
    "convert_units",
    "fingerprint",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_id",
    "parse_number",
    "parse_quantity",
    "remaining_quantity",
    "split_schedule",
    "weekly_slots",
]


class RequestKind(str, enum.Enum):
    """Which form a request came from."""

    SERVICE = "service"  # seed 000: Request Service on an asset
    JOB = "job"  # seed 002: Request job at a site


class AppointmentStatus(str, enum.Enum):
    """Where an appointment stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class MaintenanceKind(str, enum.Enum):
    """Preventive maintenance or a scheduled activity (seed 000's PMs and SAs)."""

    PM = "pm"
    SA = "sa"


class QuoteDecisionKind(str, enum.Enum):
    """What the customer decided about a quote."""

    APPROVED = "approved"
    DECLINED = "declined"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def is_final(self) -> bool:
        """Approvals and declines are final; change requests are not."""
        return self is not QuoteDecisionKind.CHANGES_REQUESTED


#: Document kinds a customer can decide on.
DECIDABLE_QUOTE_KINDS = frozenset({"quote", "proposal"})
#: Document statuses (normalized: lowercase, spaces as underscores) that allow a decision.
DECIDABLE_QUOTE_STATUSES = frozenset(
    {"sent", "open", "awaiting_acceptance", "awaiting_approval", "pending", "issued"}
)
#: Units a reading can be converted between (to kilometres).
DISTANCE_UNITS: dict[str, float] = {"km": 1.0, "mi": 1.609344}
#: The largest reading accepted.
MAX_READING = 1e9


# Records --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ServiceRequest:
    """A customer's request for service (seed 000) or for a job (seed 002).

    It is unscheduled and carries the tenant's default status; for a job
    request, :attr:`job_id` is the unscheduled job created with it.
    """

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    kind: str
    status: str
    job_type: str = ""
    description: str = ""
    asset_id: int | None = None
    job_id: int | None = None
    requested_by: int | None = None
    created_at: dt.datetime


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


@attrs.frozen(kw_only=True)
class RentalItem:
    """An item out on rent on one of the customer's contracts (seed 004's Items Out)."""

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    contract_number: str
    item_number: str
    description: str = ""
    quantity_out: int = 1
    quantity_called_off: int = 0
    quantity_returned: int = 0
    out_since: dt.date | None = None
    external_key: str | None = None


@attrs.frozen(kw_only=True)
class CallOff:
    """A request to end the rent of (part of) one item.

    The lines of one request (several items, one pickup) share ``request_ref``.
    """

    id: int
    tenant_id: int
    rental_item_id: int
    scope_path: str
    request_ref: str
    contract_number: str
    quantity: int
    pickup_on: dt.date
    notes: str = ""
    requested_by: int | None = None
    created_at: dt.datetime


@attrs.frozen(kw_only=True)
class QuoteDecision:
    """A customer's decision on a quote or proposal (the host owns the quote's state).

    ``final_key`` is the document id for approvals and declines and None for
    change requests, so storage allows one final decision per document.
    """

    id: int
    tenant_id: int
    document_id: int
    scope_path: str
    decision: str
    signer_name: str = ""
    signature: str = ""
    message: str = ""
    final_key: int | None = None
    decided_by: int | None = None
    decided_at: dt.datetime
    client_key: str | None = None


@attrs.frozen(kw_only=True)
class IdempotencyKey:
    """A client-supplied key that makes a repeated submit return the first result.

    ``owner`` is who submitted (``"user:12"``); ``fingerprint`` is a hash of the
    action and its input, so a key reused for different input is refused;
    ``result_ref`` (``"service_request:42"``) is filled in when the action is done.
    """

    id: int
    tenant_id: int
    owner: str
    key: str
    action: str
    fingerprint: str
    result_ref: str | None = None
    created_at: dt.datetime


@attrs.frozen(kw_only=True)
class ActionConfig:
    """A tenant's stored :class:`ActionSettings` (as a JSON document)."""

    id: int
    tenant_id: int
    data: dict[str, Any]


# Settings -------------------------------------------------------------------------


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


# Parsing --------------------------------------------------------------------------


def check_fields(payload: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Refuse a payload holding any field the action does not read.

    Every extra field (a status, an organization id, a foreign id …) is listed
    in the error's :attr:`~portalkit.errors.InvalidInputError.fields`; nothing
    is stored.
    """
    permitted = frozenset(allowed)
    extra = sorted(str(k) for k in payload if k not in permitted)
    if extra:
        raise InvalidInputError(
            fields={name[:64]: Msg("field.not_allowed") for name in extra[:20]}
        )


def clean_text(
    field: str, value: object, *, max_length: int, required: bool = False
) -> str:
    """Stripped text, at most *max_length* characters (never silently cut)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, Msg("field.not_text"))
    text = value.strip()
    if required and not text:
        raise InvalidInputError.for_field(field, Msg("field.required"))
    if len(text) > max_length:
        raise InvalidInputError.for_field(field, Msg("field.too_long", max=max_length))
    return text


def _digits(text: str, max_digits: int) -> int | None:
    """The number written in decimal digits (any script), or None.

    ``str.isdigit`` also accepts superscripts and circled digits that ``int``
    refuses; those give None too.
    """
    stripped = text.strip()
    if not stripped.isdigit() or len(stripped) > max_digits:
        return None
    try:
        return int(stripped)
    except ValueError:
        return None


def parse_id(field: str, value: object, *, required: bool = True) -> int | None:
    """A record id from an int, an object with an ``id``, or a string of digits."""
    if value is None or value == "":
        if required:
            raise InvalidInputError.for_field(field, Msg("field.required"))
        return None
    if not isinstance(value, (int, str)):
        value = getattr(value, "id", value)
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (digits := _digits(value, 18)) is not None:
        number = digits
    else:
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if number < 1 or number >= 2**63:
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    return number


def parse_number(field: str, value: object) -> float:
    """A finite number from an int, a float or a decimal string."""
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            raise InvalidInputError.for_field(field, Msg("field.not_a_number")) from None
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,15}(?:[.,]\d{1,6})?\s*", value):
        number = float(value.strip().replace(",", "."))
    else:
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if not math.isfinite(number):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    return number


def parse_quantity(field: str, value: object) -> int:
    """A whole quantity of at least 1."""
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if isinstance(value, str) and (digits := _digits(value, 9)) is not None:
        value = digits
    if not isinstance(value, int):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if value < 1:
        raise InvalidInputError.for_field(field, Msg("action.quantity_too_small"))
    return value


def parse_bool(field: str, value: object) -> bool:
    """A yes/no from a bool or the usual form strings."""
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise InvalidInputError.for_field(field, Msg("field.not_a_flag"))


def parse_date(field: str, value: object) -> dt.date:
    """A date from a :class:`datetime.date` or ``YYYY-MM-DD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInputError.for_field(field, Msg("field.not_a_date"))


def parse_datetime(field: str, value: object, tz: dt.tzinfo) -> dt.datetime:
    """An aware UTC datetime from a datetime or an ISO string; naive means local in *tz*."""
    when: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str) and 10 <= len(value.strip()) <= 40:
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        raise InvalidInputError.for_field(field, Msg("field.not_a_datetime"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    try:
        return when.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):  # beyond year 1 or 9999 once in UTC
        raise InvalidInputError.for_field(field, Msg("field.not_a_datetime")) from None


_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


def clean_idempotency_key(value: object) -> str | None:
    """A client's idempotency key (1-200 of ``A-Z a-z 0-9 . _ : -``), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise InvalidInputError.for_field("idempotency_key", Msg("field.idempotency_key"))
    return value


def fingerprint(action: str, values: Mapping[str, object]) -> str:
    """A stable hash of an action and its parsed input (for idempotency keys)."""
    canonical = json.dumps(
        {"action": action, "values": {k: values[k] for k in sorted(values)}},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# Appointments ---------------------------------------------------------------------


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


# Meter readings -------------------------------------------------------------------


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


# Maintenance schedule -------------------------------------------------------------


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


# Call off rent --------------------------------------------------------------------


def remaining_quantity(item: RentalItem) -> int:
    """How many of *item* are still out and not yet called off."""
    return max(0, item.quantity_out - item.quantity_called_off - item.quantity_returned)


def check_pickup_date(pickup_on: dt.date, today: dt.date, horizon_days: int) -> None:
    """A pickup date from today up to the horizon."""
    if pickup_on < today:
        raise InvalidInputError.for_field("pickup_on", Msg("action.date_in_past"))
    if pickup_on > today + dt.timedelta(days=horizon_days):
        raise InvalidInputError.for_field(
            "pickup_on", Msg("action.date_too_far", days=horizon_days)
        )


def check_call_off(item: RentalItem, quantity: int) -> None:
    """Refuse a quantity larger than what is still out (or any, when nothing is)."""
    left = remaining_quantity(item)
    if left == 0:
        raise AlreadyUsedError(Msg("action.already_called_off"))
    if quantity > left:
        raise InvalidInputError.for_field(
            "quantity", Msg("action.quantity_too_large", remaining=left)
        )


# Quote decisions ------------------------------------------------------------------


def _normalize_status(status: str) -> str:
    return re.sub(r"[\s-]+", "_", status.strip().lower())


def check_quote_decidable(
    kind: str,
    status: str,
    earlier: Sequence[QuoteDecision],
    *,
    statuses: frozenset[str] = DECIDABLE_QUOTE_STATUSES,
) -> None:
    """Refuse a decision on a document that is not a sent quote, or already decided."""
    if kind not in DECIDABLE_QUOTE_KINDS or _normalize_status(status) not in statuses:
        raise ConflictError(Msg("action.quote_not_decidable"))
    if any(QuoteDecisionKind(d.decision).is_final for d in earlier):
        raise AlreadyUsedError(Msg("action.quote_decided"))
