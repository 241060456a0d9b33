"""Tables of customer actions: requests, appointments and slots, meters and readings,
maintenance items, rental items and call-offs, quote decisions, idempotency keys, settings.

They use :class:`~portalkit.adapters.sqlalchemy.tables.Base` (portalkit's own
metadata) and are created by migration ``0005_actions``. Two unique constraints
carry concurrency rules: ``(tenant_id, location, starts_at)`` makes a slot one
row (its ``booked`` count is raised by a conditional update), and
``(tenant_id, owner, key)`` makes an idempotency key claimable once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Double, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portalkit.adapters.sqlalchemy.tables import (
    Base,
    id_column,
    optional_ref_column,
    ref_column,
    tenant_column,
)

__all__ = [
    "ActionSettingsRow",
    "AppointmentRow",
    "CallOffRow",
    "IdempotencyKeyRow",
    "MaintenanceItemRow",
    "MeterReadingRow",
    "MeterRow",
    "QuoteDecisionRow",
    "RentalItemRow",
    "ServiceRequestRow",
    "SlotRow",
]


class ServiceRequestRow(Base):
    """A service or job request."""

    __tablename__ = "portalkit_service_requests"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        Index(None, "tenant_id", "asset_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    job_type: Mapped[str]
    description: Mapped[str]
    asset_id: Mapped[int | None] = optional_ref_column()
    job_id: Mapped[int | None] = optional_ref_column()
    requested_by: Mapped[int | None] = optional_ref_column()
    created_at: Mapped[dt.datetime]
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    contact_email: Mapped[str | None]


class SlotRow(Base):
    """An appointment slot: one row per (location, start), with its bookings counted."""

    __tablename__ = "portalkit_slots"
    __table_args__ = (UniqueConstraint("tenant_id", "location", "starts_at"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    location: Mapped[str]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    capacity: Mapped[int]
    booked: Mapped[int]


class AppointmentRow(Base):
    """A customer appointment."""

    __tablename__ = "portalkit_appointments"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        Index(None, "tenant_id", "starts_at"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    asset_id: Mapped[int] = ref_column()
    slot_id: Mapped[int] = ref_column()
    location: Mapped[str]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    status: Mapped[str]
    notes: Mapped[str]
    booked_by: Mapped[int | None] = optional_ref_column()
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None]


class MeterRow(Base):
    """A meter of an asset with its last reading."""

    __tablename__ = "portalkit_meters"
    __table_args__ = (
        UniqueConstraint("tenant_id", "asset_id", "name"),
        UniqueConstraint("tenant_id", "external_key"),
        Index(None, "tenant_id", "scope_path"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    asset_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    name: Mapped[str]
    unit: Mapped[str]
    last_value: Mapped[float | None] = mapped_column(Double(), nullable=True)
    last_read_at: Mapped[dt.datetime | None]
    external_key: Mapped[str | None]


class MeterReadingRow(Base):
    """One meter reading."""

    __tablename__ = "portalkit_meter_readings"
    __table_args__ = (
        Index(None, "tenant_id", "meter_id", "read_at"),
        Index(None, "tenant_id", "scope_path"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    meter_id: Mapped[int] = ref_column()
    asset_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    value: Mapped[float] = mapped_column(Double(), nullable=False)
    unit: Mapped[str]
    read_at: Mapped[dt.datetime]
    is_replacement: Mapped[bool]
    recorded_by: Mapped[int | None] = optional_ref_column()
    created_at: Mapped[dt.datetime]


class MaintenanceItemRow(Base):
    """A PM or SA of an asset."""

    __tablename__ = "portalkit_maintenance_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_key"),
        Index(None, "tenant_id", "asset_id"),
        Index(None, "tenant_id", "scope_path"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    asset_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    kind: Mapped[str]
    code: Mapped[str]
    description: Mapped[str]
    due_on: Mapped[dt.date | None]
    due_meter: Mapped[float | None] = mapped_column(Double(), nullable=True)
    last_done_on: Mapped[dt.date | None]
    external_key: Mapped[str | None]


class RentalItemRow(Base):
    """An item out on rent, with the quantities called off and returned."""

    __tablename__ = "portalkit_rental_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_key"),
        Index(None, "tenant_id", "scope_path"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    contract_number: Mapped[str]
    item_number: Mapped[str]
    description: Mapped[str]
    quantity_out: Mapped[int]
    quantity_called_off: Mapped[int]
    quantity_returned: Mapped[int]
    out_since: Mapped[dt.date | None]
    external_key: Mapped[str | None]


class CallOffRow(Base):
    """One line of a call-off request."""

    __tablename__ = "portalkit_call_offs"
    __table_args__ = (
        Index(None, "tenant_id", "request_ref"),
        Index(None, "tenant_id", "scope_path"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    rental_item_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    request_ref: Mapped[str]
    contract_number: Mapped[str]
    quantity: Mapped[int]
    pickup_on: Mapped[dt.date]
    notes: Mapped[str]
    requested_by: Mapped[int | None] = optional_ref_column()
    created_at: Mapped[dt.datetime]


class QuoteDecisionRow(Base):
    """A decision on a quote; ``final_key`` allows one final decision per document."""

    __tablename__ = "portalkit_quote_decisions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "final_key"),
        Index(None, "tenant_id", "document_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    document_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    decision: Mapped[str]
    signer_name: Mapped[str]
    signature: Mapped[str]
    message: Mapped[str]
    final_key: Mapped[int | None] = optional_ref_column()
    decided_by: Mapped[int | None] = optional_ref_column()
    decided_at: Mapped[dt.datetime]
    client_key: Mapped[str | None]


class IdempotencyKeyRow(Base):
    """A client's idempotency key and the result it stands for."""

    __tablename__ = "portalkit_idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "owner", "key"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    owner: Mapped[str]
    key: Mapped[str]
    action: Mapped[str]
    fingerprint: Mapped[str]
    result_ref: Mapped[str | None]
    created_at: Mapped[dt.datetime]


class ActionSettingsRow(Base):
    """A tenant's action settings (one JSON document)."""

    __tablename__ = "portalkit_action_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    data: Mapped[dict[str, Any]]
