"""Service requests, appointments and meter readings, each a page of its own.

The asset page shows them as sections of one asset; these pages show them
across the user's assets, each with its form. Every form goes through the
same ``req.*`` call as the asset page's, shows field errors in the user's
language and keeps what was typed. Sections follow the example's one rule
(:mod:`.access`): a page the user holds no permission for is the 403 page, a
record that is not theirs the 404 page.

A guest (guest mode) may request service: they name the asset by its number
or plate (a guest is never shown a list of assets) and leave a contact name
and a phone number or an email address, which only staff are shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portalkit import Found, perms
from portalkit.contrib import flask as pk
from portalkit.errors import InvalidInputError

from .access import may_use, require_section
from .i18n import form_errors, gettext

bp = Blueprint("actions", __name__)

#: The job types offered on the request forms (the asset page offers the same).
JOB_TYPES = ("Service", "Repair", "Inspection")


def _assets() -> list[Any]:
    """The assets a signed-in user may choose from (a guest is never shown a list)."""
    req = pk.request_from()
    if req.user is None:
        return []
    return list(req.accounts.assets(size=100).items)


def _chosen(assets: list[Any]) -> int | None:
    """The asset chosen in the form or the address, else the first one offered."""
    value = request.values.get("asset", "").strip()
    if value.isdigit():
        return int(value)
    return assets[0].id if assets else None


def _guest_asset(text: str) -> int:
    """The asset a guest names by number or plate; a field error when none is theirs."""
    if not text.strip():
        raise InvalidInputError.for_field(
            "asset_number", gettext("Enter the asset number or licence plate.")
        )
    result = pk.request_from().assets.resolve(text)
    if not isinstance(result, Found):
        raise InvalidInputError.for_field(
            "asset_number",
            gettext("No asset with this number or licence plate is available to you."),
        )
    return int(result.asset.id)


# Service requests -----------------------------------------------------------------
@bp.route("/service-requests", methods=["GET", "POST"])
@pk.require()
def service_requests() -> ResponseReturnValue:
    """The user's service requests with their status, and the form to request service."""
    require_section(perms.SERVICE_REQUEST_VIEW, perms.SERVICE_REQUEST_EDIT)
    req = pk.request_from()
    errors: dict[str, str] = {}
    if request.method == "POST":
        require_section(perms.SERVICE_REQUEST_EDIT)
        form = request.form
        try:
            asset: object = (
                form.get("asset", "") if req.user is not None
                else _guest_asset(form.get("asset_number", ""))
            )
            req.requests.request_service(
                asset=asset, description=form.get("description", ""),
                job_type=form.get("job_type") or None,
                contact_name=form.get("contact_name") or None,
                contact_phone=form.get("contact_phone") or None,
                contact_email=form.get("contact_email") or None,
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as error:
            errors = form_errors(error)
        else:
            flash(gettext("Your service request was sent."), "success")
            return redirect(url_for("actions.service_requests"))
    assets = _assets()
    can_view = req.user is not None and may_use(perms.SERVICE_REQUEST_VIEW)
    listed = req.requests.list() if can_view else []
    numbers = {a.id: a.number for a in assets}
    staff = req.user is not None and req.user.is_staff
    return render_template(
        "service_requests.html", requests=listed, can_view=can_view, numbers=numbers, assets=assets,
        chosen=_chosen(assets), can_request=may_use(perms.SERVICE_REQUEST_EDIT),
        staff=staff, job_types=JOB_TYPES, errors=errors, form=request.form,
        nonce=uuid.uuid4().hex,
    ), 400 if errors else 200


# Appointments ---------------------------------------------------------------------
def _appointments_page(errors: dict[str, str] | None = None) -> ResponseReturnValue:
    req = pk.request_from()
    assets = _assets()
    chosen = _chosen(assets)
    slots: list[Any] = []
    can_book = may_use(perms.APPOINTMENT_EDIT)
    if can_book and chosen is not None:
        now = pk.portal_from().clock.now()  # the portal's clock: req has none
        slots = req.appointments.available(chosen, start=now, end=now + dt.timedelta(days=7))[:12]
    return render_template(
        "appointments.html", appointments=req.appointments.list(include_cancelled=True),
        numbers={a.id: a.number for a in assets}, assets=assets, chosen=chosen, slots=slots,
        can_book=can_book, can_cancel=may_use(perms.APPOINTMENT_CANCEL),
        errors=errors or {}, form=request.form, nonce=uuid.uuid4().hex,
    ), 400 if errors else 200


@bp.get("/appointments")
@pk.require(perms.APPOINTMENT_VIEW)
def appointments() -> ResponseReturnValue:
    """Appointments booked (date, time, status; cancel where allowed) and the booking form."""
    return _appointments_page()


@bp.post("/appointments")
@pk.require(perms.APPOINTMENT_EDIT)
def book() -> ResponseReturnValue:
    """Book a free time for the chosen asset."""
    form = request.form
    try:
        pk.request_from().appointments.book(
            asset=form.get("asset", ""), starts_at=form.get("starts_at", ""),
            notes=form.get("notes", ""), idempotency_key=form.get("nonce") or None,
        )
    except InvalidInputError as error:
        return _appointments_page(form_errors(error))
    flash(gettext("Your appointment is booked."), "success")
    return redirect(url_for("actions.appointments"))


@bp.post("/appointments/<int:appointment_id>/cancel")
@pk.require(perms.APPOINTMENT_CANCEL)
def cancel(appointment_id: int) -> ResponseReturnValue:
    """Cancel an appointment (404 for one that is not the user's)."""
    try:
        pk.request_from().appointments.cancel(appointment_id)
    except InvalidInputError as error:
        return _appointments_page(form_errors(error))
    flash(gettext("The appointment was cancelled."), "success")
    return redirect(url_for("actions.appointments"))


# Meter readings -------------------------------------------------------------------
@bp.route("/meters", methods=["GET", "POST"])
@pk.require(perms.METER_READING_EDIT)
def meters() -> ResponseReturnValue:
    """An asset's meters with their last readings, and the form to record one."""
    req = pk.request_from()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            req.meters.record(
                meter=form.get("meter", ""), value=form.get("value", ""),
                is_replacement=form.get("is_replacement") == "on",
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as error:
            errors = form_errors(error)
        else:
            flash(gettext("The meter reading was recorded."), "success")
            return redirect(url_for("actions.meters", asset=form.get("asset", "")))
    assets = _assets()
    chosen = _chosen(assets)
    found = req.meters.meters(chosen) if chosen is not None else []
    readings = {m.id: req.meters.readings(m, limit=5) for m in found}
    return render_template(
        "meters.html", assets=assets, chosen=chosen, meters=found, readings=readings,
        errors=errors, form=request.form, nonce=uuid.uuid4().hex,
    ), 400 if errors else 200
