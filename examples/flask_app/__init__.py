"""The example customer portal: portalkit on Flask, over the demo data.

Run it with ``python -m examples.flask_app`` (or ``make demo``). Build it in
tests with :func:`create_app`.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, url_for

from portalkit import Portal, PortalConfig, TenantSettings, perms
from portalkit.contrib import flask as pk
from portalkit.demo import DEMO_TENANT, load_demo
from portalkit.ports import PasswordHasher

from . import (
    action_pages,
    auth_views,
    customer_views,
    i18n,
    organizations,
    people_views,
    staff_views,
)
from .sources import DemoDocuments, DemoKpis

__all__ = ["create_app"]

HERE = Path(__file__).parent


def create_app(
    database_url: str = "sqlite:///portalkit-demo.db",
    *,
    secret_key: str | None = None,
    mailer: Any = None,
    demo: bool = True,
    config: Mapping[str, Any] | None = None,
    hash_lock: str | None = None,
    hash_niceness: int | None = None,
) -> Flask:
    """Build the example portal.

    Args:
        database_url: Where the portal keeps its data (``memory://`` works too).
        secret_key: Signs sessions, tokens and links (at least 32 bytes); a
            random one (sessions end at restart) when None.
        mailer: Sends invitation, reset and registration emails (printed to the
            console when None).
        demo: Create the schema and load the demo data set.
        config: Extra Flask settings (``TESTING``, ``PORTALKIT_*`` ...).
        hash_lock: A lock file shared by the server's worker processes: at
            most one Argon2id computation (sign-in) runs at a time, so
            sign-ins never take every core from the pages (see
            :mod:`examples.flask_app.hashing`). None (the default) runs them
            side by side.
        hash_niceness: Run password hashing on one low-priority thread per
            worker process, its nice value raised by this much (1 to 19;
            :class:`~portalkit.adapters.hashing_pool.LowPriorityHasher`): pages
            get the CPU first and sign-ins take what is left. None (the
            default) hashes on the request's thread at its priority.
    """
    key = secret_key or os.environ.get("PORTALKIT_SECRET_KEY") or secrets.token_urlsafe(48)
    if mailer is None:
        from portalkit.adapters.mail import ConsoleMailer  # noqa: PLC0415

        mailer = ConsoleMailer()
    hasher = _hasher(hash_lock, hash_niceness)
    portal = Portal.from_url(
        database_url,
        secret_key=key,
        config=PortalConfig(default_tenant=DEMO_TENANT, hasher=hasher, mailer=mailer),
        document_source=DemoDocuments(),
        kpi_source=DemoKpis(),
    )
    if demo:
        portal.upgrade()
        load_demo(portal)
    app = Flask(
        __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static")
    )
    app.config.update(
        SECRET_KEY=key,
        PORTALKIT_TENANT=DEMO_TENANT,
        PORTALKIT_LOGIN_VIEW="auth.login",
        PORTALKIT_ERROR_TEMPLATE="error.html",
    )
    app.config.update(config or {})
    pk.init_app(app, portal=portal)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(customer_views.bp)
    app.register_blueprint(action_pages.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(organizations.bp)
    app.register_blueprint(people_views.bp)
    i18n.install(app)
    app.add_url_rule("/brand.css", "brand_css", _brand_css)
    app.context_processor(_layout_context)
    app.jinja_env.filters["money"] = _money
    app.add_template_global(_page_url, "page_url")
    return app


def _hasher(lock: str | None, niceness: int | None) -> PasswordHasher | None:
    """Argon2id, one at a time across workers (*lock*) and/or on a low-priority thread."""
    if not lock and niceness is None:
        return None  # the Portal's default Argon2idHasher
    from portalkit.adapters.crypto import Argon2idHasher  # noqa: PLC0415

    hasher: PasswordHasher = Argon2idHasher()
    if lock:
        from .hashing import OneAtATimeHasher  # noqa: PLC0415

        hasher = OneAtATimeHasher(hasher, lock)
    if niceness is not None:
        from portalkit.adapters.hashing_pool import LowPriorityHasher  # noqa: PLC0415

        hasher = LowPriorityHasher(hasher, niceness=niceness)
    return hasher


#: The menu: (endpoint, url arguments, label, the permission that shows it).
#: Labels are English; the layout shows them in the user's language. A guest
#: sees only the entries of :data:`_GUEST_MENU`: every visitor is the same guest,
#: so a list (my assets) would show one customer's fleet to the next visitor.
_NAV: tuple[tuple[str, dict[str, str], str, str], ...] = (
    ("customer.my_assets", {}, "My assets", perms.ASSET_VIEW),
    ("customer.jobs", {}, "Jobs", perms.JOB_VIEW),
    ("actions.service_requests", {}, "Service requests", perms.SERVICE_REQUEST_EDIT),
    ("actions.appointments", {}, "Appointments", perms.APPOINTMENT_VIEW),
    ("actions.meters", {}, "Meter readings", perms.METER_READING_EDIT),
    ("customer.documents", {"kind": "quotes"}, "Quotes", perms.QUOTE_VIEW),
    ("customer.documents", {"kind": "invoices"}, "Invoices", perms.INVOICE_VIEW),
    ("customer.documents", {"kind": "reports"}, "Reports", perms.REPORT_VIEW),
    ("customer.account", {}, "Account", perms.ACCOUNT_SUMMARY_VIEW),
    ("customer.messages", {}, "Messages", perms.MESSAGE_VIEW),
    ("staff.invitations", {}, "Invitations", perms.INVITATION_SEND),
    ("people.people", {}, "People", perms.PEOPLE_MANAGE),
)
_GUEST_MENU = frozenset({perms.SERVICE_REQUEST_EDIT})


def _money(cents: int | None, currency: str | None = "USD") -> str:
    if cents is None:
        return "-"
    return f"{cents / 100:,.2f} {currency or ''}".strip()


def _page_url(cursor: str) -> str:
    """This page's address with its search kept and *cursor* for the next page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
    args.update(request.view_args or {}, cursor=cursor)
    return url_for(request.endpoint or "customer.home", **args)


_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}")


def _brand_css() -> Response:
    """The tenant's colour as a stylesheet: the CSP allows no inline style."""
    colour = pk.request_from().tenant.settings.primary_color
    if not _COLOUR.fullmatch(colour):  # never let tenant text write CSS
        colour = TenantSettings().primary_color
    return Response(f":root {{ --brand: {colour}; }}\n", mimetype="text/css")


def _layout_context() -> dict[str, Any]:
    """Branding and the signed-in user for every template."""
    req = pk.request_from()
    tenant, user = req.tenant, req.user
    unread = 0
    nav: list[tuple[str, dict[str, str], str]] = []
    if not req.must_sign_in:
        principal, policy = req.principal, req.policy
        nav = [
            (endpoint, args, label) for endpoint, args, label, permission in _NAV
            if (user is not None or permission in _GUEST_MENU)
            and policy.granted_paths(principal, permission)
        ]
        if user is not None:  # one COUNT, with the request's policy
            unread = req.messages.unread_count()
    return {
        "nav": nav,
        "brand": tenant.settings,
        "tenant": tenant,
        "current_user": user,
        "is_guest": not req.must_sign_in and user is None,
        "unread": unread,
        "organizations": organizations.choices() if user is not None else [],
        "organization": req.organization if user is not None else None,
    }
