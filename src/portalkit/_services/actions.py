"""Customer actions as use cases: each stored with its event and audit entry in ONE transaction.

This module is the entry point: the use cases live one per module
(:mod:`~portalkit._services.service_requests`, :mod:`~portalkit._services.appointments`,
:mod:`~portalkit._services.meters`, :mod:`~portalkit._services.maintenance`,
:mod:`~portalkit._services.rentals`, :mod:`~portalkit._services.quotes`) and are
re-exported here with :class:`ActionRecords`, the staff side.

Every submitting method follows the same flow
(:meth:`~portalkit._services.action_base.ActionService._submit`):

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
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

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
    check_fields,
    clean_text,
    parse_date,
    parse_id,
    parse_number,
    parse_quantity,
)
from portalkit.domain.filters import Range
from portalkit.domain.i18n import Msg
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import (
    InvalidInputError,
    InvalidRowError,
    NotFoundError,
    PortalkitError,
)
from portalkit.ports import ScopedRepository, Storage, UnitOfWork, UpsertCounts

__all__ = [
    "ActionRecords",
    "ActionSync",
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

T = TypeVar("T")


class ActionRecords:
    """Staff and sync operations: settings, meters, maintenance items, rental items.

    The host owns this data (its ERP); it pushes it here, keyed by its own
    external keys where it has them.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def settings(self, tenant_id: int) -> ActionSettings:
        """The tenant's action settings."""
        with self._storage.unit_of_work(read_only=True) as uow:
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

    def purge_idempotency_keys(self, tenant_id: int, *, before: dt.datetime) -> int:
        """Forget idempotency keys created before *before* (say, a day ago); returns how many.

        A key only has to outlive the retries of one form, so a daily purge keeps
        the table small; a submit that reuses a purged key acts again.
        """
        if before.tzinfo is None:
            raise InvalidInputError.for_field("before", "Use a timezone-aware time.")
        removed = 0
        with self._storage.unit_of_work() as uow:
            repo = uow.actions.idempotency
            for key in repo.find(tenant_id, Range("created_at", None, before), limit=50_000):
                removed += repo.delete(tenant_id, key.id)
            uow.commit()
        return removed

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


# Nightly sync of the host's data -----------------------------------------------------

_METER_FIELDS = frozenset({"external_key", "asset", "name", "unit", "last_value", "last_read_at"})
_MAINTENANCE_FIELDS = frozenset(
    {"external_key", "asset", "kind", "code", "description", "due_on", "due_meter", "last_done_on"}
)
_RENTAL_FIELDS = frozenset(
    {
        "external_key",
        "scope",
        "contract_number",
        "item_number",
        "description",
        "quantity_out",
        "quantity_called_off",
        "quantity_returned",
        "out_since",
    }
)


def _key(row: Mapping[str, object]) -> str:
    return clean_text("external_key", row.get("external_key"), max_length=200, required=True)


def _count(field: str, value: object) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    return int(text)


def _optional_date(field: str, value: object) -> dt.date | None:
    return None if value in (None, "") else parse_date(field, value)


def _optional_number(field: str, value: object) -> float | None:
    return None if value in (None, "") else parse_number(field, value)


def _parse_rows(
    rows: Iterable[Mapping[str, object]],
    allowed: frozenset[str],
    build: Callable[[Mapping[str, object]], T],
) -> list[T]:
    out: list[T] = []
    for number, row in enumerate(rows, start=1):
        try:
            check_fields(row, allowed)
            out.append(build(row))
        except PortalkitError as error:
            raise InvalidRowError(number, error) from None
    return out


