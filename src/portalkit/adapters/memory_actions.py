"""In-memory repositories of customer actions (``uow.actions`` of the memory adapter).

Units of work of the memory adapter are serialized, so the conditional writes
(:meth:`_Slots.reserve`, :meth:`_Rentals.call_off`,
:meth:`_Meters.update_if_unchanged`) are plain checks followed by writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from portalkit.adapters.memory_table import _ENTITY_TYPES, _Table
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
    remaining_quantity,
)

if TYPE_CHECKING:
    from portalkit.adapters.memory import MemoryUnitOfWork

__all__ = ["MemoryActionRepositories"]


class _Requests(_Table[ServiceRequest]):
    name = "action_requests"


class _Slots(_Table[Slot]):
    name = "action_slots"
    unique = (("tenant_id", "location", "starts_at"),)

    def ensure(self, tenant_id: int, offer: SlotOffer) -> Slot:
        for slot in self._rows.values():
            if (
                slot.tenant_id == tenant_id
                and slot.location == offer.location
                and slot.starts_at == offer.starts_at
            ):
                if slot.capacity == offer.capacity and slot.ends_at == offer.ends_at:
                    return slot
                changed = attrs.evolve(slot, capacity=offer.capacity, ends_at=offer.ends_at)
                self._rows[slot.id] = changed
                return changed
        return self.add(
            Slot(
                id=0,
                tenant_id=tenant_id,
                location=offer.location,
                starts_at=offer.starts_at,
                ends_at=offer.ends_at,
                capacity=offer.capacity,
            )
        )

    def reserve(self, tenant_id: int, slot_id: int) -> bool:
        slot = self.get(tenant_id, slot_id)
        if slot is None or slot.booked >= slot.capacity:
            return False
        self._rows[slot_id] = attrs.evolve(slot, booked=slot.booked + 1)
        return True

    def release(self, tenant_id: int, slot_id: int) -> None:
        slot = self.get(tenant_id, slot_id)
        if slot is not None and slot.booked > 0:
            self._rows[slot_id] = attrs.evolve(slot, booked=slot.booked - 1)


class _Appointments(_Table[Appointment]):
    name = "action_appointments"


class _Meters(_Table[Meter]):
    name = "action_meters"
    unique = (("tenant_id", "external_key"), ("tenant_id", "asset_id", "name"))

    def update_if_unchanged(self, old: Meter, new: Meter) -> bool:
        stored = self.get(old.tenant_id, old.id)
        if stored is None or (stored.last_value, stored.last_read_at) != (
            old.last_value,
            old.last_read_at,
        ):
            return False
        self._rows[old.id] = new
        return True


class _Readings(_Table[MeterReading]):
    name = "action_readings"


class _Maintenance(_Table[MaintenanceItem]):
    name = "action_maintenance"
    unique = (("tenant_id", "external_key"),)


class _Rentals(_Table[RentalItem]):
    name = "action_rentals"
    unique = (("tenant_id", "external_key"),)

    def call_off(self, tenant_id: int, item_id: int, quantity: int) -> bool:
        item = self.get(tenant_id, item_id)
        if item is None or quantity < 1 or remaining_quantity(item) < quantity:
            return False
        self._rows[item_id] = attrs.evolve(
            item, quantity_called_off=item.quantity_called_off + quantity
        )
        return True


class _CallOffs(_Table[CallOff]):
    name = "action_call_offs"


class _QuoteDecisions(_Table[QuoteDecision]):
    name = "action_quote_decisions"
    unique = (("tenant_id", "final_key"),)


class _Idempotency(_Table[IdempotencyKey]):
    name = "action_idempotency"
    unique = (("tenant_id", "owner", "key"),)

    def get_by_key(self, tenant_id: int, owner: str, key: str) -> IdempotencyKey | None:
        return next(
            (
                k
                for k in self._rows.values()
                if k.tenant_id == tenant_id and k.owner == owner and k.key == key
            ),
            None,
        )


class _Settings(_Table[ActionConfig]):
    name = "action_settings"
    unique = (("tenant_id",),)


_ENTITY_TYPES.update(
    {
        "action_requests": ServiceRequest,
        "action_slots": Slot,
        "action_appointments": Appointment,
        "action_meters": Meter,
        "action_readings": MeterReading,
        "action_maintenance": MaintenanceItem,
        "action_rentals": RentalItem,
        "action_call_offs": CallOff,
        "action_quote_decisions": QuoteDecision,
        "action_idempotency": IdempotencyKey,
        "action_settings": ActionConfig,
    }
)


class MemoryActionRepositories:
    """The action repositories of one memory unit of work."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.requests = _Requests(uow)
        self.slots = _Slots(uow)
        self.appointments = _Appointments(uow)
        self.meters = _Meters(uow)
        self.readings = _Readings(uow)
        self.maintenance = _Maintenance(uow)
        self.rentals = _Rentals(uow)
        self.call_offs = _CallOffs(uow)
        self.quote_decisions = _QuoteDecisions(uow)
        self.idempotency = _Idempotency(uow)
        self.settings = _Settings(uow)
