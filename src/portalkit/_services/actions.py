"""Customer actions as use cases: each stored with its event and audit entry in ONE transaction.

Every submitting method follows the same flow (:meth:`_ActionService._submit`):

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
import secrets
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from portalkit import perms
from portalkit._services import audit
from portalkit._services.policy import load_policy
from portalkit.domain.actions import (
    DECIDABLE_QUOTE_KINDS,
    ActionConfig,
    ActionSettings,
    Appointment,
    AppointmentStatus,
    CallOff,
    IdempotencyKey,
    MaintenanceItem,
    MaintenanceKind,
    Meter,
    MeterReading,
    QuoteDecision,
    QuoteDecisionKind,
    RentalItem,
    RequestKind,
    Schedule,
    ServiceRequest,
    SlotOffer,
    check_call_off,
    check_fields,
    check_pickup_date,
    check_quote_decidable,
    check_reading,
    check_slot,
    clean_idempotency_key,
    clean_text,
    fingerprint,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_number,
    parse_quantity,
    remaining_quantity,
    split_schedule,
    weekly_slots,
)
from portalkit.domain.documents import KindRegistry, default_kinds, visibility_filter
from portalkit.domain.events import OutboxEvent
from portalkit.domain.filters import FALSE, Eq, Filter, In, Range, all_of, any_of, evaluate
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy, Target
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Asset, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    AlreadyUsedError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
)
from portalkit.ports import Availability, Clock, Storage, UnitOfWork

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
    "settings_of",
]

T = TypeVar("T")

#: Loads the current access policy for a principal inside a unit of work
#: (:func:`portalkit._services.policy.load_policy` by default).
PolicyLoader = Callable[[UnitOfWork, Principal], Policy]

#: Fields no customer payload may carry (listed in refusals like any unknown field).
_ENVELOPE = ("idempotency_key", "client_key")


class _KeyTaken(Exception):
    """Another unit claimed the same idempotency key first; retry to read its result."""


@attrs.frozen
class _Ctx:
    """What a use case sees inside its unit of work."""

    uow: UnitOfWork
    tenant: Tenant
    policy: Policy
    principal: Principal
    settings: ActionSettings
    now: dt.datetime
    client_key: str | None
    action: str = ""


def _owner(principal: Principal) -> str:
    if principal.kind is PrincipalKind.USER:
        return f"user:{principal.user_id}"
    return str(principal.kind.value)


def _merge(payload: Mapping[str, object] | None, fields: Mapping[str, object]) -> dict[str, object]:
    data = dict(payload or {})
    data.update(fields)
    return data


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _timezone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"Unknown time zone {name!r} in the action settings.") from exc


class _ActionService:
    """Shared plumbing: tenant, policy, settings, idempotency, outbox and audit."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        policy_loader: PolicyLoader | None = None,
        availability: Availability | None = None,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._load_policy: PolicyLoader = policy_loader or load_policy
        self._availability = availability

    # Context -----------------------------------------------------------------
    def _context(
        self, uow: UnitOfWork, principal: Principal, client_key: str | None, action: str = ""
    ) -> _Ctx:
        tenant = uow.tenants.get(principal.tenant_id)
        if tenant is None:
            raise NotFoundError()
        return _Ctx(
            uow=uow,
            tenant=tenant,
            policy=self._load_policy(uow, principal),
            principal=principal,
            settings=settings_of(uow, tenant.id),
            now=self._clock.now(),
            client_key=client_key,
            action=action,
        )

    def _read(self, principal: Principal, body: Callable[[_Ctx], T]) -> T:
        with self._storage.unit_of_work() as uow:
            return body(self._context(uow, principal, None))

    @staticmethod
    def _require(ctx: _Ctx, action: str, resource: Asset | ScopeNode | Any) -> None:
        """Allow, or raise NotFound (nothing of it is visible) or PermissionDenied."""
        target = Target.of(resource) if isinstance(resource, ScopeNode) else resource
        if ctx.policy.decide(ctx.principal, action, target).allowed:
            return
        if ctx.policy.allowed_actions(ctx.principal, target):
            raise PermissionDeniedError()
        raise NotFoundError()

    @staticmethod
    def _asset(ctx: _Ctx, asset: object, action: str, field: str = "asset") -> Asset:
        asset_id = parse_id(field, asset)
        found = ctx.uow.assets.get(ctx.tenant.id, asset_id) if asset_id is not None else None
        if found is None:
            raise NotFoundError()
        _ActionService._require(ctx, action, found)
        return found

    # Submitting ----------------------------------------------------------------
    def _submit(
        self,
        principal: Principal,
        *,
        action: str,
        values: Mapping[str, object],
        idempotency_key: object,
        client_key: str | None,
        perform: Callable[[_Ctx], tuple[T, str]],
        load: Callable[[UnitOfWork, int, str], T],
    ) -> T:
        """Run *perform* once per idempotency key, in one unit of work with its events."""
        key = clean_idempotency_key(idempotency_key)
        print_ = fingerprint(action, values)
        owner = _owner(principal)
        for _attempt in range(5):
            try:
                return self._submit_once(
                    principal,
                    action=action,
                    key=key,
                    print_=print_,
                    owner=owner,
                    client_key=client_key,
                    perform=perform,
                    load=load,
                )
            except _KeyTaken:
                continue
            except (PermissionDeniedError, NotFoundError):
                self._audit_denied(principal, action, client_key)
                raise
        raise ConflictError(Msg("action.in_progress"))  # pragma: no cover - needs 5 races

    def _audit_denied(self, principal: Principal, action: str, client_key: str | None) -> None:
        """Record a denial in a unit of its own; never hides the denial itself."""
        try:
            audit.record_now(
                self._storage,
                self._clock,
                tenant_id=principal.tenant_id,
                action=action,
                outcome=audit.DENIED,
                actor=principal,
                client_key=client_key,
            )
        except PortalkitError:  # e.g. a principal of an unknown tenant: nothing to attach to
            return

    def _submit_once(
        self,
        principal: Principal,
        *,
        action: str,
        key: str | None,
        print_: str,
        owner: str,
        client_key: str | None,
        perform: Callable[[_Ctx], tuple[T, str]],
        load: Callable[[UnitOfWork, int, str], T],
    ) -> T:
        with self._storage.unit_of_work() as uow:
            tid = principal.tenant_id
            claim: IdempotencyKey | None = None
            if key is not None:
                existing = uow.actions.idempotency.get_by_key(tid, owner, key)
                if existing is not None:
                    if existing.action != action or existing.fingerprint != print_:
                        raise ConflictError(Msg("action.idempotency_mismatch"))
                    if existing.result_ref is None:  # pragma: no cover - committed with result
                        raise ConflictError(Msg("action.in_progress"))
                    return load(uow, tid, existing.result_ref)
                try:
                    claim = uow.actions.idempotency.add(
                        IdempotencyKey(
                            id=0,
                            tenant_id=tid,
                            owner=owner,
                            key=key,
                            action=action,
                            fingerprint=print_,
                            created_at=self._clock.now(),
                        )
                    )
                except ConflictError:
                    raise _KeyTaken() from None
            ctx = self._context(uow, principal, client_key, action)
            result, ref = perform(ctx)
            if claim is not None:
                uow.actions.idempotency.update(attrs.evolve(claim, result_ref=ref))
            uow.commit()
            return result

    def _emit(
        self,
        ctx: _Ctx,
        topic: str,
        payload: Mapping[str, Any],
        *,
        target: str,
        scope_path: str | None,
    ) -> None:
        """Add the outbox event and the audit entry of an action to its unit."""
        body = {
            "event_version": 1,
            "tenant_id": ctx.tenant.id,
            "tenant": ctx.tenant.slug,
            "user_id": ctx.principal.user_id,
            "principal": ctx.principal.kind.value,
            "client_key": ctx.client_key,
            **payload,
        }
        ctx.uow.outbox.add(
            OutboxEvent(
                id=0, tenant_id=ctx.tenant.id, topic=topic, payload=body, created_at=ctx.now
            )
        )
        audit.record(
            ctx.uow,
            self._clock,
            tenant_id=ctx.tenant.id,
            action=ctx.action or topic,
            outcome=audit.SUCCESS,
            actor=ctx.principal,
            target=target,
            scope_path=scope_path,
            client_key=ctx.client_key,
        )


