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

Where the parts live: this module holds the service request and re-exports
the rest, one module per capability (``_actions_appointments``,
``_actions_meters``, ``_actions_maintenance``, ``_actions_rentals``,
``_actions_quotes``, ``_actions_contact``), the settings (``_actions_settings``) and the payload
parsing (``_actions_input``). Import every name from here.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from portalkit.domain._actions_appointments import (
    Appointment,
    AppointmentStatus,
    Slot,
    SlotOffer,
    check_slot,
    weekly_slots,
)
from portalkit.domain._actions_contact import (
    CONTACT_FIELDS,
    RequestContact,
    clean_contact,
)
from portalkit.domain._actions_input import (
    IdempotencyKey,
    check_fields,
    clean_idempotency_key,
    clean_text,
    fingerprint,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_number,
    parse_quantity,
)
from portalkit.domain._actions_maintenance import (
    MaintenanceItem,
    MaintenanceKind,
    Schedule,
    split_schedule,
)
from portalkit.domain._actions_meters import (
    DISTANCE_UNITS,
    MAX_READING,
    Meter,
    MeterReading,
    check_reading,
    convert_units,
)
from portalkit.domain._actions_quotes import (
    DECIDABLE_QUOTE_KINDS,
    DECIDABLE_QUOTE_STATUSES,
    QuoteDecision,
    QuoteDecisionKind,
    check_quote_decidable,
)
from portalkit.domain._actions_rentals import (
    CallOff,
    RentalItem,
    check_call_off,
    check_pickup_date,
    remaining_quantity,
)
from portalkit.domain._actions_settings import (
    DEFAULT_READING_MAX_PER_DAY,
    ActionConfig,
    ActionSettings,
    BusinessHours,
)

__all__ = [
    "CONTACT_FIELDS",
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
    "RequestContact",
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
    "clean_contact",
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


@attrs.frozen(kw_only=True)
class ServiceRequest:
    """A customer's request for service (seed 000) or for a job (seed 002).

    It is unscheduled and carries the tenant's default status; for a job
    request, :attr:`job_id` is the unscheduled job created with it.

    ``contact_name``, ``contact_phone`` (E.164 when a phone normalizer is
    configured) and ``contact_email`` are how to reach whoever asked: a guest
    must give them, a signed-in user may. Lists show them to staff and to the
    user who asked; to everyone else they are None.
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
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
