"""Branding, the menu, the signed-in user and their organizations for every template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portalkit import TenantSettings, perms
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import PortalkitError

from .account_views import KINDS

#: The menu: (url name, arguments, label, the permission that shows it).
_NAV: tuple[tuple[str, tuple[str, ...], Any, str], ...] = (
    ("assets", (), _("My assets"), perms.ASSET_VIEW),
    ("jobs", (), _("Jobs"), perms.JOB_VIEW),
    ("service_requests", (), _("Service requests"), perms.SERVICE_REQUEST_EDIT),
    ("appointments", (), _("Appointments"), perms.APPOINTMENT_VIEW),
    ("meters", (), _("Meter readings"), perms.METER_READING_EDIT),
    ("documents", ("quotes",), _("Quotes"), perms.QUOTE_VIEW),
    ("documents", ("invoices",), _("Invoices"), perms.INVOICE_VIEW),
    ("documents", ("reports",), _("Reports"), perms.REPORT_VIEW),
    ("account", (), _("Account"), perms.ACCOUNT_SUMMARY_VIEW),
    ("contracts", (), _("Contracts"), perms.CONTRACT_VIEW),
    ("messages", (), _("Messages"), perms.MESSAGE_VIEW),
    ("staff_invitations", (), _("Invitations"), perms.INVITATION_SEND),
)
#: A guest's menu (a tenant without login): lookup by number, never a list.
_GUEST_NAV = (
    ("lookup", (), _("Find an asset"), perms.ASSET_VIEW),
    ("service_requests", (), _("Service requests"), perms.SERVICE_REQUEST_EDIT),
)
assert {args[0] for name, args, _l, _p in _NAV if name == "documents"} <= set(KINDS)


def portal_layout(request: HttpRequest) -> dict[str, Any]:
    """Branding, the menu the user may use, the user, unread messages, organizations."""
    if request.path.startswith("/admin/"):
        return {}
    context: dict[str, Any] = {
        "brand": TenantSettings(), "nav": [], "portal_user": None, "unread": 0,
        "organizations": [], "current_organization": None,
    }
    try:
        req = portal_request(request)
        context["brand"] = req.tenant.settings
        context["tenant_name"] = req.tenant.name
        if req.must_sign_in:
            return context
        user = req.user
        context["portal_user"] = user
        context["is_guest"] = user is None
        nav = _NAV if user is not None else _GUEST_NAV
        context["nav"] = [
            (reverse(name, args=args), label, name == "messages")
            for name, args, label, permission in nav
            if req.policy.granted_paths(req.principal, permission)
        ]
        if user is not None:
            context["unread"] = req.messages.unread_count()
            organizations = req.organizations()
            context["organizations"] = organizations if len(organizations) > 1 else []
            chosen = req.organization
            context["current_organization"] = next(
                (o for o in organizations if o.id == chosen), None
            )
    except PortalkitError:  # an error page about the portal itself still renders
        return context
    return context