def settings_of(uow: UnitOfWork, tenant_id: int) -> ActionSettings:
    """The tenant's action settings (defaults when none are stored)."""
    found = uow.actions.settings.find(tenant_id, limit=1)
    return ActionSettings.from_dict(found[0].data) if found else ActionSettings()


def _one(uow: UnitOfWork, repo_get: Callable[[int, int], T | None], tid: int, ref: str) -> T:
    found = repo_get(tid, int(ref.rsplit(":", 1)[1]))
    if found is None:  # pragma: no cover - the key and its result commit together
        raise NotFoundError()
    return found


# Service and job requests ---------------------------------------------------------


class ServiceRequests(_ActionService):
    """Request service on an asset (seed 000) or a job at a site (seed 002)."""

    JOB_FIELDS = frozenset({"site", "asset", "job_type", "description"})
    SERVICE_FIELDS = frozenset({"asset", "job_type", "description"})

    def request_job(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request a job at one of the principal's sites (``site``, optional ``asset``
        there, ``job_type``, ``description``).

        It becomes an unscheduled job with the tenant's default status (visible
        at once in the job list) and a ``job.requested`` event.

        Raises:
            InvalidInputError: a bad or unexpected field (nothing is stored).
            NotFoundError: the site or asset is not one of the principal's.
            PermissionDeniedError: the principal may not request jobs there.
        """
        data = _merge(payload, fields)
        check_fields(data, self.JOB_FIELDS)
        values = {
            "site": parse_id("site", data.get("site")),
            "asset": parse_id("asset", data.get("asset"), required=False),
            "job_type": data.get("job_type"),
            "description": data.get("description"),
        }
        return self._submit(
            principal,
            action="job.request",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._create(ctx, RequestKind.JOB, values),
            load=lambda uow, tid, ref: _one(uow, uow.actions.requests.get, tid, ref),
        )

    def request_service(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request service on an asset (``asset``, ``description``, optional ``job_type``).

        Raises:
            InvalidInputError: a bad or unexpected field (nothing is stored).
            NotFoundError: the asset is not one of the principal's.
            PermissionDeniedError: the principal may not request service on it.
        """
        data = _merge(payload, fields)
        check_fields(data, self.SERVICE_FIELDS)
        values = {
            "asset": parse_id("asset", data.get("asset")),
            "job_type": data.get("job_type"),
            "description": data.get("description"),
        }
        return self._submit(
            principal,
            action="service_request.create",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._create(ctx, RequestKind.SERVICE, values),
            load=lambda uow, tid, ref: _one(uow, uow.actions.requests.get, tid, ref),
        )

    def _create(
        self, ctx: _Ctx, kind: RequestKind, values: Mapping[str, Any]
    ) -> tuple[ServiceRequest, str]:
        s = ctx.settings
        job_type = clean_text("job_type", values["job_type"], max_length=60)
        if s.job_types is not None and job_type and job_type not in s.job_types:
            raise InvalidInputError.for_field("job_type", Msg("field.not_a_choice"))
        description = clean_text(
            "description",
            values["description"],
            max_length=s.description_max_length,
            required=kind is RequestKind.SERVICE,
        )
        tid = ctx.tenant.id
        asset: Asset | None = None
        if kind is RequestKind.JOB:
            site = ctx.uow.scopes.get(tid, values["site"])
            if site is None:
                raise NotFoundError()
            self._require(ctx, perms.JOB_REQUEST, site)
            if site.kind is not ScopeKind.SITE:
                raise InvalidInputError.for_field("site", Msg("action.site_not_a_site"))
            if values["asset"] is not None:
                asset = self._asset(ctx, values["asset"], perms.JOB_REQUEST)
                if not asset.scope_path.startswith(site.path):
                    raise InvalidInputError.for_field("asset", Msg("action.asset_not_at_site"))
            scope_id, scope_path = site.id, site.path
        else:
            asset = self._asset(ctx, values["asset"], perms.SERVICE_REQUEST_EDIT)
            scope_id, scope_path = asset.scope_id, asset.scope_path
        request = ctx.uow.actions.requests.add(
            ServiceRequest(
                id=0,
                tenant_id=tid,
                scope_id=scope_id,
                scope_path=scope_path,
                kind=kind.value,
                status=s.default_job_status,
                job_type=job_type,
                description=description,
                asset_id=asset.id if asset else None,
                requested_by=ctx.principal.user_id,
                created_at=ctx.now,
            )
        )
        job_key: str | None = None
        if kind is RequestKind.JOB:
            job_key = f"portalkit-request:{request.id}"
            job = ctx.uow.jobs.add(
                Job(
                    id=0,
                    tenant_id=tid,
                    scope_id=scope_id,
                    scope_path=scope_path,
                    number=f"REQ-{request.id}",
                    status=s.default_job_status,
                    job_type=job_type,
                    notes=description,
                    asset_id=request.asset_id,
                    external_key=job_key,
                    created_at=ctx.now,
                )
            )
            request = attrs.evolve(request, job_id=job.id)
            ctx.uow.actions.requests.update(request)
        topic = "job.requested" if kind is RequestKind.JOB else "service_request.created"
        self._emit(
            ctx,
            topic,
            {
                "request_id": request.id,
                "kind": request.kind,
                "status": request.status,
                "scope_id": scope_id,
                "scope_path": scope_path,
                "asset_id": request.asset_id,
                "job_type": job_type,
                "description": description,
                "job_id": request.job_id,
                "job_external_key": job_key,
            },
            target=f"service_request:{request.id}",
            scope_path=scope_path,
        )
        return request, f"service_request:{request.id}"

    def list(
        self, principal: Principal, *, asset: int | Asset | None = None, limit: int = 50
    ) -> list[ServiceRequest]:
        """The principal's visible requests, newest first (service requests need
        Service Request View, job requests Jobs View)."""

        def body(ctx: _Ctx) -> list[ServiceRequest]:
            visible = any_of(
                all_of(
                    Eq("kind", RequestKind.SERVICE.value),
                    ctx.policy.filter_for(principal, perms.SERVICE_REQUEST_VIEW),
                ),
                all_of(
                    Eq("kind", RequestKind.JOB.value),
                    ctx.policy.filter_for(principal, perms.JOB_VIEW),
                ),
            )
            if asset is not None:
                visible = all_of(visible, Eq("asset_id", parse_id("asset", asset)))
            return ctx.uow.actions.requests.find(
                ctx.tenant.id, visible, order_by=("-created_at",), limit=max(1, min(limit, 500))
            )

        return self._read(principal, body)


