"""Branding, the menu and the signed-in user for every template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portalkit import perms
from portalkit.contrib.django.middleware import portal_request
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import PortalkitError

#: The menu: (url, label, the permission that shows it).
_NAV = (
    ("/lookup/", "Assets", perms.ASSET_VIEW),
    ("/jobs/", "Jobs", perms.JOB_VIEW),
    ("/documents/quotes/", "Quotes", perms.QUOTE_VIEW),
    ("/documents/invoices/", "Invoices", perms.INVOICE_VIEW),
    ("/documents/reports/", "Reports", perms.REPORT_VIEW),
)


def portal_layout(request: HttpRequest) -> dict[str, Any]:
    """The tenant's branding, the menu the principal may use, the signed-in user."""
    if request.path.startswith("/admin/"):
        return {}
    try:
        req = portal_request(request)
        tenant = req.tenant
        nav: list[tuple[str, str]] = []
        if not req.must_sign_in:
            nav = [
                (url, label) for url, label, permission in _NAV
                if req.policy.granted_paths(req.principal, permission)
            ]
    except PortalkitError:  # an error page about the portal itself still renders
        return {"brand": TenantSettings(), "nav": [], "portal_user": None}
    return {"brand": tenant.settings, "nav": nav, "portal_user": req.user}
