"""Customer pages: every view asks portalkit and renders the answer.

Errors become pages through the integration's one error mapping (the
middleware); sign-in failures are shown on the form.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portalkit import perms
from portalkit.contrib.django import auth
from portalkit.contrib.django.decorators import require, sensitive
from portalkit.contrib.django.middleware import portal_request
from portalkit.domain.resolver import Ambiguous, Found
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import AuthenticationError, InvalidInputError, NotFoundError, ThrottledError
from portalkit.web import safe_next

_KINDS = {"quotes": "quote", "invoices": "invoice", "reports": "report"}


# Not @sensitive: a form on a no-referrer page posts "Origin: null", which
# Django's CSRF check refuses.
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The sign-in form; one answer for every wrong email/password combination."""
    target = safe_next(request.POST.get("next") or request.GET.get("next"))
    error = None
    status = 200
    if request.method == "POST":
        try:
            auth.login(request, request.POST.get("email", ""), request.POST.get("password", ""))
        except AuthenticationError as exc:
            error, status = exc.message, 401
        except ThrottledError as exc:
            error, status = exc.message, 429
        else:
            return HttpResponseRedirect(target)
    return render(
        request, "customer_portal/login.html", {"error": error, "next": target}, status=status
    )


_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}")


def portal_css(request: HttpRequest) -> HttpResponse:
    """The stylesheet with the tenant's colour: the CSP allows no inline style."""
    colour = portal_request(request).tenant.settings.primary_color
    if not _COLOUR.fullmatch(colour):  # never let tenant text write CSS
        colour = TenantSettings().primary_color
    css = render_to_string("customer_portal/portal.css", {"brand_color": colour})
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out of this browser."""
    auth.logout(request)
    return HttpResponseRedirect(reverse("login"))


@require()
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: asset lookup and the menu."""
    return render(request, "customer_portal/home.html")


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
        message = exc.message if isinstance(exc, InvalidInputError) else "Choose an organization."
        return render(
            request, "customer_portal/lookup.html", {"q": text, "error": message}, status=400
        )
    if isinstance(result, Found):
        return HttpResponseRedirect(reverse("asset", args=[result.asset.id]))
    if isinstance(result, Ambiguous):
        return render(
            request, "customer_portal/lookup.html", {"q": text, "candidates": result.candidates}
        )
    return render(
        request, "customer_portal/lookup.html",
        {"q": text, "error": "No asset with this number or licence plate is available to you."},
        status=404,
    )


@require(perms.ASSET_VIEW)
def asset(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The asset page: the fields this tenant shows (404 alike for not yours / not there)."""
    req = portal_request(request)
    found = req.assets.get(asset_id)
    fields = req.assets.fields(found)
    return render(request, "customer_portal/asset.html", {"asset": found, "fields": fields})


@require(perms.JOB_VIEW)
def jobs(request: HttpRequest) -> HttpResponse:
    """Jobs the principal may see, searchable by number."""
    req = portal_request(request)
    page = req.jobs.list(
        number=request.GET.get("number") or None, cursor=request.GET.get("cursor") or None
    )
    rows = req.jobs.project(page.items)
    return render(request, "customer_portal/jobs.html", {"rows": rows, "page": page})


@require()
def documents(request: HttpRequest, kind: str) -> HttpResponse:
    """Quotes, invoices or reports the principal may see."""
    if kind not in _KINDS:
        raise NotFoundError()
    page = portal_request(request).documents.list(
        kind=_KINDS[kind], cursor=request.GET.get("cursor") or None
    )
    return render(request, "customer_portal/documents.html", {"kind": kind, "page": page})


@require_POST
@sensitive
@require()
def download(request: HttpRequest, document_id: int) -> HttpResponse:
    """Answer the document's PDF to the button's POST: no token in any URL or log."""
    found = portal_request(request).documents.download(document_id)
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = found.content_disposition
    return response
