"""Flask integration: one :class:`~portalkit.Portal` per app, thin and alike.

::

    from flask import Flask
    from portalkit import Portal, perms
    from portalkit.contrib import flask as pk

    app = Flask(__name__)
    app.secret_key = "..."
    pk.init_app(app, portal=Portal.from_url("sqlite:///portal.db", secret_key="..."))

    @app.get("/jobs")
    @pk.require(perms.JOB_VIEW)
    def jobs():
        page = pk.request_from().jobs.list()       # this HTTP request's PortalRequest
        ...

What the extension does:

- stores its state in ``app.extensions["portalkit"]`` and reads ``PORTALKIT_*``
  settings (defaults set with ``setdefault``);
- per HTTP request one :class:`~portalkit.PortalRequest` (:func:`request_from`),
  opened on first use: the tenant and the session checked in one read, the
  policy loaded once, the client address behind trusted proxies; its one unit
  of work commits after the view answered and rolls back when the view
  raised (even behind an error page);
- :func:`login` / :func:`logout` keep the session value in Flask's session,
  start a fresh session on sign-in and end it on the server on sign-out;
- :func:`switch_organization` keeps a user's choice among their
  organizations in the session and narrows every later request to it;
- one error mapping (:mod:`portalkit.web`'s table): every
  :class:`~portalkit.errors.PortalkitError`, and Flask's own 400/403/404/405/
  413/429, becomes a page that shows only the customer-safe message, and "not
  yours" and "not there" give the same 404 page;
- secure defaults: HttpOnly and SameSite=Lax session cookies (Secure with
  ``PORTALKIT_SECURE_COOKIES``), a request size limit, a CSRF token on every
  form (:class:`portalkit.web.CsrfTokens`, bound to the session), the security
  headers of :func:`portalkit.web.security_headers` on every response
  (:func:`sensitive` marks token pages), and :func:`safe_next` for redirects
  after sign-in.

It decides nothing itself: every access decision is a service call, and the
web rules are :mod:`portalkit.web`'s, shared with the Django integration.
"""

from __future__ import annotations

from flask import Flask

from portalkit import Portal
from portalkit.contrib.flask._pages import (
    add_security_headers,
    check_csrf,
    csrf_token,
    handle_http_error,
    handle_portalkit_error,
)
from portalkit.contrib.flask._request import (
    client_key_from,
    finish_request,
    login,
    logout,
    logout_everywhere,
    policy_from,
    principal_from,
    request_from,
    require,
    sensitive,
    start_session,
    start_session_value,
    switch_organization,
    teardown,
    tenant_from,
    user_from,
)
from portalkit.contrib.flask._state import (
    CSRF_FIELD,
    CSRF_SESSION_KEY,
    EXTENSION_KEY,
    ORGANIZATION_KEY,
    SESSION_KEY,
    SignInResult,
    _State,
    portal_from,
)
from portalkit.errors import ConfigurationError, PortalkitError
from portalkit.web import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    DEFAULT_MAX_CONTENT_LENGTH,
    error_status,
    is_safe_next,
    safe_next,
)

__all__ = [
    "CSRF_FIELD",
    "CSRF_SESSION_KEY",
    "EXTENSION_KEY",
    "ORGANIZATION_KEY",
    "SESSION_KEY",
    "PortalFlask",
    "SignInResult",
    "client_key_from",
    "csrf_token",
    "error_status",
    "init_app",
    "is_safe_next",
    "login",
    "logout",
    "logout_everywhere",
    "policy_from",
    "portal_from",
    "principal_from",
    "request_from",
    "require",
    "safe_next",
    "sensitive",
    "start_session",
    "start_session_value",
    "switch_organization",
    "tenant_from",
    "user_from",
]

class PortalFlask:
    """The Flask extension (``PortalFlask(app, portal=...)`` or ``init_app`` later).

    It stores no app: one instance may serve several apps (app factories).
    """

    def __init__(self, app: Flask | None = None, *, portal: Portal | None = None) -> None:
        self._portal = portal
        if app is not None:
            self.init_app(app, portal=portal)

    def init_app(self, app: Flask, *, portal: Portal | None = None) -> None:
        """Attach *portal* (or the one given to the constructor) to *app*."""
        init_app(app, portal=portal or self._portal)


