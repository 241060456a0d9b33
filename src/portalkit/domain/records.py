"""The host's business records that the portal shows, each bound to one scope node.

The host's ERP owns these; portalkit keeps the copy it needs to decide who may
see what (synced by the bulk upsert). ``scope_path`` is the node's path, kept in
step when the node moves, so a scope check needs no join.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["Asset", "CustomerRecord", "Document", "Job"]


@attrs.frozen(kw_only=True)
class Asset:
    """A vehicle or piece of equipment, found by its number or licence plate.

    ``number_key`` and ``plate_key`` are the normalized forms used for lookups;
    ``plate_fold`` is ``plate_key`` with look-alike characters folded (O/0, I/L/1),
    for tenants that match plates that way.
    """

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    number: str
    number_key: str
    plate: str | None = None
    plate_key: str | None = None
    plate_fold: str | None = None
    region: str | None = None
    external_key: str | None = None
    asset_type: str = ""
    description: str = ""
    model: str = ""
    serial: str = ""
    customer_ref: str = ""
    last_test_number: str | None = None
    last_test_date: dt.date | None = None


@attrs.frozen(kw_only=True)
class Document:
    """A quote, proposal, invoice, report, statement, contract or host-defined kind."""

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    kind: str
    status: str
    number: str
    title: str = ""
    issued_on: dt.date | None = None
    total_cents: int | None = None
    currency: str | None = None
    filename: str | None = None
    content_type: str = "application/pdf"
    external_key: str | None = None
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class Job:
    """A job or work order at one of the customer's sites."""

    id: int
    tenant_id: int
    scope_id: int
    scope_path: str
    number: str
    status: str
    job_type: str = ""
    scheduled_on: dt.date | None = None
    site_address: str = ""
    notes: str = ""
    po_number: str = ""
    asset_id: int | None = None
    external_key: str | None = None
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class CustomerRecord:
    """The host's customer account behind an organization (seed 004).

    Registration by proof reads ``phone``, ``email`` and ``postal_code``; the
    account is eligible when ``portal_enabled`` and ``is_account`` are set and it
    has at least one contract or quote.
    """

    id: int
    tenant_id: int
    organization_id: int
    external_key: str
    name: str
    phone: str | None = None
    email: str | None = None
    postal_code: str | None = None
    country: str = "US"
    portal_enabled: bool = False
    is_account: bool = True
    contract_count: int = 0
    quote_count: int = 0
