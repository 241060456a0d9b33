"""Customer pages: lookup, asset page and its actions, jobs, documents, account, messages.

Every view asks portalkit through this HTTP request's ``req = pk.request_from()``
(its tenant, principal, policy and client key are the request's): the views
only turn forms into ``req.*`` calls and results into templates. Errors become
pages through the integration's one error mapping; form errors
(``InvalidInputError.fields``) are shown next to the fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portalkit import Ambiguous, Found, NoAccess, perms
from portalkit.contrib import flask as pk
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portalkit.locale import Msg

from . import organizations
from .access import may_use, require_section
from .i18n import form_errors, gettext

bp = Blueprint("customer", __name__)


def _date(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError.for_field(name, Msg("field.not_a_date")) from None


# Landing: dashboard + asset lookup (seed 000) ------------------------------
@bp.get("/")
@pk.require()
def home() -> ResponseReturnValue:
    """Dashboard: asset lookup, messages and KPI tiles."""
    req = pk.request_from()
    tiles = req.accounts.kpi_tiles()
    inbox = req.messages.inbox() if req.user is not None else []
    return render_template("home.html", tiles=tiles, inbox=inbox[:3])


@bp.route("/lookup", methods=["GET", "POST"])
@pk.require(perms.ASSET_VIEW)
def lookup() -> ResponseReturnValue:
    """Find an asset by number or plate; ask for the organization when it is ambiguous."""
    text = request.values.get("q", "").strip()
    organization = request.values.get("organization") or pk.request_from().organization
    if not text:
        return render_template("lookup.html", q="", error=None)
    try:
        result = pk.request_from().assets.resolve(
            text, organization=int(organization) if organization else None
        )
    except InvalidInputError as error:
        return render_template("lookup.html", q=text, error=form_errors(error)["_"]), 400
    except ValueError:
        message = gettext("Choose an organization.")
        return render_template("lookup.html", q=text, error=message), 400
    if isinstance(result, Found):
        return redirect(url_for("customer.asset", asset_id=result.asset.id))
    if isinstance(result, Ambiguous):
        return render_template("choose_org.html", q=text, candidates=result.candidates)
    return render_template(
        "lookup.html", q=text,
        error=gettext("No asset with this number or licence plate is available to you."),
    ), 404


@bp.get("/assets")
@pk.require(perms.ASSET_VIEW)
def my_assets() -> ResponseReturnValue:
    """The assets the principal may see, searchable by number, a page at a time.

    A guest looks assets up by number instead: every visitor is the same guest,
    so a list would show one customer's fleet to the next visitor.
    """
    if pk.request_from().user is None:
        return redirect(url_for("customer.lookup"))
    number = request.args.get("q", "").strip()
    page = pk.request_from().accounts.assets(
        number=number or None, size=20, cursor=request.args.get("cursor") or None
    )
    return render_template("assets.html", q=number, page=page)


# The asset page and its actions ----------------------------------------------
def _asset_page(asset_id: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    req = pk.request_from()
    asset = req.assets.get(asset_id)
    sections = req.assets.sections(asset)
    if isinstance(sections, NoAccess):
        return render_template("no_access.html", asset=asset), 403
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
        if perms.APPOINTMENT_EDIT in keys["appointments"].actions:
            now = pk.portal_from().clock.now()  # the portal's clock: req has none
            data["slots"] = req.appointments.available(
                asset, start=now, end=now + dt.timedelta(days=7)
            )[:12]
    if "add_meter_reading" in keys:
        data["meters"] = req.meters.meters(asset)
    if "maintenance_schedule" in keys:
        data["schedule"] = req.maintenance.schedule(asset)
    return render_template(
        "asset.html", asset=asset, sections=sections.items, keys=keys, data=data,
        errors=errors or {}, form=request.form, nonce=uuid.uuid4().hex,
    ), status


@bp.get("/assets/<int:asset_id>")
@pk.require(perms.ASSET_VIEW)
def asset(asset_id: int) -> ResponseReturnValue:
    """The asset page with the sections the principal may see, or the no-access page."""
    return _asset_page(asset_id)  # type: ignore[no-any-return]


def _act(asset_id: int, action: Any, success: str) -> ResponseReturnValue:
    try:
        action()
    except InvalidInputError as error:
        return _asset_page(asset_id, errors=form_errors(error), status=400)  # type: ignore[no-any-return]
    flash(gettext(success), "success")
    return redirect(url_for("customer.asset", asset_id=asset_id))


@bp.post("/assets/<int:asset_id>/request")
@pk.require(perms.SERVICE_REQUEST_EDIT)
def request_service(asset_id: int) -> ResponseReturnValue:
    """Request service on the asset (seed 000)."""
    form = request.form
    return _act(asset_id, lambda: pk.request_from().requests.request_service(
        asset=asset_id, description=form.get("description", ""),
        job_type=form.get("job_type") or None, idempotency_key=form.get("nonce") or None,
        contact_name=form.get("contact_name") or None,
        contact_phone=form.get("contact_phone") or None,
        contact_email=form.get("contact_email") or None,
    ), "Your service request was sent.")


@bp.post("/assets/<int:asset_id>/appointments")
@pk.require(perms.APPOINTMENT_EDIT)
def book(asset_id: int) -> ResponseReturnValue:
    """Book an appointment slot for the asset."""
    form = request.form
    return _act(asset_id, lambda: pk.request_from().appointments.book(
        asset=asset_id, starts_at=form.get("starts_at", ""), notes=form.get("notes", ""),
        idempotency_key=form.get("nonce") or None,
    ), "Your appointment is booked.")


@bp.post("/assets/<int:asset_id>/appointments/<int:appointment_id>/cancel")
@pk.require(perms.APPOINTMENT_CANCEL)
def cancel(asset_id: int, appointment_id: int) -> ResponseReturnValue:
    """Cancel an appointment."""
    return _act(
        asset_id, lambda: pk.request_from().appointments.cancel(appointment_id),
        "The appointment was cancelled.",
    )


@bp.post("/assets/<int:asset_id>/meters")
@pk.require(perms.METER_READING_EDIT)
def meter_reading(asset_id: int) -> ResponseReturnValue:
    """Record a meter reading."""
    form = request.form
    return _act(asset_id, lambda: pk.request_from().meters.record(
        meter=form.get("meter", ""), value=form.get("value", ""),
        is_replacement=form.get("is_replacement") == "on",
        idempotency_key=form.get("nonce") or None,
    ), "The meter reading was recorded.")


# Jobs and documents (seed 002) ------------------------------------------------
@bp.get("/jobs")
@pk.require(perms.JOB_VIEW)
def jobs() -> ResponseReturnValue:
    """Jobs with search by number, status and date."""
    req, args = pk.request_from(), request.args
    try:
        page = req.jobs.list(
            number=args.get("number") or None, status=args.get("status") or None,
            scheduled_from=_date("from"), scheduled_to=_date("to"),
            cursor=args.get("cursor") or None,
        )
    except InvalidInputError as error:
        errors = form_errors(error)
        return render_template("jobs.html", rows=[], page=None, errors=errors), 400
    rows = req.jobs.project(page.items)
    return render_template("jobs.html", rows=rows, page=page, errors={})


@bp.get("/jobs/<int:job_id>")
@pk.require(perms.JOB_VIEW)
def job(job_id: int) -> ResponseReturnValue:
    """One job: the fields the tenant shows, its status in words, its asset."""
    req = pk.request_from()
    found = req.jobs.get(job_id)
    (row,) = req.jobs.project([found])
    return render_template("job.html", job=found, row=row)


#: The document kinds of the URL: (the stored kind, the permission that shows it).
_KINDS = {
    "quotes": ("quote", perms.QUOTE_VIEW),
    "invoices": ("invoice", perms.INVOICE_VIEW),
    "reports": ("report", perms.REPORT_VIEW),
    "statements": ("statement", perms.STATEMENT_VIEW),
}


@bp.get("/documents/<kind>")
@pk.require()
def documents(kind: str) -> ResponseReturnValue:
    """Quotes, invoices, reports or statements: 403 for a kind the principal may not see."""
    if kind not in _KINDS:
        raise NotFoundError()
    stored, permission = _KINDS[kind]
    require_section(permission)
    page = pk.request_from().documents.list(
        kind=stored, cursor=request.args.get("cursor") or None
    )
    kinds = [k for k, (_, needed) in _KINDS.items() if may_use(needed)]
    return render_template("documents.html", kind=kind, page=page, kinds=kinds)


@bp.post("/documents/<int:document_id>/download")
@pk.require()
@pk.sensitive
def download(document_id: int) -> ResponseReturnValue:
    """Answer the document's PDF to the button's POST: no token in any URL or log."""
    found = pk.request_from().documents.download(document_id)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = found.content_disposition
    return response


# Account (seed 004) ----------------------------------------------------------------
@bp.get("/account")
@pk.require(perms.ACCOUNT_SUMMARY_VIEW)
@pk.sensitive
def account() -> ResponseReturnValue:
    """Account summary: balance, last payment, statements."""
    req = pk.request_from()
    return organizations.for_account(lambda organization: render_template(
        "account.html", summary=req.accounts.summary(organization=organization),
        statements=req.accounts.statements(),
    ))


@bp.get("/account/contracts")
@pk.require(perms.CONTRACT_VIEW)
@pk.sensitive
def contracts() -> ResponseReturnValue:
    """Contracts with their status and items out."""
    req = pk.request_from()
    return organizations.for_account(lambda organization: render_template(
        "contracts.html", contracts=req.accounts.contracts(organization=organization),
        items=req.accounts.items_out(organization=organization),
    ))


@bp.route("/account/call-off", methods=["GET", "POST"])
@pk.require(perms.CALL_OFF_RENT_REQUEST)
@pk.sensitive
def call_off() -> ResponseReturnValue:
    """Ask for items on rent to be picked up."""
    req = pk.request_from()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        items = {
            int(key[4:]): value for key, value in form.items()
            if key.startswith("qty_") and key[4:].isdigit() and value.strip() not in ("", "0")
        }
        try:
            req.rentals.call_off(
                items=items, pickup_on=form.get("pickup_on", ""), notes=form.get("notes", ""),
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as error:
            errors = form_errors(error)
        else:
            flash(gettext("Your call-off request was sent to the store."), "success")
            return redirect(url_for("customer.contracts"))
    return render_template(
        "call_off.html", items=req.rentals.items_out(), errors=errors,
        form=request.form, nonce=uuid.uuid4().hex,
    ), 400 if errors else 200


# Messages (seed 001) --------------------------------------------------------------
@bp.get("/messages")
@pk.require(perms.MESSAGE_VIEW)
def messages() -> ResponseReturnValue:
    """Broadcast messages for the signed-in user."""
    req = pk.request_from()
    if req.user is None:
        raise PermissionDeniedError()
    return render_template("messages.html", inbox=req.messages.inbox())


@bp.post("/messages/<int:message_id>/read")
@pk.require(perms.MESSAGE_VIEW)
def mark_read(message_id: int) -> ResponseReturnValue:
    """Mark a message as read."""
    pk.request_from().messages.mark_read(message_id)
    return redirect(url_for("customer.messages"))


# Quote decisions (seed 003's proposals) --------------------------------------------
@bp.route("/quotes/<int:document_id>", methods=["GET", "POST"])
@pk.require(perms.QUOTE_VIEW)
def quote(document_id: int) -> ResponseReturnValue:
    """A quote with its decisions; approve with a typed signature, or decline."""
    req = pk.request_from()
    document = req.documents.get(document_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "approve":
                req.quotes.approve(
                    document_id, signer_name=form.get("signer_name", ""),
                    signature=form.get("signature", ""),
                    idempotency_key=form.get("nonce") or None,
                )
                flash(gettext("Thank you: the quote is approved."), "success")
            else:
                req.quotes.decline(
                    document_id, reason=form.get("reason", ""),
                    idempotency_key=form.get("nonce") or None,
                )
                flash(gettext("The quote is declined."), "success")
        except InvalidInputError as error:
            errors = form_errors(error)
        else:
            return redirect(url_for("customer.quote", document_id=document_id))
    decisions = req.quotes.decisions(document_id)
    can_decide = bool(req.policy.granted_paths(req.principal, perms.QUOTE_DECIDE))
    return render_template(
        "quote.html", document=document, decisions=decisions, can_decide=can_decide,
        errors=errors, form=request.form, nonce=uuid.uuid4().hex,
    ), 400 if errors else 200
