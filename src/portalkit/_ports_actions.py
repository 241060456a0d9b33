"""The customer action ports: availability, idempotency keys, slots, meters, rental items.

:mod:`portalkit.ports` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from portalkit._ports_repositories import KeyedRepository, Repository, ScopedRepository
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


class Availability(Protocol):
    """The host's appointment calendar: which slots can be booked.

    Without one, slots come from the tenant's business hours
    (:class:`~portalkit.domain.actions.ActionSettings`).
    """

    def offers(
        self, tenant_id: int, scope_path: str, start: dt.datetime, end: dt.datetime
    ) -> Sequence[SlotOffer]:
        """Bookable slots starting in ``[start, end)`` for a record at *scope_path*."""
        ...


class IdempotencyKeyRepository(Repository[IdempotencyKey], Protocol):
    """Client-supplied idempotency keys; ``add`` raises ConflictError for a used key."""

    def get_by_key(self, tenant_id: int, owner: str, key: str) -> IdempotencyKey | None:
        """The key *owner* used, or None."""
        ...


class SlotRepository(Repository[Slot], Protocol):
    """Appointment slots and how many bookings hold each."""

    def ensure(self, tenant_id: int, offer: SlotOffer) -> Slot:
        """The stored slot for *offer* (created if missing; capacity follows the offer).

        Safe when two units create the same slot at once.
        """
        ...

    def reserve(self, tenant_id: int, slot_id: int) -> bool:
        """Take one place (``UPDATE … SET booked = booked + 1 WHERE booked < capacity``).

        Of concurrent callers for the last place exactly one gets True.
        """
        ...

    def release(self, tenant_id: int, slot_id: int) -> None:
        """Give one place back."""
        ...


class MeterRepository(ScopedRepository[Meter], KeyedRepository[Meter], Protocol):
    """Asset meters with their last reading."""

    def update_if_unchanged(self, old: Meter, new: Meter) -> bool:
        """Store *new* only if the last reading is still *old*'s; False otherwise."""
        ...


class RentalItemRepository(ScopedRepository[RentalItem], KeyedRepository[RentalItem], Protocol):
    """Items out on rent."""

    def call_off(self, tenant_id: int, item_id: int, quantity: int) -> bool:
        """Add *quantity* to the called-off count only if that many are still out."""
        ...


class ActionRepositories(Protocol):
    """The repositories of customer actions (``uow.actions``)."""

    @property
    def requests(self) -> ScopedRepository[ServiceRequest]: ...

    @property
    def slots(self) -> SlotRepository: ...

    @property
    def appointments(self) -> ScopedRepository[Appointment]: ...

    @property
    def meters(self) -> MeterRepository: ...

    @property
    def readings(self) -> ScopedRepository[MeterReading]: ...

    @property
    def maintenance(self) -> KeyedRepository[MaintenanceItem]: ...

    @property
    def rentals(self) -> RentalItemRepository: ...

    @property
    def call_offs(self) -> ScopedRepository[CallOff]: ...

    @property
    def quote_decisions(self) -> ScopedRepository[QuoteDecision]: ...

    @property
    def idempotency(self) -> IdempotencyKeyRepository: ...

    @property
    def settings(self) -> Repository[ActionConfig]: ...
