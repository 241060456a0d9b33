"""Repositories of customer actions over SQLAlchemy Core (``uow.actions``).

The generic :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`
does the plain work; the concurrency rules are single conditional statements:

- :meth:`SlotRepository.ensure`: ``INSERT … ON CONFLICT DO NOTHING`` on the
  slot's unique key, then a read, so two units creating one slot agree on it;
- :meth:`SlotRepository.reserve`: ``UPDATE … SET booked = booked + 1 WHERE
  booked < capacity``; PostgreSQL re-checks the condition after a concurrent
  writer commits, so of two bookings of the last place exactly one updates a row;
- :meth:`RentalItemRepository.call_off`: the same pattern for quantities;
- :meth:`MeterRepository.update_if_unchanged`: compare-and-set on the last reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, and_, update

from portalkit.adapters.sqlalchemy import action_tables as atables
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.actions import (
    ActionConfig,
    Appointment,
    CallOff,
    IdempotencyKey,
    MaintenanceItem,
    Meter,
    MeterReading,
    QuoteDecision,
    RentalItem,
    ServiceRequest,
    Slot,
    SlotOffer,
)
from portalkit.errors import ConfigurationError, NotFoundError

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

__all__ = [
    "ACTION_MAPPINGS",
    "IdempotencyKeyRepository",
    "MeterRepository",
    "RentalItemRepository",
    "SlotRepository",
    "SqlActionRepositories",
]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


ACTION_MAPPINGS: dict[str, TableMapping[Any]] = {
    "requests": TableMapping(
        ServiceRequest, _table(atables.ServiceRequestRow), path_field="scope_path"
    ),
    "slots": TableMapping(Slot, _table(atables.SlotRow)),
    "appointments": TableMapping(
        Appointment, _table(atables.AppointmentRow), path_field="scope_path"
    ),
    "meters": TableMapping(Meter, _table(atables.MeterRow), path_field="scope_path"),
    "readings": TableMapping(
        MeterReading, _table(atables.MeterReadingRow), path_field="scope_path"
    ),
    "maintenance": TableMapping(
        MaintenanceItem, _table(atables.MaintenanceItemRow), path_field="scope_path"
    ),
    "rentals": TableMapping(RentalItem, _table(atables.RentalItemRow), path_field="scope_path"),
    "call_offs": TableMapping(CallOff, _table(atables.CallOffRow), path_field="scope_path"),
    "quote_decisions": TableMapping(
        QuoteDecision, _table(atables.QuoteDecisionRow), path_field="scope_path"
    ),
    "idempotency": TableMapping(IdempotencyKey, _table(atables.IdempotencyKeyRow)),
    "settings": TableMapping(ActionConfig, _table(atables.ActionSettingsRow)),
}


class SlotRepository(SqlRepository[Slot]):
    """Appointment slots with their booking counts."""

    def _insert_if_missing(self) -> Any:
        dialect = self._uow.dialect
        table = self._m.table
        keys = [table.c.tenant_id, table.c.location, table.c.starts_at]
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

            return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

            return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
        raise ConfigurationError(f"Slots are not supported on {dialect}.")  # pragma: no cover

    def ensure(self, tenant_id: int, offer: SlotOffer) -> Slot:
        """The stored slot for *offer*, created if missing; capacity follows the offer."""
        table = self._m.table
        self._write(
            self._insert_if_missing(),
            {
                "tenant_id": tenant_id,
                "location": offer.location,
                "starts_at": offer.starts_at,
                "ends_at": offer.ends_at,
                "capacity": offer.capacity,
                "booked": 0,
            },
        )
        where = and_(
            table.c.tenant_id == tenant_id,
            table.c.location == offer.location,
            table.c.starts_at == offer.starts_at,
        )
        found = self._m.from_rows(self._execute(self._m.select_all.where(where)))
        if not found:  # pragma: no cover - inserted just above
            raise NotFoundError()
        slot = found[0]
        if slot.capacity != offer.capacity or slot.ends_at != offer.ends_at:
            self._write(
                update(table).where(where).values(capacity=offer.capacity, ends_at=offer.ends_at)
            )
            slot = Slot(
                id=slot.id,
                tenant_id=tenant_id,
                location=slot.location,
                starts_at=slot.starts_at,
                ends_at=offer.ends_at,
                capacity=offer.capacity,
                booked=slot.booked,
            )
        return slot

    def reserve(self, tenant_id: int, slot_id: int) -> bool:
        """Take one place if one is free (one conditional UPDATE)."""
        table = self._m.table
        stmt = (
            update(table)
            .where(
                table.c.tenant_id == tenant_id,
                table.c.id == slot_id,
                table.c.booked < table.c.capacity,
            )
            .values(booked=table.c.booked + 1)
        )
        return bool(self._write(stmt).rowcount)

    def release(self, tenant_id: int, slot_id: int) -> None:
        """Give one place back."""
        table = self._m.table
        stmt = (
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.id == slot_id, table.c.booked > 0)
            .values(booked=table.c.booked - 1)
        )
        self._write(stmt)


class MeterRepository(SqlRepository[Meter]):
    """Meters; the last reading moves by compare-and-set."""

    def update_if_unchanged(self, old: Meter, new: Meter) -> bool:
        """Store *new*'s last reading only if the stored one is still *old*'s."""
        table = self._m.table
        stmt = (
            update(table)
            .where(
                table.c.tenant_id == old.tenant_id,
                table.c.id == old.id,
                table.c.last_value.is_not_distinct_from(old.last_value),
                table.c.last_read_at.is_not_distinct_from(old.last_read_at),
            )
            .values(last_value=new.last_value, last_read_at=new.last_read_at)
        )
        return bool(self._write(stmt).rowcount)


class RentalItemRepository(SqlRepository[RentalItem]):
    """Items out on rent."""

    def call_off(self, tenant_id: int, item_id: int, quantity: int) -> bool:
        """Add *quantity* to the called-off count if that many are still out."""
        table = self._m.table
        left = table.c.quantity_out - table.c.quantity_called_off - table.c.quantity_returned
        stmt = (
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.id == item_id, left >= quantity)
            .values(quantity_called_off=table.c.quantity_called_off + quantity)
        )
        return quantity >= 1 and bool(self._write(stmt).rowcount)


class IdempotencyKeyRepository(SqlRepository[IdempotencyKey]):
    """Idempotency keys; ``add`` of a used key raises ConflictError (unique constraint)."""

    def get_by_key(self, tenant_id: int, owner: str, key: str) -> IdempotencyKey | None:
        """The key *owner* used, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(
            table.c.tenant_id == tenant_id, table.c.owner == owner, table.c.key == key
        )
        found = self._m.from_rows(self._execute(stmt))
        return found[0] if found else None


class SqlActionRepositories:
    """The action repositories of one SQL unit of work."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        m = ACTION_MAPPINGS
        self.requests: SqlRepository[ServiceRequest] = SqlRepository(uow, m["requests"])
        self.slots = SlotRepository(uow, m["slots"])
        self.appointments: SqlRepository[Appointment] = SqlRepository(uow, m["appointments"])
        self.meters = MeterRepository(uow, m["meters"])
        self.readings: SqlRepository[MeterReading] = SqlRepository(uow, m["readings"])
        self.maintenance: SqlRepository[MaintenanceItem] = SqlRepository(uow, m["maintenance"])
        self.rentals = RentalItemRepository(uow, m["rentals"])
        self.call_offs: SqlRepository[CallOff] = SqlRepository(uow, m["call_offs"])
        self.quote_decisions: SqlRepository[QuoteDecision] = SqlRepository(
            uow, m["quote_decisions"]
        )
        self.idempotency = IdempotencyKeyRepository(uow, m["idempotency"])
        self.settings: SqlRepository[ActionConfig] = SqlRepository(uow, m["settings"])
