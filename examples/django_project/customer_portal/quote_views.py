"""A quote with its decisions: approve with a typed signature, or decline."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portalkit import perms
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError, NotFoundError

from .forms import field_errors, nonce


@never_cache
@require_http_methods(["GET", "POST"])
@require(perms.QUOTE_VIEW)
def quote(request: HttpRequest, document_id: int) -> HttpResponse:
    """The quote's details and decisions; the decision forms when the user may decide."""
    req = portal_request(request)
    document = req.documents.get(document_id)
    if document.kind != "quote":  # another kind's number: no such quote
        raise NotFoundError()
    errors: dict[str, str] = {}
    form = request.POST
    if request.method == "POST":
        try:
            if form.get("action") == "approve":
                req.quotes.approve(
                    document_id, signer_name=form.get("signer_name", ""),
                    signature=form.get("signature", ""),
                    idempotency_key=form.get("nonce") or None,
                )
                messages.success(request, _("Thank you: the quote is approved."))
            else:
                req.quotes.decline(
                    document_id, reason=form.get("reason", ""),
                    idempotency_key=form.get("nonce") or None,
                )
                messages.success(request, _("The quote is declined."))
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=("signer_name", "signature", "reason"))
        else:
            return HttpResponseRedirect(reverse("quote", args=[document_id]))
    context = {
        "document": document, "decisions": req.quotes.decisions(document_id),
        "can_decide": bool(req.policy.granted_paths(req.principal, perms.QUOTE_DECIDE)),
        "errors": errors, "form": form, "action": form.get("action", ""), "nonce": nonce(),
    }
    return render(request, "customer_portal/quote.html", context, status=400 if errors else 200)
