"""The asset page and its actions: service requests, appointments, meter readings.

The page shows the sections the user may see (``req.assets.sections``); an
asset the user may look up but none of whose information they may see gets
the no-access page (403). An action's form errors are shown on the page, in
the user's language, with what they typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portalkit import NoAccess, perms
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError

from .forms import field_errors, nonce

#: The fields of the page's forms that show their own errors.
ASSET_FORM_FIELDS = (
    "starts_at", "notes", "description", "job_type", "meter", "value", "contact_name",
    "contact_phone", "contact_email",
)

#: The kinds of service a customer may ask for: (value sent, label shown).
JOB_TYPES = (
    ("Service", gettext_lazy("Service")),
    ("Repair", gettext_lazy("Repair")),
    ("Inspection", gettext_lazy("Inspection")),
)


def _asset_page(
    request: HttpRequest, asset_id: int, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    req = portal_request(request)
    asset = req.assets.get(asset_id)
    sections = req.assets.sections(asset)
    if isinstance(sections, NoAccess):
        return render(request, "customer_portal/no_access.html", {"asset": asset}, status=403)
    keys = {item.key: item for item in sections.items}
    data: dict[str, Any] = {}
    if "identification" in keys:
        data["fields"] = req.assets.fields(asset)
    if "outstanding_service_requests" in keys:
        data["requests"] = req.requests.list(asset=asset.id)
    if "open_pending_repairs" in keys:
        data["repairs"] = req.jobs.list(
            asset=asset.id, status=("scheduled", "in_progress", "unscheduled")
        ).items
    if "appointments" in keys:
        data["appointments"] = req.appointments.list(asset=asset.id)
        data["can_cancel"] = perms.APPOINTMENT_CANCEL in keys["appointments"].actions
        if perms.APPOINTMENT_EDIT in keys["appointments"].actions:
            data["slots"] = req.appointments.available(asset)[:12]  # the earliest few
    if "add_meter_reading" in keys:
        data["meters"] = req.meters.meters(asset)
    if "maintenance_schedule" in keys:
        data["schedule"] = req.maintenance.schedule(asset)
    context = {
        "asset": asset, "sections": sections.items, "data": data, "errors": errors or {},
        "form": request.POST, "nonce": nonce(), "job_types": JOB_TYPES,
    }
    return render(request, "customer_portal/asset.html", context, status=status)


@require(perms.ASSET_VIEW)
def asset(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The asset page with the sections the user may see, or the no-access page."""
    return _asset_page(request, asset_id)


def _act(
    request: HttpRequest, asset_id: int, action: Callable[[], object], success: str
) -> HttpResponse:
    try:
        action()
    except InvalidInputError as exc:
        return _asset_page(
            request, asset_id, errors=field_errors(exc, shown=ASSET_FORM_FIELDS), status=400
        )
    messages.success(request, success)
    return HttpResponseRedirect(reverse("asset", args=[asset_id]))


@require_POST
@require(perms.SERVICE_REQUEST_EDIT)
def request_service(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Request service on the asset."""
    form = request.POST
    return _act(request, asset_id, lambda: portal_request(request).requests.request_service(
        asset=asset_id, description=form.get("description", ""),
        job_type=form.get("job_type") or None, idempotency_key=form.get("nonce") or None,
        contact_name=form.get("contact_name") or None,
        contact_phone=form.get("contact_phone") or None,
        contact_email=form.get("contact_email") or None,
    ), _("Your service request was sent."))


@require_POST
@require(perms.APPOINTMENT_EDIT)
def book(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Book an appointment slot for the asset."""
    form = request.POST
    return _act(request, asset_id, lambda: portal_request(request).appointments.book(
        asset=asset_id, starts_at=form.get("starts_at", ""), notes=form.get("notes", ""),
        idempotency_key=form.get("nonce") or None,
    ), _("Your appointment is booked."))


@require_POST
@require(perms.APPOINTMENT_CANCEL)
def cancel(request: HttpRequest, asset_id: int, appointment_id: int) -> HttpResponse:
    """Cancel an appointment."""
    return _act(
        request, asset_id, lambda: portal_request(request).appointments.cancel(appointment_id),
        _("The appointment was cancelled."),
    )


@require_POST
@require(perms.METER_READING_EDIT)
def meter_reading(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Record a meter reading."""
    form = request.POST
    return _act(request, asset_id, lambda: portal_request(request).meters.record(
        meter=form.get("meter", ""), value=form.get("value", ""),
        is_replacement=form.get("is_replacement") == "on",
        idempotency_key=form.get("nonce") or None,
    ), _("The meter reading was recorded."))
