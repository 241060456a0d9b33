"""Calling items off rent: rental items, call-offs and their pickup and quantity rules.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import AlreadyUsedError, InvalidInputError


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
