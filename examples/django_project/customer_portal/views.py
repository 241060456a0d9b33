"""Customer pages: home, lookup, my assets, jobs and job detail.

Every view asks portalkit through the request's ``req = portal_request(request)``
(the :class:`~portalkit.PortalRequest` the integration's middleware opened:
tenant, principal, policy, language and chosen organization are the
request's) and renders the answer.

One rule for what a user may not see, the same on every page: a section the
user holds no permission for (``@require(perm)``) answers the 403 page; a
record that is not theirs answers the same 404 page as one that does not
exist (the services raise :class:`~portalkit.errors.NotFoundError` for both).
The integration's middleware renders both pages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from portalkit import Ambiguous, Found, TenantSettings, perms
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError

from .forms import field_errors, message

_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}")


def portal_css(request: HttpRequest) -> HttpResponse:
    """The stylesheet with the tenant's colour: the CSP allows no inline style."""
    colour = portal_request(request).tenant.settings.primary_color
    if not _COLOUR.fullmatch(colour):  # never let tenant text write CSS
        colour = TenantSettings().primary_color
    css = render_to_string("customer_portal/portal.css", {"brand_color": colour})
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require()
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: asset lookup, KPI tiles and the latest messages."""
    req = portal_request(request)
    tiles = req.accounts.kpi_tiles()
    inbox = req.messages.inbox()[:3] if req.signed_in else []
    return render(request, "customer_portal/home.html", {"tiles": tiles, "inbox": inbox})


@require(perms.ASSET_VIEW)
def lookup(request: HttpRequest) -> HttpResponse:
    """Find an asset by number or plate; ask for the organization when it is ambiguous."""
    text = request.GET.get("q", "").strip()
    organization = request.GET.get("organization") or None
    if not text:
        return render(request, "customer_portal/lookup.html", {"q": ""})
    req = portal_request(request)
    try:
        result = req.assets.resolve(text, organization=int(organization) if organization else None)
    except (InvalidInputError, ValueError) as exc:
        error = message(exc) if isinstance(exc, InvalidInputError) else _("Choose an organization.")
        return render(
            request, "customer_portal/lookup.html", {"q": text, "error": error}, status=400
        )
    if isinstance(result, Found):
        return HttpResponseRedirect(reverse("asset", args=[result.asset.id]))
    if isinstance(result, Ambiguous):
        return render(
            request, "customer_portal/choose_org.html", {"q": text, "candidates": result.candidates}
        )
    return render(
        request, "customer_portal/lookup.html",
        {"q": text, "error": _("No asset with this number or licence plate is available to you.")},
        status=404,
    )


@require(perms.ASSET_VIEW)
def my_assets(request: HttpRequest) -> HttpResponse:
    """The assets the user may see: searchable by number or plate, a page at a time.

    Guests (a tenant without login) look assets up by number only: every
    visitor is the same guest, so a list would show one customer's fleet to
    the next visitor.
    """
    req = portal_request(request)
    if not req.signed_in:
        return HttpResponseRedirect(reverse("lookup"))
    number = request.GET.get("number", "").strip()
    page = req.accounts.assets(
        number=number or None, size=20, cursor=request.GET.get("cursor") or None
    )
    rows = req.accounts.project_assets(page.items)
    return render(
        request, "customer_portal/assets.html", {"rows": rows, "page": page, "number": number}
    )


_JOB_FIELDS = ("number", "status", "from", "to", "scheduled_from", "scheduled_to")
_JOB_STATUSES = ("scheduled", "in_progress", "completed", "unscheduled", "requested")


def _dates(request: HttpRequest, errors: dict[str, str]) -> dict[str, dt.date | None]:
    """The search's dates (``from``, ``to``); a malformed one goes into *errors*."""
    found: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        value = request.GET.get(name, "").strip()
        try:
            found[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            found[name] = None
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    return found


@require(perms.JOB_VIEW)
def jobs(request: HttpRequest) -> HttpResponse:
    """Jobs with search by number, status and scheduled date."""
    req, args = portal_request(request), request.GET
    errors: dict[str, str] = {}
    dates = _dates(request, errors)
    context: dict[str, Any] = {
        "statuses": _JOB_STATUSES, "form": args, "rows": [], "page": None, "errors": errors,
    }
    if errors:
        return render(request, "customer_portal/jobs.html", context, status=400)
    try:
        page = req.jobs.list(
            number=args.get("number") or None, status=args.get("status") or None,
            scheduled_from=dates["from"], scheduled_to=dates["to"],
            cursor=args.get("cursor") or None, size=20,
        )
    except InvalidInputError as exc:
        context["errors"] = field_errors(exc, shown=_JOB_FIELDS)
        return render(request, "customer_portal/jobs.html", context, status=400)
    query = args.copy()
    query.pop("cursor", None)
    context.update(rows=req.jobs.project(page.items), page=page, query=query.urlencode())
    return render(request, "customer_portal/jobs.html", context)


@require(perms.JOB_VIEW)
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job: the fields the tenant shows, its status in words (404 alike for not yours)."""
    req = portal_request(request)
    found = req.jobs.get(job_id)
    fields = {k: v for k, v in req.jobs.project([found])[0].items() if k != "id"}
    return render(request, "customer_portal/job.html", {"job": found, "fields": fields})