# Appointments ---------------------------------------------------------------------


@attrs.frozen
class AvailableSlot:
    """A slot the principal can book, with the places still free."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    free: int


class Appointments(_ActionService):
    """View, book, move and cancel appointments (seed 000), each behind its permission."""

    BOOK_FIELDS = frozenset({"asset", "starts_at", "location", "notes"})
    MOVE_FIELDS = frozenset({"starts_at", "location", "notes"})

    def _offers(
        self, ctx: _Ctx, scope_path: str, start: dt.datetime, end: dt.datetime
    ) -> list[SlotOffer]:
        if self._availability is not None:
            return sorted(
                self._availability.offers(ctx.tenant.id, scope_path, start, end),
                key=lambda o: (o.starts_at, o.location),
            )
        s = ctx.settings
        return weekly_slots(
            s.business_hours,
            _timezone(s.timezone),
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
    ) -> list[AvailableSlot]:
        """Slots with free places for *asset* between *start* (default now) and *end*
        (default: the booking horizon); never a slot in the past."""

        def body(ctx: _Ctx) -> list[AvailableSlot]:
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
                ctx.tenant.id, Range("starts_at", offers[0].starts_at, offers[-1].ends_at)
            )
            booked = {(sl.location, sl.starts_at): sl.booked for sl in stored}
            out = []
            for o in offers:
                free = o.capacity - booked.get((o.location, o.starts_at), 0)
                if free > 0:
                    out.append(AvailableSlot(o.starts_at, o.ends_at, o.location, free))
            return out

        return self._read(principal, body)

    def _reserve(self, ctx: _Ctx, scope_path: str, starts_at: dt.datetime, location: str) -> Any:
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
        slot = ctx.uow.actions.slots.ensure(ctx.tenant.id, offer)
        if not ctx.uow.actions.slots.reserve(ctx.tenant.id, slot.id):
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
        data = _merge(payload, fields)
        check_fields(data, self.BOOK_FIELDS)
        raw = {k: data.get(k) for k in sorted(self.BOOK_FIELDS)}
        return self._submit(
            principal,
            action="appointment.book",
            values=raw,
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._book(ctx, raw),
            load=lambda uow, tid, ref: _one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _book(self, ctx: _Ctx, data: Mapping[str, object]) -> tuple[Appointment, str]:
        s = ctx.settings
        tz = _timezone(s.timezone)
        starts_at = parse_datetime("starts_at", data.get("starts_at"), tz)
        location = clean_text("location", data.get("location"), max_length=100)
        notes = clean_text("notes", data.get("notes"), max_length=s.description_max_length)
        asset = self._asset(ctx, data.get("asset"), perms.APPOINTMENT_EDIT)
        slot = self._reserve(ctx, asset.scope_path, starts_at, location)
        appointment = ctx.uow.actions.appointments.add(
            Appointment(
                id=0,
                tenant_id=ctx.tenant.id,
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

    def _own(self, ctx: _Ctx, appointment: object, action: str) -> Appointment:
        appointment_id = parse_id("appointment", appointment)
        found = (
            ctx.uow.actions.appointments.get(ctx.tenant.id, appointment_id)
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
        **fields: object,
    ) -> Appointment:
        """Move an upcoming appointment to another slot and/or change its notes
        (``starts_at``, ``location``, ``notes``); needs Customer Appointment Add/Edit."""
        data = _merge(payload, fields)
        check_fields(data, self.MOVE_FIELDS)
        appointment_id = parse_id("appointment", appointment)
        raw = {k: data[k] for k in sorted(data)}
        return self._submit(
            principal,
            action="appointment.edit",
            values={"appointment": appointment_id, **raw},
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._reschedule(ctx, appointment_id, raw),
            load=lambda uow, tid, ref: _one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _reschedule(
        self, ctx: _Ctx, appointment_id: int | None, data: Mapping[str, object]
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
                parse_datetime("starts_at", data["starts_at"], _timezone(s.timezone))
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
                ctx.uow.actions.slots.release(ctx.tenant.id, current.slot_id)
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
        payload["previous_starts_at"] = _iso(current.starts_at)
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
            perform=lambda ctx: self._cancel(ctx, appointment_id),
            load=lambda uow, tid, ref: _one(uow, uow.actions.appointments.get, tid, ref),
        )

    def _cancel(self, ctx: _Ctx, appointment_id: int | None) -> tuple[Appointment, str]:
        current = self._own(ctx, appointment_id, perms.APPOINTMENT_CANCEL)
        cancelled = attrs.evolve(
            current,
            status=AppointmentStatus.CANCELLED.value,
            cancelled_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.uow.actions.appointments.update(cancelled)
        ctx.uow.actions.slots.release(ctx.tenant.id, current.slot_id)
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
    ) -> list[Appointment]:
        """The appointments the principal may view (Customer Appointment View), soonest first."""

        def body(ctx: _Ctx) -> list[Appointment]:
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
                ctx.tenant.id,
                all_of(*parts),
                order_by=("starts_at",),
                limit=max(1, min(limit, 500)),
            )

        return self._read(principal, body)


def _appointment_payload(a: Appointment) -> dict[str, Any]:
    return {
        "appointment_id": a.id,
        "asset_id": a.asset_id,
        "scope_path": a.scope_path,
        "location": a.location,
        "starts_at": _iso(a.starts_at),
        "ends_at": _iso(a.ends_at),
        "status": a.status,
        "notes": a.notes,
    }


# Meter readings -------------------------------------------------------------------


class Meters(_ActionService):
    """Record meter readings for assets in scope (seed 000: Meter Reading Add/Edit)."""

    FIELDS = frozenset({"meter", "value", "read_at", "unit", "is_replacement"})

    def meters(self, principal: Principal, asset: int | Asset) -> list[Meter]:
        """The meters of an asset the principal may record readings for."""

        def body(ctx: _Ctx) -> list[Meter]:
            found = self._asset(ctx, asset, perms.METER_READING_EDIT)
            return ctx.uow.actions.meters.find(
                ctx.tenant.id, Eq("asset_id", found.id), order_by=("name",)
            )

        return self._read(principal, body)

    def record(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        **fields: object,
    ) -> MeterReading:
        """Record a reading (``meter``, ``value``, optional ``read_at`` (default now),
        ``unit`` (converted if it is another distance unit), ``is_replacement``).

        Raises:
            InvalidInputError: in the future, too old, below the last reading
                without ``is_replacement``, a unit the meter does not use, or a
                bad field.
            ConflictError: another reading was recorded at the same moment.
        """
        data = _merge(payload, fields)
        check_fields(data, self.FIELDS)
        raw = {k: data.get(k) for k in sorted(self.FIELDS)}
        return self._submit(
            principal,
            action="meter_reading.record",
            values=raw,
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._record(ctx, raw),
            load=lambda uow, tid, ref: _one(uow, uow.actions.readings.get, tid, ref),
        )

    def _record(self, ctx: _Ctx, data: Mapping[str, object]) -> tuple[MeterReading, str]:
        tid = ctx.tenant.id
        meter_id = parse_id("meter", data.get("meter"))
        value = parse_number("value", data.get("value"))
        read_at = (
            ctx.now
            if data.get("read_at") in (None, "")
            else parse_datetime("read_at", data.get("read_at"), _timezone(ctx.settings.timezone))
        )
        is_replacement = parse_bool("is_replacement", data.get("is_replacement"))
        unit = clean_text("unit", data.get("unit"), max_length=16) or None
        meter = ctx.uow.actions.meters.get(tid, meter_id) if meter_id is not None else None
        if meter is None:
            raise NotFoundError()
        asset = ctx.uow.assets.get(tid, meter.asset_id)
        if asset is None:
            raise NotFoundError()
        self._require(ctx, perms.METER_READING_EDIT, asset)
        value = check_reading(
            meter,
            value=value,
            read_at=read_at,
            now=ctx.now,
            is_replacement=is_replacement,
            max_age_days=ctx.settings.reading_max_age_days,
            unit=unit,
        )
        advanced = attrs.evolve(meter, last_value=value, last_read_at=read_at)
        if not ctx.uow.actions.meters.update_if_unchanged(meter, advanced):
            raise ConflictError()
        reading = ctx.uow.actions.readings.add(
            MeterReading(
                id=0,
                tenant_id=tid,
                meter_id=meter.id,
                asset_id=asset.id,
                scope_path=asset.scope_path,
                value=value,
                unit=meter.unit,
                read_at=read_at,
                is_replacement=is_replacement,
                recorded_by=ctx.principal.user_id,
                created_at=ctx.now,
            )
        )
        self._emit(
            ctx,
            "meter_reading.recorded",
            {
                "reading_id": reading.id,
                "meter_id": meter.id,
                "meter": meter.name,
                "meter_external_key": meter.external_key,
                "asset_id": asset.id,
                "asset_external_key": asset.external_key,
                "value": value,
                "unit": meter.unit,
                "read_at": _iso(read_at),
                "is_replacement": is_replacement,
                "previous_value": meter.last_value,
            },
            target=f"meter_reading:{reading.id}",
            scope_path=asset.scope_path,
        )
        return reading, f"meter_reading:{reading.id}"

    def readings(
        self, principal: Principal, meter: int | Meter, *, limit: int = 20
    ) -> list[MeterReading]:
        """A meter's readings, newest first."""

        def body(ctx: _Ctx) -> list[MeterReading]:
            meter_id = parse_id("meter", meter)
            found = ctx.uow.actions.meters.get(ctx.tenant.id, meter_id) if meter_id else None
            if found is None:
                raise NotFoundError()
            self._asset(ctx, found.asset_id, perms.METER_READING_EDIT)
            return ctx.uow.actions.readings.find(
                ctx.tenant.id,
                Eq("meter_id", found.id),
                order_by=("-read_at", "-id"),
                limit=max(1, min(limit, 500)),
            )

        return self._read(principal, body)