def init_app(app: Flask, *, portal: Portal | None) -> None:
    """Attach *portal* to *app*: settings, secure defaults, CSRF, error pages.

    Settings (all optional, set before the first request):

    - ``PORTALKIT_TENANT``: the tenant slug this app serves (default: the
      portal's default tenant);
    - ``PORTALKIT_LOGIN_VIEW``: the endpoint of the sign-in page that
      :func:`require` sends anonymous visitors to (default ``"login"``);
    - ``PORTALKIT_TRUSTED_PROXIES``: proxy addresses whose ``X-Forwarded-For``
      is believed for throttling and audit (default none);
    - ``PORTALKIT_SECURE_COOKIES``: mark the session cookie Secure (default
      False so the demo runs on http://127.0.0.1; set True in production);
    - ``PORTALKIT_CSRF``: check a CSRF token on every POST/PUT/PATCH/DELETE
      (default True; off when the app already has Flask-WTF's CSRFProtect);
    - ``PORTALKIT_CONTENT_SECURITY_POLICY``: the ``Content-Security-Policy``
      of every response (default :data:`portalkit.web.DEFAULT_CONTENT_SECURITY_POLICY`;
      ``""`` sends none);
    - ``PORTALKIT_ERROR_TEMPLATE``: a template rendered for error pages with
      ``status``, ``title`` and ``message`` (default: a built-in page);
    - ``PORTALKIT_CHECK_ON_START``: check at once that the database is
      reachable and migrated and that the tenant exists (default True; turn
      it off only for an app that creates its tenant after ``init_app``).

    Raises:
        ConfigurationError: No portal, or (with ``PORTALKIT_CHECK_ON_START``)
            :meth:`Portal.problems <portalkit.Portal.problems>` found
            something; the message says how to fix it.

    The session cookie is re-signed on a response only when its data changed
    (``SESSION_REFRESH_EACH_REQUEST`` off), unless ``PERMANENT_SESSION_LIFETIME``
    is shorter than the portal's absolute session timeout: the session record
    on the server is what expires a session.

    Error pages for Flask's own 400/403/404/405/413/429 are registered only
    where the app has none yet. Security headers a view sets itself win.
    """
    if portal is None:
        raise ConfigurationError("init_app needs portal=Portal.from_url(...).")
    cfg = app.config
    cfg.setdefault("PORTALKIT_TENANT", None)
    cfg.setdefault("PORTALKIT_LOGIN_VIEW", "login")
    cfg.setdefault("PORTALKIT_TRUSTED_PROXIES", ())
    cfg.setdefault("PORTALKIT_SECURE_COOKIES", False)
    cfg.setdefault("PORTALKIT_CSRF", True)
    cfg.setdefault("PORTALKIT_CONTENT_SECURITY_POLICY", DEFAULT_CONTENT_SECURITY_POLICY)
    cfg.setdefault("PORTALKIT_ERROR_TEMPLATE", None)
    cfg.setdefault("PORTALKIT_CHECK_ON_START", True)
    if cfg["PORTALKIT_CHECK_ON_START"]:
        portal.check_ready(cfg["PORTALKIT_TENANT"])
    # Flask pre-fills these keys with permissive values, so setdefault cannot work.
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    if not cfg.get("SESSION_COOKIE_SAMESITE"):
        cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    if cfg["PORTALKIT_SECURE_COOKIES"]:
        cfg["SESSION_COOKIE_SECURE"] = True
    # The session record on the server ends the session (idle and absolute
    # timeouts); a cookie that outlives it needs no re-signing on every
    # response, which would cost each read-only page a new Set-Cookie.
    if app.permanent_session_lifetime >= portal.config.identity.session_absolute_timeout:
        cfg["SESSION_REFRESH_EACH_REQUEST"] = False
    if cfg.get("MAX_CONTENT_LENGTH") is None:
        cfg["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_CONTENT_LENGTH
    app.extensions[EXTENSION_KEY] = _State(portal)
    if "csrf" not in app.extensions:  # the host's own Flask-WTF CSRFProtect wins
        app.add_template_global(csrf_token)
        if cfg["PORTALKIT_CSRF"]:
            app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.after_request(finish_request)  # runs first: headers see the final session
    app.register_error_handler(PortalkitError, handle_portalkit_error)
    handled = app.error_handler_spec.get(None, {})
    for status in (400, 403, 404, 405, 413, 429):
        if not handled.get(status):  # the host's own error pages win
            app.register_error_handler(status, handle_http_error)
    app.teardown_request(teardown)
