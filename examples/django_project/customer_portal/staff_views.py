"""Staff page: send portal invitations and follow them up.

Who may send is the invitation service's decision (``invitation.send`` at a
scope covering the invitation's); this page collects the contacts.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portalkit import Tenant, perms
from portalkit.contrib.django.conf import get_portal
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError

from .forms import field_errors

#: The form's fields that show their own errors.
_SHOWN = ("contacts", "email", "contacts.email", "scope_id", "organization", "role")


def contacts_of(text: str) -> list[dict[str, str]]:
    """One contact a line: ``Name, email`` or ``Name <email>``."""
    contacts = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if "<" in line and line.endswith(">"):
            name, _sep, email = line[:-1].partition("<")
        else:
            name, _sep, email = line.rpartition(",")
        contacts.append({"name": name.strip(" ,") or email.strip(), "email": email.strip()})
    return contacts


def _roles(tenant: Tenant) -> list[Any]:
    with get_portal().admin(tenant) as admin:
        return admin.roles()


@never_cache
@require_http_methods(["GET", "POST"])
@require(perms.INVITATION_SEND)
def invitations(request: HttpRequest) -> HttpResponse:
    """Paste contacts, choose organization and role, send one email each."""
    req = portal_request(request)  # invitations go out as this request's principal
    errors: dict[str, str] = {}
    form = request.POST
    if request.method == "POST":
        contacts = contacts_of(form.get("contacts", ""))
        organization = form.get("organization", "")
        try:
            if not contacts:
                errors = {"contacts": _("Enter at least one contact.")}
            else:
                report = req.invitations.send(
                    contacts, scope_id=int(organization) if organization.isdigit() else None,
                    role=form.get("role") or None,
                )
        except InvalidInputError as exc:
            errors = field_errors(exc, "contacts", shown=_SHOWN)
        if not errors:
            counts = {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}
            messages.success(
                request, _("Sent %(sent)s, skipped %(skipped)s, failed %(failed)s.") % counts
            )
            return HttpResponseRedirect(reverse("staff_invitations"))
    context = {
        "organizations": req.organizations(), "roles": _roles(req.tenant),
        "recent": req.invitations.find(limit=25), "errors": errors, "form": form,
    }
    return render(
        request, "customer_portal/staff_invitations.html", context, status=400 if errors else 200
    )