# Maintenance schedule -------------------------------------------------------------


class Maintenance(_ActionService):
    """An asset's upcoming and overdue PMs and SAs, each kind behind its permission."""

    def schedule(
        self, principal: Principal, asset: int | Asset, *, horizon_days: int | None = None
    ) -> Schedule:
        """The schedule of *asset*: PMs if PMs View is allowed, SAs if SAs View is.

        Raises:
            NotFoundError: the asset is not the principal's.
            PermissionDeniedError: neither kind may be viewed.
        """

        def body(ctx: _Ctx) -> Schedule:
            asset_id = parse_id("asset", asset)
            found = ctx.uow.assets.get(ctx.tenant.id, asset_id) if asset_id else None
            if found is None:
                raise NotFoundError()
            kinds = frozenset(
                kind.value
                for kind, name in (
                    (MaintenanceKind.PM, perms.PM_VIEW),
                    (MaintenanceKind.SA, perms.SA_VIEW),
                )
                if ctx.policy.decide(principal, name, found).allowed
            )
            if not kinds:
                self._require(ctx, perms.PM_VIEW, found)
            items = ctx.uow.actions.maintenance.find(
                ctx.tenant.id, all_of(Eq("asset_id", found.id), In("kind", tuple(sorted(kinds))))
            )
            return split_schedule(
                items,
                today=ctx.now.astimezone(_timezone(ctx.settings.timezone)).date(),
                horizon_days=horizon_days or ctx.settings.schedule_horizon_days,
                kinds=kinds,
            )

        return self._read(principal, body)


