"""Customer actions as use cases: each stored with its event and audit entry in ONE transaction.

This module is the entry point: the use cases live one per module
(:mod:`~portalkit._services.service_requests`, :mod:`~portalkit._services.appointments`,
:mod:`~portalkit._services.meters`, :mod:`~portalkit._services.maintenance`,
:mod:`~portalkit._services.rentals`, :mod:`~portalkit._services.quotes`) and are
re-exported here with :class:`ActionRecords`, the staff side.

Every submitting method follows the same flow (:meth:`~portalkit._services.action_base.ActionService._submit`):

1. parse the payload strictly (unknown fields, statuses, organization or
   foreign ids are refused field by field; nothing is stored);
2. in one unit of work: claim the client's idempotency key, if one was given
   (a repeated submit returns the first result instead of acting twice); check
   the principal may act on the record (a record outside their scope is
   :class:`~portalkit.errors.NotFoundError`, one they can see but not act on
   :class:`~portalkit.errors.PermissionDeniedError`); validate; store the action;
   add its outbox event and its audit entry; commit;
3. a denial is audited in a unit of its own (the action's unit rolled back).

The host learns of every action from the outbox (:mod:`portalkit._services.events`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import attrs

from portalkit._services.action_base import (
    PolicyLoader,
    settings_of,
    timezone_of,
)
from portalkit._services.appointments import Appointments, AvailableSlot
from portalkit._services.maintenance import Maintenance
from portalkit._services.meters import Meters
from portalkit._services.quotes import Quotes
from portalkit._services.rentals import Rentals
from portalkit._services.service_requests import ServiceRequests
from portalkit.domain.actions import (
    ActionConfig,
    ActionSettings,
    MaintenanceItem,
    MaintenanceKind,
    Meter,
    RentalItem,
    clean_text,
    parse_id,
    parse_quantity,
)
from portalkit.domain.i18n import Msg
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import (
    InvalidInputError,
    NotFoundError,
)
from portalkit.ports import ScopedRepository, Storage, UnitOfWork

__all__ = [
    "ActionRecords",
    "Appointments",
    "AvailableSlot",
    "Maintenance",
    "Meters",
    "PolicyLoader",
    "Quotes",
    "Rentals",
    "ServiceRequests",
    "rewrite_scope_prefix",
    "settings_of",
]


class ActionRecords:
    """Staff and sync operations: settings, meters, maintenance items, rental items.

    The host owns this data (its ERP); it pushes it here, keyed by its own
    external keys where it has them.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def settings(self, tenant_id: int) -> ActionSettings:
        """The tenant's action settings."""
        with self._storage.unit_of_work() as uow:
            return settings_of(uow, tenant_id)

    def set_settings(self, tenant_id: int, settings: ActionSettings) -> ActionSettings:
        """Replace the tenant's action settings."""
        timezone_of(settings.timezone)
        with self._storage.unit_of_work() as uow:
            found = uow.actions.settings.find(tenant_id, limit=1)
            if found:
                uow.actions.settings.update(attrs.evolve(found[0], data=settings.to_dict()))
            else:
                uow.actions.settings.add(
                    ActionConfig(id=0, tenant_id=tenant_id, data=settings.to_dict())
                )
            uow.commit()
        return settings

    @staticmethod
    def _asset(uow: UnitOfWork, tenant_id: int, asset: int | Asset) -> Asset:
        found = uow.assets.get(tenant_id, parse_id("asset", asset) or 0)
        if found is None:
            raise NotFoundError()
        return found

    def add_meter(
        self,
        tenant_id: int,
        asset: int | Asset,
        *,
        name: str,
        unit: str,
        last_value: float | None = None,
        last_read_at: dt.datetime | None = None,
        external_key: str | None = None,
    ) -> Meter:
        """Add a meter to an asset (``name`` such as "odometer", ``unit`` such as "km")."""
        with self._storage.unit_of_work() as uow:
            found = self._asset(uow, tenant_id, asset)
            meter = uow.actions.meters.add(
                Meter(
                    id=0,
                    tenant_id=tenant_id,
                    asset_id=found.id,
                    scope_path=found.scope_path,
                    name=clean_text("name", name, max_length=60, required=True),
                    unit=clean_text("unit", unit, max_length=16, required=True),
                    last_value=last_value,
                    last_read_at=last_read_at,
                    external_key=external_key,
                )
            )
            uow.commit()
        return meter

    def add_maintenance_item(
        self,
        tenant_id: int,
        asset: int | Asset,
        *,
        kind: str,
        code: str,
        due_on: dt.date | None,
        description: str = "",
        due_meter: float | None = None,
        last_done_on: dt.date | None = None,
        external_key: str | None = None,
    ) -> MaintenanceItem:
        """Add a PM (``kind="pm"``) or SA (``kind="sa"``) to an asset's schedule."""
        try:
            kind_value = MaintenanceKind(kind).value
        except ValueError:
            raise InvalidInputError.for_field("kind", Msg("field.not_a_choice")) from None
        with self._storage.unit_of_work() as uow:
            found = self._asset(uow, tenant_id, asset)
            item = uow.actions.maintenance.add(
                MaintenanceItem(
                    id=0,
                    tenant_id=tenant_id,
                    asset_id=found.id,
                    scope_path=found.scope_path,
                    kind=kind_value,
                    code=clean_text("code", code, max_length=60, required=True),
                    description=clean_text("description", description, max_length=500),
                    due_on=due_on,
                    due_meter=due_meter,
                    last_done_on=last_done_on,
                    external_key=external_key,
                )
            )
            uow.commit()
        return item

    def add_rental_item(
        self,
        tenant_id: int,
        scope: int | ScopeNode,
        *,
        contract_number: str,
        item_number: str,
        quantity_out: int,
        description: str = "",
        quantity_called_off: int = 0,
        quantity_returned: int = 0,
        out_since: dt.date | None = None,
        external_key: str | None = None,
    ) -> RentalItem:
        """Add an item out on rent on a customer's contract (at an organization or site)."""
        with self._storage.unit_of_work() as uow:
            node = uow.scopes.get(tenant_id, parse_id("scope", scope) or 0)
            if node is None:
                raise NotFoundError()
            item = uow.actions.rentals.add(
                RentalItem(
                    id=0,
                    tenant_id=tenant_id,
                    scope_id=node.id,
                    scope_path=node.path,
                    contract_number=clean_text(
                        "contract_number", contract_number, max_length=64, required=True
                    ),
                    item_number=clean_text(
                        "item_number", item_number, max_length=64, required=True
                    ),
                    description=clean_text("description", description, max_length=500),
                    quantity_out=parse_quantity("quantity_out", quantity_out),
                    quantity_called_off=quantity_called_off,
                    quantity_returned=quantity_returned,
                    out_since=out_since,
                    external_key=external_key,
                )
            )
            uow.commit()
        return item


def rewrite_scope_prefix(uow: UnitOfWork, tenant_id: int, old: str, new: str) -> int:
    """Move the scope paths of every action record below *old* to below *new*.

    The staff API calls this (with the other repositories) when a scope node
    moves, so requests, appointments, meters, readings, maintenance items,
    rental items, call-offs and quote decisions follow their node.
    """
    a = uow.actions
    repos: tuple[ScopedRepository[Any], ...] = (
        a.requests,
        a.appointments,
        a.meters,
        a.readings,
        cast(ScopedRepository[Any], a.maintenance),
        a.rentals,
        a.call_offs,
        a.quote_decisions,
    )
    return sum(repo.rewrite_scope_prefix(tenant_id, old, new) for repo in repos)
