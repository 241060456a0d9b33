"""Service requests, appointments and meter readings, each a page of its own.

The same pages as the Flask example's (``examples/flask_app/action_pages.py``):
the asset page shows these as sections of one asset; here they span the
user's assets, each with its form, whose errors are shown next to the fields
in the user's language with what they typed. A page the user holds no
permission for is the 403 page, a record that is not theirs the 404 page.

A guest (a tenant without login) may request service: they name the asset by
number or plate (a guest is never shown a list) and leave a contact name and
a phone number or an email address, which only staff are shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portalkit import Found, perms
from portalkit.contrib.django.decorators import check_access, require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError, PermissionDeniedError

from .asset_views import JOB_TYPES
from .forms import field_errors, nonce

#: The fields of these pages' forms that show their own errors.
FORM_FIELDS = (
    "asset", "asset_number", "job_type", "description", "contact_name", "contact_phone",
    "contact_email", "starts_at", "notes", "meter", "value",
)


def _may(request: HttpRequest, permission: str) -> bool:
    req = portal_request(request)
    return bool(req.policy.granted_paths(req.principal, permission))


def _assets(request: HttpRequest) -> list[Any]:
    """The assets a signed-in user may choose from (a guest is never shown a list)."""
    req = portal_request(request)
    if not req.signed_in:
        return []
    return list(req.accounts.assets(size=100).items)


def _chosen(request: HttpRequest, assets: list[Any]) -> int | None:
    value = (request.POST.get("asset") or request.GET.get("asset") or "").strip()
    if value.isdigit():
        return int(value)
    return assets[0].id if assets else None


def _guest_asset(request: HttpRequest, text: str) -> int:
    """The asset a guest names by number or plate; a field error when none is theirs."""
    if not text.strip():
        raise InvalidInputError.for_field(
            "asset_number", _("Enter the asset number or licence plate.")
        )
    result = portal_request(request).assets.resolve(text)
    if not isinstance(result, Found):
        raise InvalidInputError.for_field(
            "asset_number", _("No asset with this number or licence plate is available to you.")
        )
    return int(result.asset.id)


# Service requests -----------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require()
def service_requests(request: HttpRequest) -> HttpResponse:
    """The user's service requests with their status, and the form to request service."""
    can_view = _may(request, perms.SERVICE_REQUEST_VIEW)
    can_request = _may(request, perms.SERVICE_REQUEST_EDIT)
    if not (can_view or can_request):
        raise PermissionDeniedError()
    req = portal_request(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_request:
            raise PermissionDeniedError()
        form = request.POST
        try:
            asset: object = (
                form.get("asset", "") if req.signed_in
                else _guest_asset(request, form.get("asset_number", ""))
            )
            req.requests.request_service(
                asset=asset, description=form.get("description", ""),
                job_type=form.get("job_type") or None,
                contact_name=form.get("contact_name") or None,
                contact_phone=form.get("contact_phone") or None,
                contact_email=form.get("contact_email") or None,
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=FORM_FIELDS)
        else:
            messages.success(request, _("Your service request was sent."))
            return HttpResponseRedirect(reverse("service_requests"))
    assets = _assets(request)
    can_view = can_view and req.signed_in
    context = {
        "requests": req.requests.list() if can_view else [], "can_view": can_view,
        "can_request": can_request, "numbers": {a.id: a.number for a in assets},
        "assets": assets, "chosen": _chosen(request, assets),
        "staff": req.user is not None and req.user.is_staff, "job_types": JOB_TYPES,
        "errors": errors, "form": request.POST, "nonce": nonce(),
    }
    return render(
        request, "customer_portal/service_requests.html", context, status=400 if errors else 200
    )


# Appointments ---------------------------------------------------------------------
def _appointments_page(request: HttpRequest, errors: dict[str, str] | None = None) -> HttpResponse:
    req = portal_request(request)
    assets = _assets(request)
    chosen = _chosen(request, assets)
    can_book = _may(request, perms.APPOINTMENT_EDIT)
    slots: list[Any] = []
    if can_book and chosen is not None:
        slots = req.appointments.available(chosen)  # the earliest few, as on the asset page
    context = {
        "appointments": req.appointments.list(include_cancelled=True),
        "numbers": {a.id: a.number for a in assets}, "assets": assets, "chosen": chosen,
        "slots": slots[:12], "can_book": can_book,
        "can_cancel": _may(request, perms.APPOINTMENT_CANCEL),
        "errors": errors or {}, "form": request.POST, "nonce": nonce(),
    }
    return render(
        request, "customer_portal/appointments.html", context, status=400 if errors else 200
    )


@require_http_methods(["GET", "POST"])
@require(perms.APPOINTMENT_VIEW)
def appointments(request: HttpRequest) -> HttpResponse:
    """Appointments booked (date, time, status; cancel where allowed) and the booking form."""
    if request.method == "GET":
        return _appointments_page(request)
    stop = check_access(request, perms.APPOINTMENT_EDIT)
    if stop is not None:
        return stop
    form = request.POST
    try:
        portal_request(request).appointments.book(
            asset=form.get("asset", ""), starts_at=form.get("starts_at", ""),
            notes=form.get("notes", ""), idempotency_key=form.get("nonce") or None,
        )
    except InvalidInputError as exc:
        return _appointments_page(request, field_errors(exc, shown=FORM_FIELDS))
    messages.success(request, _("Your appointment is booked."))
    return HttpResponseRedirect(reverse("appointments"))


@require_POST
@require(perms.APPOINTMENT_CANCEL)
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Cancel an appointment (404 for one that is not the user's)."""
    try:
        portal_request(request).appointments.cancel(appointment_id)
    except InvalidInputError as exc:
        return _appointments_page(request, field_errors(exc, shown=FORM_FIELDS))
    messages.success(request, _("The appointment was cancelled."))
    return HttpResponseRedirect(reverse("appointments"))


# Meter readings -------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require(perms.METER_READING_EDIT)
def meters(request: HttpRequest) -> HttpResponse:
    """An asset's meters with their last readings, and the form to record one."""
    req = portal_request(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.POST
        try:
            req.meters.record(
                meter=form.get("meter", ""), value=form.get("value", ""),
                is_replacement=form.get("is_replacement") == "on",
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=FORM_FIELDS)
        else:
            messages.success(request, _("The meter reading was recorded."))
            return HttpResponseRedirect(f"{reverse('meters')}?asset={form.get('asset', '')}")
    assets = _assets(request)
    chosen = _chosen(request, assets)
    found = req.meters.meters(chosen) if chosen is not None else []
    context = {
        "assets": assets, "chosen": chosen,
        "meters": [(m, req.meters.readings(m, limit=5)) for m in found],
        "errors": errors, "form": request.POST, "nonce": nonce(),
    }
    return render(request, "customer_portal/meters.html", context, status=400 if errors else 200)