# Call off rent --------------------------------------------------------------------


class Rentals(_ActionService):
    """Items out on rent and calling them off (seed 004)."""

    FIELDS = frozenset({"items", "pickup_on", "notes"})

    def items_out(self, principal: Principal, *, limit: int = 500) -> list[RentalItem]:
        """Items still out (not fully called off or returned) that the principal may see."""

        def body(ctx: _Ctx) -> list[RentalItem]:
            spec = ctx.policy.filter_for(principal, perms.ITEMS_OUT_VIEW)
            if spec == FALSE:
                return []
            found = ctx.uow.actions.rentals.find(
                ctx.tenant.id, spec, order_by=("contract_number", "item_number")
            )
            return [i for i in found if remaining_quantity(i) > 0][: max(1, min(limit, 5000))]

        return self._read(principal, body)

    def call_off(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        **fields: object,
    ) -> list[CallOff]:
        """Ask for items to be picked up: ``items`` (``{item id: quantity}`` or a list
        of ``(item id, quantity)``), ``pickup_on`` (a date), optional ``notes``.

        Partial quantities are allowed; more than is still out is refused, and
        an item already called off or returned raises AlreadyUsedError. All
        lines are stored, or none.
        """
        data = _merge(payload, fields)
        check_fields(data, self.FIELDS)
        lines = _lines(data.get("items"))
        values = {"items": lines, "pickup_on": data.get("pickup_on"), "notes": data.get("notes")}
        return self._submit(
            principal,
            action="rental.call_off",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._call_off(ctx, lines, data),
            load=lambda uow, tid, ref: uow.actions.call_offs.find(
                tid, Eq("request_ref", ref.split(":", 1)[1])
            ),
        )

    def _call_off(
        self, ctx: _Ctx, lines: Sequence[tuple[int, int]], data: Mapping[str, object]
    ) -> tuple[list[CallOff], str]:
        s = ctx.settings
        pickup_on = parse_date("pickup_on", data.get("pickup_on"))
        today = ctx.now.astimezone(_timezone(s.timezone)).date()
        check_pickup_date(pickup_on, today, s.pickup_horizon_days)
        notes = clean_text("notes", data.get("notes"), max_length=s.description_max_length)
        tid = ctx.tenant.id
        ref = secrets.token_hex(8)
        created: list[CallOff] = []
        for item_id, quantity in lines:
            item = ctx.uow.actions.rentals.get(tid, item_id)
            if item is None:
                raise NotFoundError()
            self._require(ctx, perms.CALL_OFF_RENT_REQUEST, item)
            check_call_off(item, quantity)
            if not ctx.uow.actions.rentals.call_off(tid, item.id, quantity):
                raise AlreadyUsedError(Msg("action.already_called_off"))
            created.append(
                ctx.uow.actions.call_offs.add(
                    CallOff(
                        id=0,
                        tenant_id=tid,
                        rental_item_id=item.id,
                        scope_path=item.scope_path,
                        request_ref=ref,
                        contract_number=item.contract_number,
                        quantity=quantity,
                        pickup_on=pickup_on,
                        notes=notes,
                        requested_by=ctx.principal.user_id,
                        created_at=ctx.now,
                    )
                )
            )
        ids = [c.rental_item_id for c in created]
        items = {i.id: i for i in ctx.uow.actions.rentals.find(tid, In("id", ids))}
        self._emit(
            ctx,
            "rental.call_off_requested",
            {
                "request_ref": ref,
                "pickup_on": _iso(pickup_on),
                "notes": notes,
                "lines": [
                    {
                        "call_off_id": c.id,
                        "rental_item_id": c.rental_item_id,
                        "item_external_key": items[c.rental_item_id].external_key,
                        "contract_number": c.contract_number,
                        "item_number": items[c.rental_item_id].item_number,
                        "quantity": c.quantity,
                    }
                    for c in created
                ],
            },
            target=f"call_off:{ref}",
            scope_path=created[0].scope_path,
        )
        return created, f"call_off:{ref}"


def _lines(value: object) -> list[tuple[int, int]]:
    """``{item: quantity}`` or ``[(item, quantity)]`` or ``[{"item":…, "quantity":…}]``."""
    pairs: Iterable[Any]
    if isinstance(value, Mapping):
        pairs = value.items()
    elif isinstance(value, (list, tuple)):
        pairs = value
    else:
        raise InvalidInputError.for_field("items", Msg("action.no_items"))
    merged: dict[int, int] = {}
    for pair in pairs:
        if isinstance(pair, Mapping):
            check_fields(pair, {"item", "quantity"})
            item, quantity = pair.get("item"), pair.get("quantity")
        elif isinstance(pair, (list, tuple)) and len(pair) == 2:
            item, quantity = pair
        else:
            raise InvalidInputError.for_field("items", Msg("action.no_items"))
        item_id = parse_id("items", item)
        assert item_id is not None
        merged[item_id] = merged.get(item_id, 0) + parse_quantity("quantity", quantity)
    if not merged or len(merged) > 200:
        raise InvalidInputError.for_field("items", Msg("action.no_items"))
    return sorted(merged.items())


# Quote decisions ------------------------------------------------------------------


_QUOTE_ACTIONS = {
    QuoteDecisionKind.APPROVED: "quote.approve",
    QuoteDecisionKind.DECLINED: "quote.decline",
    QuoteDecisionKind.CHANGES_REQUESTED: "quote.request_changes",
}


