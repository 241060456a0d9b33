"""Flask integration: one :class:`~portalkit.Portal` per app, thin and alike.

::

    from flask import Flask
    from portalkit import Portal, PortalRequest
    from portalkit.contrib import flask as pk

    app = Flask(__name__)
    app.secret_key = "..."
    pk.init_app(app, portal=Portal.from_url("sqlite:///portal.db", secret_key="..."))

    @app.get("/jobs")
    @pk.require(perms.JOB_VIEW)
    def jobs():
        page = pk.portal_from().jobs.list(pk.principal_from(), policy=pk.policy_from())
        ...

What the extension does:

- stores its state in ``app.extensions["portalkit"]`` and reads ``PORTALKIT_*``
  settings (defaults set with ``setdefault``);
- per request: the tenant, the principal (from the session credential through
  the identity service; the guest principal when the tenant requires no
  login), the client key and the policy, each loaded once and dropped at
  teardown;
- :func:`login` / :func:`logout` keep the session credential in Flask's
  session and start a fresh session on sign-in;
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

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import attrs
from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from portalkit import Portal, PortalRequest
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, User
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    ConfigurationError,
    PermissionDeniedError,
    PortalkitError,
)
from portalkit.web import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    DEFAULT_MAX_CONTENT_LENGTH,
    ErrorPage,
    client_address,
    error_page,
    error_status,
    is_safe_next,
    new_session_secret,
    safe_next,
    security_headers,
    status_page,
)

__all__ = [
    "EXTENSION_KEY",
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
    "tenant_from",
    "user_from",
]

#: The key of the extension's state in ``app.extensions``.
EXTENSION_KEY = "portalkit"
#: Where the session credential lives in Flask's session.
SESSION_KEY = "_portalkit_session"
#: Where the session's CSRF secret lives in Flask's session.
CSRF_SESSION_KEY = "_portalkit_csrf"
#: The form field, then the headers, a state-changing request carries its CSRF token in.
CSRF_FIELD = "csrf_token"
_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

class SignInResult(Protocol):
    """What a successful sign-in gives (the identity service's ``SignIn``)."""

    @property
    def principal(self) -> Principal:
        """Who signed in."""
        ...

    @property
    def user(self) -> User:
        """The signed-in user."""
        ...

    @property
    def session(self) -> str:
        """The session credential."""
        ...


@attrs.define
class _State:
    """Per-app state kept in ``app.extensions["portalkit"]``."""

    portal: Portal


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
      ``status``, ``title`` and ``message`` (default: a built-in page).

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
    # Flask pre-fills these keys with permissive values, so setdefault cannot work.
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    if not cfg.get("SESSION_COOKIE_SAMESITE"):
        cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    if cfg["PORTALKIT_SECURE_COOKIES"]:
        cfg["SESSION_COOKIE_SECURE"] = True
    if cfg.get("MAX_CONTENT_LENGTH") is None:
        cfg["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_CONTENT_LENGTH
    app.extensions[EXTENSION_KEY] = _State(portal)
    if "csrf" not in app.extensions:  # the host's own Flask-WTF CSRFProtect wins
        app.add_template_global(csrf_token)
        if cfg["PORTALKIT_CSRF"]:
            app.before_request(_check_csrf)
    app.after_request(_add_security_headers)
    app.after_request(_finish_request)  # runs first: headers see the final session
    app.register_error_handler(PortalkitError, _handle_portalkit_error)
    handled = app.error_handler_spec.get(None, {})
    for status in (400, 403, 404, 405, 413, 429):
        if not handled.get(status):  # the host's own error pages win
            app.register_error_handler(status, _handle_http_error)
    app.teardown_request(_teardown)


# The request (portal.request, one per HTTP request) ----------------------------
def _state() -> _State:
    state = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, _State):
        raise ConfigurationError("portalkit is not set up on this app: call init_app().")
    return state


def portal_from() -> Portal:
    """The app's :class:`~portalkit.Portal`."""
    return _state().portal


def request_from() -> PortalRequest:
    """This HTTP request's :class:`~portalkit.PortalRequest`, opened on first use.

    Everything portalkit does for the request runs in its one unit of work,
    committed after the view returns a response (rolled back when the view
    raised, even if an error page was shown).
    """
    current: PortalRequest | None = g.get("_portalkit_request")
    if current is None:
        credential = session.get(SESSION_KEY)
        current = portal_from().request(
            current_app.config["PORTALKIT_TENANT"],
            session=credential if isinstance(credential, str) else None,
            client=client_address(
                request.remote_addr,
                request.headers.get("X-Forwarded-For"),
                current_app.config["PORTALKIT_TRUSTED_PROXIES"],
            ),
            user_agent=request.user_agent.string or None,
        )
        current.__enter__()
        g._portalkit_request = current
    return current


def _finish_request(response: Response) -> Response:
    current: PortalRequest | None = g.pop("_portalkit_request", None)
    if current is None:
        return response
    failed = g.pop("_portalkit_failed", None)
    try:
        current.__exit__(type(failed) if failed else None, failed, None)
    except PortalkitError as error:  # the commit failed: the view's answer is not true
        response = _handle_portalkit_error(error)
    if current.new_session is not None:
        if session.get(SESSION_KEY) != current.new_session:  # login() already started it
            session[SESSION_KEY] = current.new_session
            session.permanent = True
    elif current.clear_session:
        session.pop(SESSION_KEY, None)
    return response


def _teardown(exc: BaseException | None) -> None:
    current: PortalRequest | None = g.pop("_portalkit_request", None)
    if current is not None:  # an unhandled exception: nothing of the request is kept
        error = exc or RuntimeError("request ended without a response")
        current.__exit__(type(error), error, None)


def tenant_from() -> Tenant:
    """The tenant this app serves (``PORTALKIT_TENANT``), read once per request."""
    return request_from().tenant


def client_key_from() -> str:
    """The client key of this request (for throttling and audit)."""
    return request_from().client_key or "ip:unknown"


def principal_from() -> Principal | None:
    """Who this request runs as.

    The signed-in user; else the guest principal when the tenant requires no
    login; else None.
    """
    current = request_from()
    return None if current.must_sign_in else current.principal


def user_from() -> User | None:
    """The signed-in user of this request, or None (guests have none)."""
    return request_from().user


def policy_from() -> Policy:
    """The compiled access policy of this request's principal, loaded once.

    Without a principal it is the guest's policy, which allows nothing when a
    login is required.
    """
    return request_from().policy


# Sign-in and sign-out -----------------------------------------------------
def start_session_value(value: str) -> None:
    """Keep a session value in a fresh Flask session.

    The old session's data (and its CSRF secret) is dropped, so a session
    fixed by an attacker before sign-in is worthless after it.
    """
    session.clear()
    session[SESSION_KEY] = value
    session.permanent = True


def start_session(sign_in: SignInResult) -> None:
    """Keep a successful sign-in's session value (``sign_in.session``) in a fresh session."""
    start_session_value(sign_in.session)


def login(identifier: str, password: str) -> SignInResult:
    """Sign in with a login name, email or phone and a password.

    Returns the identity service's ``SignIn`` after starting the session.

    Raises:
        AuthenticationError: the one answer for every wrong combination.
        ThrottledError: too many failures.
    """
    result = request_from().sign_in(identifier, password)
    start_session_value(result.session)
    return result


def logout() -> None:
    """End this browser's session, on the server too."""
    request_from().sign_out()
    session.clear()


def logout_everywhere() -> None:
    """End every session of the signed-in user (all browsers), then this one."""
    current = request_from()
    if current.signed_in:
        current.sign_out_everywhere()
    logout()


# Decorators ----------------------------------------------------------------
def require(permission: str | None = None) -> Callable[[F], F]:
    """Guard a view: a principal must exist, and hold *permission* somewhere.

    Anonymous visitors go to the sign-in page (``PORTALKIT_LOGIN_VIEW``) with
    a safe ``next``. Where the permission applies is the services' business:
    they filter and check each record. Whether it is held at all is asked of
    the policy (``granted_paths``); none gives 403.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            principal = principal_from()
            if principal is None:
                target = request.full_path if request.query_string else request.path
                return redirect(
                    url_for(current_app.config["PORTALKIT_LOGIN_VIEW"], next=safe_next(target))
                )
            if permission is not None and not policy_from().granted_paths(
                principal, permission
            ):
                raise PermissionDeniedError("You do not have access to this page.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def sensitive(view: F) -> F:
    """Mark a token page (invitation, reset, download link): never cached, no referrer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        g._portalkit_token_page = True
        return view(*args, **kwargs)

    return cast(F, wrapper)


# CSRF and security headers (the rules are portalkit.web's) ---------------------
def csrf_token() -> str:
    """A CSRF token for a form of this session (the ``csrf_token()`` template global)."""
    secret = session.get(CSRF_SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        secret = session[CSRF_SESSION_KEY] = new_session_secret()
    return portal_from().csrf.issue(secret)


def _check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    token = request.form.get(CSRF_FIELD)
    for header in _CSRF_HEADERS:
        token = token or request.headers.get(header)
    # InvalidTokenError: the one error mapping answers 400.
    portal_from().csrf.verify(session.get(CSRF_SESSION_KEY), token)


def _add_security_headers(response: Response) -> Response:
    static = request.endpoint == "static"
    headers = security_headers(
        authenticated=not static and SESSION_KEY in session,
        token_page=bool(g.get("_portalkit_token_page")),
        content_security_policy=current_app.config["PORTALKIT_CONTENT_SECURITY_POLICY"],
    )
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


# The one error mapping (portalkit.web's table) ----------------------------------
def _page(page: ErrorPage) -> Response:
    template = current_app.config.get("PORTALKIT_ERROR_TEMPLATE")
    if template:
        from flask import render_template  # noqa: PLC0415

        body = render_template(
            template, status=page.status, title=page.title, message=page.message
        )
    else:
        body = page.html()
    response = Response(body, status=page.status, mimetype="text/html")
    response.headers.update(page.headers)
    return response


def _handle_portalkit_error(error: PortalkitError) -> Response:
    g._portalkit_failed = error  # the request's writes are rolled back
    if error_status(error) >= 500:
        current_app.logger.error("portalkit error %s", error.code, exc_info=error)
    return _page(error_page(error))


def _handle_http_error(error: HTTPException) -> Response:
    g._portalkit_failed = error
    allowed = getattr(error, "valid_methods", None) or ()
    return _page(status_page(error.code or 500, allowed_methods=allowed))
