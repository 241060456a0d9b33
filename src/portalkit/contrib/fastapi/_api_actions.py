"""The JSON API's customer actions: meter readings, service requests, appointments.

Each write passes the body to the action's service, which checks it (and
answers a repeated ``Idempotency-Key`` with the first result); the request
commits when the endpoint returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from portalkit import Appointment, MeterReading, ServiceRequest
from portalkit.contrib.fastapi._api_action_types import (
    AppointmentBody,
    AppointmentOut,
    MeterOut,
    MeterReadingBody,
    MeterReadingOut,
    ServiceRequestBody,
    ServiceRequestOut,
    SlotOut,
)
from portalkit.contrib.fastapi._api_identity import Customer
from portalkit.contrib.fastapi._integration import portal_from
from portalkit.contrib.fastapi._schema import (
    converter,
    json_body,
    json_response,
    request_body,
    responses,
)

router = APIRouter()

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _payload(body: Any) -> dict[str, object]:
    data: dict[str, object] = converter.unstructure(body)
    return {name: value for name, value in data.items() if value is not None}


def _reading(r: MeterReading) -> MeterReadingOut:
    return MeterReadingOut(
        id=r.id, meter_id=r.meter_id, asset_id=r.asset_id, value=r.value, unit=r.unit,
        read_at=r.read_at, is_replacement=r.is_replacement,
    )


def _request(r: ServiceRequest) -> ServiceRequestOut:
    return ServiceRequestOut(
        id=r.id, kind=r.kind, status=r.status, job_type=r.job_type, description=r.description,
        asset_id=r.asset_id, job_id=r.job_id, created_at=r.created_at,
    )


def _appointment(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.id, asset_id=a.asset_id, location=a.location, starts_at=a.starts_at,
        ends_at=a.ends_at, status=a.status, notes=a.notes,
    )


@router.get(
    "/assets/{asset_id}/meters", responses=responses(list[MeterOut]), summary="An asset's meters"
)
def meters(asset_id: int, req: Customer) -> Response:
    """The asset's meters the principal may record readings for."""
    return json_response([
        MeterOut(id=m.id, name=m.name, unit=m.unit, last_value=m.last_value,
                 last_read_at=m.last_read_at)
        for m in req.meters.meters(asset_id)
    ])


@router.post(
    "/meter-readings", status_code=201, responses=responses(MeterReadingOut, 409, status=201),
    openapi_extra=request_body(MeterReadingBody), summary="Record a meter reading",
)
def record_reading(
    req: Customer,
    body: Annotated[MeterReadingBody, Depends(json_body(MeterReadingBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record a reading; a reading below the last one needs ``is_replacement``."""
    reading = req.meters.record(_payload(body), idempotency_key=idempotency_key)
    return json_response(_reading(reading), 201)


@router.get(
    "/service-requests", responses=responses(list[ServiceRequestOut]), summary="Service requests"
)
def service_requests(req: Customer, asset: int | None = None) -> Response:
    """The principal's visible requests, newest first."""
    return json_response([_request(r) for r in req.requests.list(asset=asset)])


@router.post(
    "/service-requests", status_code=201, responses=responses(ServiceRequestOut, 409, status=201),
    openapi_extra=request_body(ServiceRequestBody), summary="Request service",
)
def request_service(
    req: Customer,
    body: Annotated[ServiceRequestBody, Depends(json_body(ServiceRequestBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Request service on an asset."""
    created = req.requests.request_service(_payload(body), idempotency_key=idempotency_key)
    return json_response(_request(created), 201)


@router.get("/appointments", responses=responses(list[AppointmentOut]), summary="Appointments")
def appointments(req: Customer, asset: int | None = None) -> Response:
    """The upcoming appointments the principal may view, soonest first."""
    return json_response([_appointment(a) for a in req.appointments.list(asset=asset)])


@router.get(
    "/assets/{asset_id}/slots", responses=responses(list[SlotOut]),
    summary="Times to book for an asset",
)
def slots(
    asset_id: int, request: Request, req: Customer,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Response:
    """Times with free places in the next *days* days."""
    start = portal_from(request).clock.now()  # the portal's clock, as the services use
    found = req.appointments.available(asset_id, start=start, end=start + dt.timedelta(days=days))
    return json_response([
        SlotOut(starts_at=s.starts_at, ends_at=s.ends_at, location=s.location, free=s.free)
        for s in found
    ])


@router.post(
    "/appointments", status_code=201, responses=responses(AppointmentOut, 409, status=201),
    openapi_extra=request_body(AppointmentBody), summary="Book an appointment",
)
def book(
    req: Customer,
    body: Annotated[AppointmentBody, Depends(json_body(AppointmentBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book one of the offered times (``starts_at`` as ISO 8601)."""
    booked = req.appointments.book(_payload(body), idempotency_key=idempotency_key)
    return json_response(_appointment(booked), 201)


@router.delete(
    "/appointments/{appointment_id}", responses=responses(AppointmentOut, 409),
    summary="Cancel an appointment",
)
def cancel(appointment_id: int, req: Customer, idempotency_key: IdempotencyKey = None) -> Response:
    """Cancel an upcoming appointment."""
    cancelled = req.appointments.cancel(appointment_id, idempotency_key=idempotency_key)
    return json_response(_appointment(cancelled))