class Quotes(_ActionService):
    """Approve, decline or ask for changes to a sent quote or proposal.

    Only for documents the principal can see (the document visibility rule of
    :mod:`portalkit.domain.documents`: not a draft, the kind's view permission at
    its scope, the kind switched on) and may decide on (Approve or Decline
    Quotes). The decision is recorded with its time and client key, and sent to
    the host as an event: the host owns the quote and changes its status.

    Args:
        kinds: The document kinds (the built-ins by default), as for documents.
    """

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        policy_loader: PolicyLoader | None = None,
        availability: Availability | None = None,
        kinds: KindRegistry = default_kinds,
    ) -> None:
        super().__init__(
            storage, clock, policy_loader=policy_loader, availability=availability
        )
        self._kinds = kinds

    def approve(
        self,
        principal: Principal,
        document: int | Document,
        *,
        signer_name: str,
        signature: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
    ) -> QuoteDecision:
        """Approve with a typed signature and the signer's name (both required)."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.APPROVED,
            text={"signer_name": signer_name, "signature": signature},
            idempotency_key=idempotency_key,
            client_key=client_key,
        )

    def decline(
        self,
        principal: Principal,
        document: int | Document,
        *,
        reason: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
    ) -> QuoteDecision:
        """Decline with a reason (required)."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.DECLINED,
            text={"message": reason},
            idempotency_key=idempotency_key,
            client_key=client_key,
        )

    def request_changes(
        self,
        principal: Principal,
        document: int | Document,
        *,
        message: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
    ) -> QuoteDecision:
        """Ask for changes with a message (required); the quote stays open."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.CHANGES_REQUESTED,
            text={"message": message},
            idempotency_key=idempotency_key,
            client_key=client_key,
        )

    def _decide(
        self,
        principal: Principal,
        document: object,
        *,
        decision: QuoteDecisionKind,
        text: Mapping[str, object],
        idempotency_key: str | None,
        client_key: str | None,
    ) -> QuoteDecision:
        document_id = parse_id("document", document)
        return self._submit(
            principal,
            action=_QUOTE_ACTIONS[decision],
            values={"document": document_id, **text},
            idempotency_key=idempotency_key,
            client_key=client_key,
            perform=lambda ctx: self._record(ctx, document_id, decision, text),
            load=lambda uow, tid, ref: _one(uow, uow.actions.quote_decisions.get, tid, ref),
        )

    def _visible(self, ctx: _Ctx, document_id: int | None) -> Document:
        """The quote or proposal if the principal can see it (the documents rule) and
        may decide on it; NotFound / PermissionDenied otherwise."""
        doc = ctx.uow.documents.get(ctx.tenant.id, document_id) if document_id else None
        if doc is None or not self._can_see(ctx, doc):
            raise NotFoundError()
        if not ctx.policy.decide(ctx.principal, perms.QUOTE_DECIDE, doc).allowed:
            raise PermissionDeniedError()
        return doc

    def _can_see(self, ctx: _Ctx, doc: Document) -> bool:
        if doc.kind not in DECIDABLE_QUOTE_KINDS or doc.kind not in self._kinds:
            return False
        rule = visibility_filter(
            [self._kinds.get(doc.kind)],
            ctx.policy.settings.disabled_features,
            lambda kind: ctx.policy.filter_for(ctx.principal, kind.permission),
        )
        return evaluate(rule, doc)

    def _record(
        self,
        ctx: _Ctx,
        document_id: int | None,
        decision: QuoteDecisionKind,
        text: Mapping[str, object],
    ) -> tuple[QuoteDecision, str]:
        limit = ctx.settings.description_max_length
        signer_name = signature = message = ""
        if decision is QuoteDecisionKind.APPROVED:
            errors: dict[str, str] = {}
            for name in ("signer_name", "signature"):
                try:
                    value = clean_text(name, text.get(name), max_length=200, required=True)
                except InvalidInputError as exc:
                    errors.update(exc.fields)
                else:
                    if name == "signer_name":
                        signer_name = value
                    else:
                        signature = value
            if errors:
                raise InvalidInputError(fields=errors)
        else:
            field = "reason" if decision is QuoteDecisionKind.DECLINED else "message"
            message = clean_text(field, text.get("message"), max_length=limit, required=True)
        doc = self._visible(ctx, document_id)
        earlier = ctx.uow.actions.quote_decisions.find(ctx.tenant.id, Eq("document_id", doc.id))
        check_quote_decidable(doc.kind, doc.status, earlier)
        try:
            stored = ctx.uow.actions.quote_decisions.add(
                QuoteDecision(
                    id=0,
                    tenant_id=ctx.tenant.id,
                    document_id=doc.id,
                    scope_path=doc.scope_path,
                    decision=decision.value,
                    signer_name=signer_name,
                    signature=signature,
                    message=message,
                    final_key=doc.id if decision.is_final else None,
                    decided_by=ctx.principal.user_id,
                    decided_at=ctx.now,
                    client_key=(ctx.client_key or "")[:100] or None,
                )
            )
        except ConflictError:
            raise AlreadyUsedError(Msg("action.quote_decided")) from None
        self._emit(
            ctx,
            f"quote.{decision.value}",
            {
                "decision_id": stored.id,
                "document_id": doc.id,
                "document_external_key": doc.external_key,
                "kind": doc.kind,
                "number": doc.number,
                "decision": decision.value,
                "signer_name": signer_name,
                "signature": signature,
                "message": message,
                "decided_at": _iso(ctx.now),
            },
            target=f"document:{doc.id}",
            scope_path=doc.scope_path,
        )
        return stored, f"quote_decision:{stored.id}"

    def decisions(self, principal: Principal, document: int | Document) -> list[QuoteDecision]:
        """The decisions recorded on a quote the principal can see, oldest first."""

        def body(ctx: _Ctx) -> list[QuoteDecision]:
            doc = ctx.uow.documents.get(ctx.tenant.id, parse_id("document", document) or 0)
            if doc is None or not self._can_see(ctx, doc):
                raise NotFoundError()
            return ctx.uow.actions.quote_decisions.find(
                ctx.tenant.id, Eq("document_id", doc.id), order_by=("decided_at",)
            )

        return self._read(principal, body)


# Staff side: the host's data behind the actions ------------------------------------


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
        _timezone(settings.timezone)
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
