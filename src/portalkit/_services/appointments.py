"""Customer appointments (seed 000): free slots, book, move, cancel, view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from portalkit import perms
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    iso,
    load_one,
    merge_fields,
    timezone_of,
)
from portalkit.domain.actions import (
    Appointment,
    AppointmentStatus,
    Slot,
    SlotOffer,
    check_fields,
    check_slot,
    clean_text,
    parse_datetime,
    parse_id,
    weekly_slots,
)
from portalkit.domain.filters import FALSE, Eq, Filter, Range, all_of
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Asset
from portalkit.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
)

__all__ = [
    "Appointments",
    "AvailableSlot",
]


@attrs.frozen
class AvailableSlot:
    """A slot the principal can book, with the places still free."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    free: int


class Appointments(ActionService):
    """View, book, move and cancel appointments (seed 000), each behind its permission."""

    BOOK_FIELDS = frozenset({"asset", "starts_at", "location", "notes"})
    MOVE_FIELDS = frozenset({"starts_at", "location", "notes"})

    def _offers(
        self, ctx: ActionContext, scope_path: str, start: dt.datetime, end: dt.datetime
    ) -> list[SlotOffer]:
        if self._availability is not None:
            return sorted(
                self._availability.offers(ctx.tenant_id, scope_path, start, end),
                key=lambda o: (o.starts_at, o.location),
            )
        s = ctx.settings
        return weekly_slots(
            s.business_hours,
            timezone_of(s.timezone),
            start,
            end,
            slot_minutes=s.slot_minutes,
            capacity=s.slot_capacity,
        )

    def available(
        self,
        principal: Principal,
        asset: int | Asset,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        policy: Policy | None = None,
    ) -> list[AvailableSlot]:
        """Slots with free places for *asset* between *start* (default now) and *end*
        (default: the booking horizon); never a slot in the past."""

        def body(ctx: ActionContext) -> list[AvailableSlot]:
            found = self._asset(ctx, asset, perms.APPOINTMENT_EDIT)
            s = ctx.settings
            earliest = ctx.now + dt.timedelta(minutes=s.min_notice_minutes)
            latest = ctx.now + dt.timedelta(days=s.booking_horizon_days)
            lo = max(start or earliest, earliest)
            hi = min(end or latest, latest)
            offers = [o for o in self._offers(ctx, found.scope_path, lo, hi) if o.starts_at > lo]
            if not offers:
                return []
            stored = ctx.uow.actions.slots.find(
                ctx.tenant_id, Range("starts_at", offers[0].starts_at, offers[-1].ends_at)
            )
            booked = {(sl.location, sl.starts_at): sl.booked for sl in stored}
            out = []
            for o in offers:
                free = o.capacity - booked.get((o.location, o.starts_at), 0)
                if free > 0:
                    out.append(AvailableSlot(o.starts_at, o.ends_at, o.location, free))
            return out

        return self._read(principal, body, policy)

    def _reserve(
        self, ctx: ActionContext, scope_path: str, starts_at: dt.datetime, location: str
    ) -> Slot:
        offers = [
            o
            for o in self._offers(
                ctx, scope_path, starts_at, starts_at + dt.timedelta(microseconds=1)
            )
            if o.starts_at == starts_at and o.location == location
        ]
        if not offers:
            # Past or too far slots are reported as such, not as "not offered".
            check_slot(SlotOffer(starts_at=starts_at, ends_at=starts_at), ctx.now, ctx.settings)
            raise InvalidInputError.for_field("starts_at", Msg("action.slot_not_offered"))
        offer = offers[0]
        check_slot(offer, ctx.now, ctx.settings)
        slot = ctx.uow.actions.slots.ensure(ctx.tenant_id, offer)
        if not ctx.uow.actions.slots.reserve(ctx.tenant_id, slot.id):
            raise ConflictError(Msg("action.slot_full"))
        return slot

    def book(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> Appointment:
        """Book a slot for an asset (``asset``, ``starts_at``, optional ``location``, ``notes``).

        ``starts_at`` is an aware datetime or ISO text (naive means the
        tenant's time zone). The last free place of a slot goes to exactly one
        of two concurrent bookings; the other gets ConflictError.

        Raises:
            InvalidInputError: past, too far, not offered, or a bad field.
            ConflictError: the slot is full.
            NotFoundError / PermissionDeniedError: the asset is not the
                principal's / they may not book appointments for it.
        """
        data = merge_fields(payload, fields)
        check_fields(data, self.BOOK_FIELDS)
        raw = {k: data.get(k) for k in sorted(self.BOOK_FIELDS)}
        return self._submit(
            principal,
            action="appointment.book",
            values=raw,
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._book(ctx, raw),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _book(self, ctx: ActionContext, data: Mapping[str, object]) -> tuple[Appointment, str]:
        s = ctx.settings
        tz = timezone_of(s.timezone)
        starts_at = parse_datetime("starts_at", data.get("starts_at"), tz)
        location = clean_text("location", data.get("location"), max_length=100)
        notes = clean_text("notes", data.get("notes"), max_length=s.description_max_length)
        asset = self._asset(ctx, data.get("asset"), perms.APPOINTMENT_EDIT)
        slot = self._reserve(ctx, asset.scope_path, starts_at, location)
        appointment = ctx.uow.actions.appointments.add(
            Appointment(
                id=0,
                tenant_id=ctx.tenant_id,
                scope_id=asset.scope_id,
                scope_path=asset.scope_path,
                asset_id=asset.id,
                slot_id=slot.id,
                location=slot.location,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                notes=notes,
                booked_by=ctx.principal.user_id,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        self._emit(
            ctx,
            "appointment.booked",
            _appointment_payload(appointment),
            target=f"appointment:{appointment.id}",
            scope_path=appointment.scope_path,
        )
        return appointment, f"appointment:{appointment.id}"

    def _own(self, ctx: ActionContext, appointment: object, action: str) -> Appointment:
        appointment_id = parse_id("appointment", appointment)
        found = (
            ctx.uow.actions.appointments.get(ctx.tenant_id, appointment_id)
            if appointment_id is not None
            else None
        )
        if found is None:
            raise NotFoundError()
        self._require(ctx, action, found)
        if found.status == AppointmentStatus.CANCELLED.value:
            raise ConflictError(Msg("action.appointment_cancelled"))
        if found.starts_at <= ctx.now:
            raise ConflictError(Msg("action.appointment_past"))
        return found

    def reschedule(
        self,
        principal: Principal,
        appointment: int | Appointment,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> Appointment:
        """Move an upcoming appointment to another slot and/or change its notes
        (``starts_at``, ``location``, ``notes``); needs Customer Appointment Add/Edit."""
        data = merge_fields(payload, fields)
        check_fields(data, self.MOVE_FIELDS)
        appointment_id = parse_id("appointment", appointment)
        raw = {k: data[k] for k in sorted(data)}
        return self._submit(
            principal,
            action="appointment.edit",
            values={"appointment": appointment_id, **raw},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._reschedule(ctx, appointment_id, raw),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _reschedule(
        self, ctx: ActionContext, appointment_id: int | None, data: Mapping[str, object]
    ) -> tuple[Appointment, str]:
        current = self._own(ctx, appointment_id, perms.APPOINTMENT_EDIT)
        s = ctx.settings
        changed = current
        if "notes" in data:
            changed = attrs.evolve(
                changed,
                notes=clean_text("notes", data["notes"], max_length=s.description_max_length),
            )
        if "starts_at" in data or "location" in data:
            starts_at = (
                parse_datetime("starts_at", data["starts_at"], timezone_of(s.timezone))
                if "starts_at" in data
                else current.starts_at
            )
            location = (
                clean_text("location", data["location"], max_length=100)
                if "location" in data
                else current.location
            )
            if (starts_at, location) != (current.starts_at, current.location):
                slot = self._reserve(ctx, current.scope_path, starts_at, location)
                ctx.uow.actions.slots.release(ctx.tenant_id, current.slot_id)
                changed = attrs.evolve(
                    changed,
                    slot_id=slot.id,
                    location=slot.location,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                )
        changed = attrs.evolve(changed, updated_at=ctx.now)
        ctx.uow.actions.appointments.update(changed)
        payload = _appointment_payload(changed)
        payload["previous_starts_at"] = iso(current.starts_at)
        self._emit(
            ctx,
            "appointment.changed",
            payload,
            target=f"appointment:{changed.id}",
            scope_path=changed.scope_path,
        )
        return changed, f"appointment:{changed.id}"

    def cancel(
        self,
        principal: Principal,
        appointment: int | Appointment,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Appointment:
        """Cancel an upcoming appointment (needs Customer Appointment Cancel).

        Its place in the slot is freed.
        """
        appointment_id = parse_id("appointment", appointment)
        return self._submit(
            principal,
            action="appointment.cancel",
            values={"appointment": appointment_id},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._cancel(ctx, appointment_id),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _cancel(self, ctx: ActionContext, appointment_id: int | None) -> tuple[Appointment, str]:
        current = self._own(ctx, appointment_id, perms.APPOINTMENT_CANCEL)
        cancelled = attrs.evolve(
            current,
            status=AppointmentStatus.CANCELLED.value,
            cancelled_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.uow.actions.appointments.update(cancelled)
        ctx.uow.actions.slots.release(ctx.tenant_id, current.slot_id)
        self._emit(
            ctx,
            "appointment.cancelled",
            _appointment_payload(cancelled),
            target=f"appointment:{cancelled.id}",
            scope_path=cancelled.scope_path,
        )
        return cancelled, f"appointment:{cancelled.id}"

    def list(
        self,
        principal: Principal,
        *,
        asset: int | Asset | None = None,
        include_past: bool = False,
        include_cancelled: bool = False,
        limit: int = 100,
        policy: Policy | None = None,
    ) -> list[Appointment]:
        """The appointments the principal may view (Customer Appointment View), soonest first."""

        def body(ctx: ActionContext) -> list[Appointment]:
            spec = ctx.policy.filter_for(principal, perms.APPOINTMENT_VIEW)
            if spec == FALSE:
                return []
            parts: list[Filter] = [spec]
            if asset is not None:
                parts.append(Eq("asset_id", parse_id("asset", asset)))
            if not include_past:
                parts.append(Range("starts_at", ctx.now, None, include_low=False))
            if not include_cancelled:
                parts.append(Eq("status", AppointmentStatus.BOOKED.value))
            return ctx.uow.actions.appointments.find(
                ctx.tenant_id,
                all_of(*parts),
                order_by=("starts_at",),
                limit=max(1, min(limit, 500)),
            )

        return self._read(principal, body, policy)


def _appointment_payload(a: Appointment) -> dict[str, Any]:
    return {
        "appointment_id": a.id,
        "asset_id": a.asset_id,
        "scope_path": a.scope_path,
        "location": a.location,
        "starts_at": iso(a.starts_at),
        "ends_at": iso(a.ends_at),
        "status": a.status,
        "notes": a.notes,
    }
