"""Documents, the account summary, contracts and items out, call-off, messages.

Each section needs its permission (403 page without it: the same answer as
every other section); each record that is not the user's is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portalkit import perms
from portalkit.contrib.django.decorators import check_access, require, sensitive
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError, NotFoundError

from .forms import field_errors, nonce

#: The document kinds in the address, their portalkit kind and the permission to list them.
KINDS = {
    "quotes": ("quote", perms.QUOTE_VIEW),
    "invoices": ("invoice", perms.INVOICE_VIEW),
    "reports": ("report", perms.REPORT_VIEW),
    "statements": ("statement", perms.STATEMENT_VIEW),
}


@require()
def documents(request: HttpRequest, kind: str) -> HttpResponse:
    """Quotes, invoices, reports or statements: 403 without the kind's permission."""
    if kind not in KINDS:
        raise NotFoundError()
    name, permission = KINDS[kind]
    stop = check_access(request, permission)
    if stop is not None:
        return stop
    req = portal_request(request)
    page = req.documents.list(kind=name, cursor=request.GET.get("cursor") or None, size=20)
    tabs = [k for k, (_n, p) in KINDS.items() if req.policy.granted_paths(req.principal, p)]
    return render(
        request, "customer_portal/documents.html", {"kind": kind, "page": page, "tabs": tabs}
    )


@require_POST
@sensitive
@require()
def download(request: HttpRequest, document_id: int) -> HttpResponse:
    """Answer the document's PDF to the button's POST: no token in any URL or log."""
    found = portal_request(request).documents.download(document_id)
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = found.content_disposition
    return response


@require(perms.ACCOUNT_SUMMARY_VIEW)
def account(request: HttpRequest) -> HttpResponse:
    """Balance, last payment and statements of the (chosen) organization."""
    req = portal_request(request)
    try:
        summary = req.accounts.summary()
    except InvalidInputError:  # several organizations and none chosen: the switcher asks
        return render(request, "customer_portal/account.html", {"choose": True})
    statements = req.accounts.statements(size=20)
    return render(
        request, "customer_portal/account.html", {"summary": summary, "statements": statements}
    )


@require(perms.CONTRACT_VIEW)
def contracts(request: HttpRequest) -> HttpResponse:
    """Contracts with their status, and the items out on rent."""
    req = portal_request(request)
    try:
        context = {"contracts": req.accounts.contracts(), "items": req.accounts.items_out()}
    except InvalidInputError:  # several organizations and none chosen: the switcher asks
        context = {"choose": True}
    return render(request, "customer_portal/contracts.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@require(perms.CALL_OFF_RENT_REQUEST)
def call_off(request: HttpRequest) -> HttpResponse:
    """Ask for items on rent to be picked up."""
    req = portal_request(request)
    errors: dict[str, str] = {}
    form = request.POST
    if request.method == "POST":
        items = {
            int(key[4:]): form.get(key, "") for key in form
            if key.startswith("qty_") and key[4:].isdigit()
            and form.get(key, "").strip() not in ("", "0")
        }
        try:
            req.rentals.call_off(
                items=items, pickup_on=form.get("pickup_on", ""), notes=form.get("notes", ""),
                idempotency_key=form.get("nonce") or None,
            )
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=("items", "pickup_on", "notes"))
        else:
            messages.success(request, _("Your call-off request was sent to the store."))
            return HttpResponseRedirect(reverse("contracts"))
    rows = [
        (item, item.quantity_out - item.quantity_called_off - item.quantity_returned,
         form.get(f"qty_{item.id}", "0"))
        for item in req.rentals.items_out()
    ]
    context = {"rows": rows, "errors": errors, "form": form, "nonce": nonce()}
    return render(request, "customer_portal/call_off.html", context, status=400 if errors else 200)


@require(perms.MESSAGE_VIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    """Broadcast messages for the signed-in user (guests have no inbox: sign in)."""
    req = portal_request(request)
    if not req.signed_in:
        return HttpResponseRedirect(f"{reverse('login')}?next={reverse('messages')}")
    return render(request, "customer_portal/messages.html", {"inbox": req.messages.inbox()})


@require_POST
@require(perms.MESSAGE_VIEW)
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark a message as read."""
    portal_request(request).messages.mark_read(message_id)
    return HttpResponseRedirect(reverse("messages"))
