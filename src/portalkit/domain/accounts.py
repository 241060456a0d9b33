"""Account views (seed 004), defects (seed 002) and KPI tiles (seed 001).

The host's ERP owns the ledger, the rental contracts and the figures behind
KPI tiles; portalkit reads them through ports
(:class:`~portalkit.ports.AccountSource`, :class:`~portalkit.ports.KpiSource`)
and decides who may see them. These are the shapes those ports return, and
the records the SQL-backed default keeps.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = [
    "KPI_CATALOGUE",
    "AccountBalance",
    "AccountSummary",
    "Contract",
    "Defect",
    "ItemOut",
    "KpiTile",
]


@attrs.frozen(kw_only=True)
class AccountBalance:
    """An organization's balance and last payment, as the ERP reports it."""

    id: int
    tenant_id: int
    organization_id: int
    balance_cents: int
    currency: str = "USD"
    last_payment_cents: int | None = None
    last_payment_on: dt.date | None = None
    as_of: dt.date | None = None


@attrs.frozen(kw_only=True)
class Contract:
    """A rental contract: number, status and how many items are out on it."""

    id: int
    tenant_id: int
    organization_id: int
    scope_path: str
    number: str
    status: str
    items_out: int = 0
    started_on: dt.date | None = None
    external_key: str | None = None


@attrs.frozen(kw_only=True)
class ItemOut:
    """An item on rent (seed 004's Items Out): which contract, what, how many are out.

    ``quantity_out`` is what is still out (not yet returned); ``quantity_called_off``
    of those are already called off rent and waiting for pickup.
    """

    id: int
    tenant_id: int
    organization_id: int
    scope_path: str
    contract_number: str
    item_number: str
    description: str = ""
    quantity_out: int = 1
    quantity_called_off: int = 0
    out_since: dt.date | None = None
    external_key: str | None = None


@attrs.frozen(kw_only=True)
class Defect:
    """A defect found on an asset (seed 002: "list of defects - searchable by asset")."""

    id: int
    tenant_id: int
    asset_id: int
    scope_path: str
    number: str
    description: str = ""
    severity: str = ""
    status: str = "open"
    reported_on: dt.date | None = None
    external_key: str | None = None


@attrs.frozen
class AccountSummary:
    """What the summary page shows (seed 004)."""

    organization_id: int
    balance_cents: int | None
    currency: str
    last_payment_cents: int | None
    last_payment_on: dt.date | None
    as_of: dt.date | None = None


@attrs.frozen
class KpiTile:
    """One KPI/report tile a principal may see, with its value from the host."""

    key: str
    label: str
    value: int | float | str | None


#: Seed 001's KPI/report tiles; a host may use any other keys too.
KPI_CATALOGUE: dict[str, str] = {
    "total_service_repairs": "Total Services Repairs",
    "service_calibrations_on_time": "Service Calibrations On Time",
    "quotes_overview_by_status": "Quotes Overview By Status",
    "open_calls_contract_equipment": "Open Calls Contract Equipment",
    "most_expensive_equipment": "Most Expensive Equipment",
    "equipment_open_rejected_quotes": "Equipment Open Rejected Quotes",
    "equipment_in_service": "Equipment In Service",
    "completed_service_visits": "Completed Service Visits",
    "first_time_fix_calls": "First Time Fix Calls",
}