class ActionSync:
    """The host's nightly push of meters, PMs/SAs and items on rent, by external key.

    Each call is one transaction: a bad row (its 1-based number in
    :class:`~portalkit.errors.InvalidRowError`) stores nothing. Assets and scope
    nodes are named by the host's external keys.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @staticmethod
    def _assets(uow: UnitOfWork, tenant_id: int, keys: Iterable[object]) -> dict[str, Asset]:
        found: dict[str, Asset] = {}
        for key in dict.fromkeys(str(k) for k in keys):
            asset = uow.assets.get_by_external_key(tenant_id, key)
            if asset is not None:
                found[key] = asset
        return found

    @staticmethod
    def _asset_of(assets: Mapping[str, Asset], row: Mapping[str, object]) -> Asset:
        asset = assets.get(str(row.get("asset")))
        if asset is None:
            raise InvalidInputError.for_field("asset", "Unknown asset key.")
        return asset

    def upsert_meters(
        self, tenant_id: int, rows: Iterable[Mapping[str, object]]
    ) -> UpsertCounts:
        """Insert or update meters (``external_key``, ``asset`` key, ``name``, ``unit``,
        optional ``last_value`` and ``last_read_at``; a row without them keeps the
        stored last reading)."""
        rows = list(rows)
        with self._storage.unit_of_work() as uow:
            assets = self._assets(uow, tenant_id, (r.get("asset") for r in rows))

            def build(row: Mapping[str, object]) -> Meter:
                asset = self._asset_of(assets, row)
                key = _key(row)
                old = uow.actions.meters.get_by_external_key(tenant_id, key)
                given = row.get("last_value") not in (None, "")
                read_at = row.get("last_read_at")
                if read_at is not None and not (
                    isinstance(read_at, dt.datetime) and read_at.tzinfo is not None
                ):
                    raise InvalidInputError.for_field("last_read_at", Msg("field.not_a_datetime"))
                return Meter(
                    id=0,
                    tenant_id=tenant_id,
                    asset_id=asset.id,
                    scope_path=asset.scope_path,
                    name=clean_text("name", row.get("name"), max_length=60, required=True),
                    unit=clean_text("unit", row.get("unit"), max_length=16, required=True),
                    last_value=(
                        _optional_number("last_value", row.get("last_value"))
                        if given or old is None
                        else old.last_value
                    ),
                    last_read_at=(
                        read_at if given or old is None else old.last_read_at
                    ),
                    external_key=key,
                )

            meters = _parse_rows(rows, _METER_FIELDS, build)
            counts = uow.actions.meters.upsert_many(tenant_id, meters)
            uow.commit()
        return counts

    def upsert_maintenance_items(
        self, tenant_id: int, rows: Iterable[Mapping[str, object]]
    ) -> UpsertCounts:
        """Insert or update PMs and SAs (``external_key``, ``asset`` key, ``kind``
        ("pm"/"sa"), ``code``, ``due_on``, optional ``description``, ``due_meter``,
        ``last_done_on``)."""
        rows = list(rows)
        with self._storage.unit_of_work() as uow:
            assets = self._assets(uow, tenant_id, (r.get("asset") for r in rows))

            def build(row: Mapping[str, object]) -> MaintenanceItem:
                asset = self._asset_of(assets, row)
                try:
                    kind = MaintenanceKind(str(row.get("kind", "")).strip().lower()).value
                except ValueError:
                    raise InvalidInputError.for_field("kind", Msg("field.not_a_choice")) from None
                return MaintenanceItem(
                    id=0,
                    tenant_id=tenant_id,
                    asset_id=asset.id,
                    scope_path=asset.scope_path,
                    kind=kind,
                    code=clean_text("code", row.get("code"), max_length=60, required=True),
                    description=clean_text(
                        "description", row.get("description"), max_length=500
                    ),
                    due_on=_optional_date("due_on", row.get("due_on")),
                    due_meter=_optional_number("due_meter", row.get("due_meter")),
                    last_done_on=_optional_date("last_done_on", row.get("last_done_on")),
                    external_key=_key(row),
                )

            items = _parse_rows(rows, _MAINTENANCE_FIELDS, build)
            counts = uow.actions.maintenance.upsert_many(tenant_id, items)
            uow.commit()
        return counts

    def upsert_rental_items(
        self, tenant_id: int, rows: Iterable[Mapping[str, object]]
    ) -> UpsertCounts:
        """Insert or update items on rent (``external_key``, ``scope`` key of the
        organization or site, ``contract_number``, ``item_number``, ``quantity_out``,
        optional ``quantity_called_off``, ``quantity_returned``, ``description``,
        ``out_since``).

        The host's counts replace the stored ones: once the host has processed a
        call-off (``rental.call_off_requested``), it sends its own called-off
        and returned quantities.
        """
        rows = list(rows)
        with self._storage.unit_of_work() as uow:
            keys = [str(r.get("scope")) for r in rows]
            found = uow.scopes.get_many_by_external_key(tenant_id, keys)
            nodes = {n.external_key: n for n in found}

            def build(row: Mapping[str, object]) -> RentalItem:
                node = nodes.get(str(row.get("scope")))
                if node is None:
                    raise InvalidInputError.for_field("scope", "Unknown scope key.")
                return RentalItem(
                    id=0,
                    tenant_id=tenant_id,
                    scope_id=node.id,
                    scope_path=node.path,
                    contract_number=clean_text(
                        "contract_number", row.get("contract_number"), max_length=64,
                        required=True,
                    ),
                    item_number=clean_text(
                        "item_number", row.get("item_number"), max_length=64, required=True
                    ),
                    description=clean_text(
                        "description", row.get("description"), max_length=500
                    ),
                    quantity_out=_count("quantity_out", row.get("quantity_out")),
                    quantity_called_off=_count(
                        "quantity_called_off", row.get("quantity_called_off")
                    ),
                    quantity_returned=_count("quantity_returned", row.get("quantity_returned")),
                    out_since=_optional_date("out_since", row.get("out_since")),
                    external_key=_key(row),
                )

            items = _parse_rows(rows, _RENTAL_FIELDS, build)
            counts = uow.actions.rentals.upsert_many(tenant_id, items)
            uow.commit()
        return counts
