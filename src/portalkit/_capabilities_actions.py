"""The customer action capabilities: service requests, appointments, meters,
maintenance, rentals and quotes.

:mod:`portalkit.capabilities` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Mapping

from portalkit._capabilities_base import _Bound
from portalkit._capabilities_second_factors import require_step_up
from portalkit._services.actions import (
    Appointments,
    Maintenance,
    Meters,
    Quotes,
    Rentals,
    ServiceRequests,
)
from portalkit._services.appointments import AvailableSlot
from portalkit.domain.actions import (
    Appointment,
    CallOff,
    Meter,
    MeterReading,
    QuoteDecision,
    RentalItem,
    Schedule,
    ServiceRequest,
)
from portalkit.domain.records import Asset, Document


class RequestServiceRequests(_Bound[ServiceRequests]):
    """Request service on an asset (seed 000) or a job at a site (seed 002). For this request: no
    tenant, principal, policy or client key to pass.
    """

    def list(
        self, *, asset: int | Asset | None = None, limit: int = 50
    ) -> builtins.list[ServiceRequest]:
        """The principal's visible requests, newest first (service requests need Service Request
        View, job requests Jobs View).
        """
        return self._service.list(
            self._req.principal, asset=asset, limit=limit, policy=self._req.policy
        )

    def request_service(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request service on an asset (``asset``, ``description``, optional ``job_type``;
        ``contact_name``, ``contact_phone``, ``contact_email``: a guest must give a name and a
        phone number or an email address).
        """
        return self._service.request_service(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def request_job(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request a job at one of the principal's sites (``site``, optional ``asset`` there,
        ``job_type``, ``description``).
        """
        return self._service.request_job(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestAppointments(_Bound[Appointments]):
    """View, book, move and cancel appointments (seed 000), each behind its permission. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def list(
        self,
        *,
        asset: int | Asset | None = None,
        include_past: bool = False,
        include_cancelled: bool = False,
        limit: int = 100,
    ) -> builtins.list[Appointment]:
        """The appointments the principal may view (Customer Appointment View), soonest first."""
        return self._service.list(
            self._req.principal,
            asset=asset,
            include_past=include_past,
            include_cancelled=include_cancelled,
            limit=limit,
            policy=self._req.policy,
        )

    def available(
        self,
        asset: int | Asset,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> builtins.list[AvailableSlot]:
        """Slots with free places for *asset* between *start* (default now) and *end* (default: the
        booking horizon); never a slot in the past.
        """
        return self._service.available(
            self._req.principal, asset, start=start, end=end, policy=self._req.policy
        )

    def book(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> Appointment:
        """Book a slot for an asset (``asset``, ``starts_at``, optional ``location``, ``notes``)."""
        return self._service.book(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def reschedule(
        self,
        appointment: int | Appointment,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> Appointment:
        """Move an upcoming appointment to another slot and/or change its notes (``starts_at``,
        ``location``, ``notes``); needs Customer Appointment Add/Edit.
        """
        return self._service.reschedule(
            self._req.principal,
            appointment,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def cancel(
        self, appointment: int | Appointment, *, idempotency_key: str | None = None
    ) -> Appointment:
        """Cancel an upcoming appointment (needs Customer Appointment Cancel)."""
        return self._service.cancel(
            self._req.principal,
            appointment,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )


class RequestMeters(_Bound[Meters]):
    """Record meter readings for assets in scope (seed 000: Meter Reading Add/Edit). For this
    request: no tenant, principal, policy or client key to pass.
    """

    def meters(self, asset: int | Asset) -> builtins.list[Meter]:
        """The meters of an asset the principal may record readings for."""
        return self._service.meters(self._req.principal, asset, policy=self._req.policy)

    def readings(self, meter: int | Meter, *, limit: int = 20) -> builtins.list[MeterReading]:
        """A meter's readings, newest first."""
        return self._service.readings(
            self._req.principal, meter, limit=limit, policy=self._req.policy
        )

    def record(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> MeterReading:
        """Record a reading (``meter``, ``value``, optional ``read_at`` (default now), ``unit``
        (converted if it is another distance unit), ``is_replacement``).
        """
        return self._service.record(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestMaintenance(_Bound[Maintenance]):
    """An asset's upcoming and overdue PMs and SAs, each kind behind its permission. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def schedule(self, asset: int | Asset, *, horizon_days: int | None = None) -> Schedule:
        """The schedule of *asset*: PMs if PMs View is allowed, SAs if SAs View is."""
        return self._service.schedule(
            self._req.principal, asset, horizon_days=horizon_days, policy=self._req.policy
        )


class RequestRentals(_Bound[Rentals]):
    """Items out on rent and calling them off (seed 004). For this request: no tenant, principal,
    policy or client key to pass.
    """

    def items_out(self, *, limit: int = 500) -> builtins.list[RentalItem]:
        """Items still out (not fully called off or returned) that the principal may see."""
        return self._service.items_out(self._req.principal, limit=limit, policy=self._req.policy)

    def call_off(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> builtins.list[CallOff]:
        """Ask for items to be picked up: ``items`` (``{item id: quantity}`` or a list of ``(item
        id, quantity)``), ``pickup_on`` (a date), optional ``notes``.
        """
        return self._service.call_off(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestQuotes(_Bound[Quotes]):
    """Approve, decline or ask for changes to a sent quote or proposal. For this request: no
    tenant, principal, policy or client key to pass.
    """

    def decisions(self, document: int | Document) -> builtins.list[QuoteDecision]:
        """The decisions recorded on a quote the principal can see, oldest first."""
        return self._service.decisions(self._req.principal, document, policy=self._req.policy)

    def approve(
        self,
        document: int | Document,
        *,
        signer_name: str,
        signature: str,
        idempotency_key: str | None = None,
    ) -> QuoteDecision:
        """Approve with a typed signature and the signer's name (both required).

        A sensitive action (``quote.approve``): may raise ReauthenticationRequired.
        """
        require_step_up(self._req, "quote.approve")
        return self._service.approve(
            self._req.principal,
            document,
            signer_name=signer_name,
            signature=signature,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def decline(
        self, document: int | Document, *, reason: str, idempotency_key: str | None = None
    ) -> QuoteDecision:
        """Decline with a reason (required)."""
        return self._service.decline(
            self._req.principal,
            document,
            reason=reason,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def request_changes(
        self, document: int | Document, *, message: str, idempotency_key: str | None = None
    ) -> QuoteDecision:
        """Ask for changes with a message (required); the quote stays open."""
        return self._service.request_changes(
            self._req.principal,
            document,
            message=message,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )
