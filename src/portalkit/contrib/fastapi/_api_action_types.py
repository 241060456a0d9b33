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


# Rentals, quotes, profile ---------------------------------------------------------
@attrs.frozen
class ContractOut:
    """A rental contract the principal may see."""

    id: int
    number: str
    status: str
    items_out: int
    started_on: dt.date | None


@attrs.frozen
class RentalItemOut:
    """An item still out on rent."""

    id: int
    contract_number: str
    item_number: str
    description: str
    quantity_out: int
    quantity_called_off: int
    quantity_returned: int
    out_since: dt.date | None


@attrs.frozen
class CallOffLine:
    """One item to pick up, and how many."""

    item: int
    quantity: int


@attrs.frozen
class CallOffBody:
    """Ask for items to be picked up on a date (ISO 8601)."""

    items: list[CallOffLine]
    pickup_on: str
    notes: str | None = None


@attrs.frozen
class CallOffOut:
    """One line of a call-off request (the lines of one request share *request_ref*)."""

    id: int
    rental_item_id: int
    request_ref: str
    contract_number: str
    quantity: int
    pickup_on: dt.date
    notes: str


@attrs.frozen
class ApproveBody:
    """Approve a quote with a typed signature and the signer's name."""

    signer_name: str
    signature: str


@attrs.frozen
class DeclineBody:
    """Decline a quote with a reason."""

    reason: str


@attrs.frozen
class ChangesBody:
    """Ask for changes to a quote."""

    message: str


@attrs.frozen
class QuoteDecisionOut:
    """A decision recorded on a quote."""

    id: int
    document_id: int
    decision: str
    signer_name: str
    message: str


@attrs.frozen
class ProfileBody:
    """New name and contact details; a new email or phone needs the current password."""

    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    current_password: str | None = None


@attrs.frozen
class PasswordBody:
    """Change the password (*confirmation* repeats the new one)."""

    current_password: str
    new_password: str
    confirmation: str | None = None


@attrs.frozen
class PasswordChanged:
    """The password is changed; every other session has ended.

    This one goes on with a new session: the new bearer token for an app
    (*access_token*), or the new cookie and *csrf_token* for a browser.
    """

    access_token: str | None
    csrf_token: str | None
