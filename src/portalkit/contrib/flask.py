"""Flask integration: one :class:`~portalkit.Portal` per app, thin and alike.

::

    from flask import Flask
    from portalkit import Portal
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
- one error mapping: every :class:`~portalkit.errors.PortalkitError` becomes a
  400/401/403/404/409/429/503 page that shows only the customer-safe message,
  and "not yours" and "not there" give the same 404 page;
- secure defaults: HttpOnly and SameSite=Lax session cookies (Secure with
  ``PORTALKIT_SECURE_COOKIES``), a request size limit, CSRF protection on
  every form (Flask-WTF's ``CSRFProtect``), :func:`sensitive` for token and
  account pages (``Cache-Control: no-store``, ``Referrer-Policy: no-referrer``)
  and :func:`safe_next` for redirects after sign-in.

It decides nothing itself: every access decision is a service call.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import attrs
from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from portalkit import Portal
from portalkit.contrib._urls import is_safe_next, safe_next
from portalkit.domain.identity import client_key
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
    StorageError,
    ThrottledError,
)

__all__ = [
    "EXTENSION_KEY",
    "PortalFlask",
    "SignInResult",
    "client_key_from",
    "error_status",
    "init_app",
    "is_safe_next",
    "login",
    "logout",
    "logout_everywhere",
    "policy_from",
    "portal_from",
    "principal_from",
    "require",
    "safe_next",
    "sensitive",
    "start_session",
    "tenant_from",
    "user_from",
]

#: The key of the extension's state in ``app.extensions``.
EXTENSION_KEY = "portalkit"
#: Where the session credential lives in Flask's session.
SESSION_KEY = "_portalkit_session"
#: Default request size limit (bytes) when the app sets none.
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

_TITLES = {
    400: "The request could not be processed",
    401: "Please sign in",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Method not allowed",
    409: "This has changed in the meantime",
    413: "The request is too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "The portal is unavailable",
}
_GENERIC = {
    400: "Check what you entered and try again.",
    401: "Sign in to continue.",
    403: "Ask your administrator if you need access.",
    404: "The page you asked for does not exist or is not available to you.",
    405: "This address does not accept this kind of request.",
    409: "Reload the page and try again.",
    413: "The data sent was larger than this portal accepts.",
    429: "Wait a moment and try again.",
    500: "Please try again later.",
    503: "Please try again in a few minutes.",
}


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
    - ``PORTALKIT_CSRF``: enable Flask-WTF's CSRFProtect (default True);
    - ``PORTALKIT_ERROR_TEMPLATE``: a template rendered for error pages with
      ``status``, ``title`` and ``message`` (default: a built-in page).

    Error pages for Flask's own 400/403/404/405/413/429 are registered only
    where the app has none yet.
    """
    if portal is None:
        raise ConfigurationError("init_app needs portal=Portal.from_url(...).")
    cfg = app.config
    cfg.setdefault("PORTALKIT_TENANT", None)
    cfg.setdefault("PORTALKIT_LOGIN_VIEW", "login")
    cfg.setdefault("PORTALKIT_TRUSTED_PROXIES", ())
    cfg.setdefault("PORTALKIT_SECURE_COOKIES", False)
    cfg.setdefault("PORTALKIT_CSRF", True)
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
    if cfg["PORTALKIT_CSRF"] and "csrf" not in app.extensions:
        from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]  # noqa: PLC0415

        CSRFProtect(app)
    app.register_error_handler(PortalkitError, _handle_portalkit_error)
    handled = app.error_handler_spec.get(None, {})
    for status in (400, 403, 404, 405, 413, 429):
        if not handled.get(status):  # the host's own error pages win
            app.register_error_handler(status, _handle_http_error)
    app.teardown_appcontext(_teardown)


# Per-request accessors ------------------------------------------------------
def _state() -> _State:
    state = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, _State):
        raise ConfigurationError("portalkit is not set up on this app: call init_app().")
    return state


def _cache() -> dict[str, Any]:
    cache: dict[str, Any] | None = g.get("_portalkit")
    if cache is None:
        cache = {}
        g._portalkit = cache
    return cache


def _teardown(_exc: BaseException | None) -> None:
    g.pop("_portalkit", None)


def portal_from() -> Portal:
    """The app's :class:`~portalkit.Portal`."""
    return _state().portal


def tenant_from() -> Tenant:
    """The tenant this app serves, read once per request."""
    cache = _cache()
    if "tenant" not in cache:
        cache["tenant"] = portal_from().tenant(current_app.config["PORTALKIT_TENANT"])
    return cast(Tenant, cache["tenant"])


def client_key_from() -> str:
    """The client key of this request (for throttling and audit)."""
    cache = _cache()
    if "client_key" not in cache:
        cache["client_key"] = client_key(
            request.remote_addr,
            request.headers.get("X-Forwarded-For"),
            current_app.config["PORTALKIT_TRUSTED_PROXIES"],
        )
    return cast(str, cache["client_key"])


def _authenticate() -> tuple[Principal | None, User | None]:
    cache = _cache()
    if "principal" not in cache:
        principal: Principal | None = None
        user: User | None = None
        credential = session.get(SESSION_KEY)
        tenant = tenant_from()
        if isinstance(credential, str):
            identity = portal_from().identity
            try:
                info = identity.authenticate(tenant, credential)
            except (InvalidTokenError, AuthenticationError, NotFoundError):
                session.pop(SESSION_KEY, None)
            else:
                principal, user = info.principal, info.user
                if info.touch_due:
                    identity.touch(tenant, info.session_id)
        if principal is None and not tenant.settings.login_required:
            principal = portal_from().guest(tenant.slug)
        cache["principal"], cache["user"] = principal, user
    return cache["principal"], cache["user"]


def principal_from() -> Principal | None:
    """Who this request runs as.

    The signed-in user (the session token's record is checked on the server
    on every request); else the guest principal when the tenant
    requires no login; else None.
    """
    return _authenticate()[0]


def user_from() -> User | None:
    """The signed-in user of this request, or None (guests have none)."""
    return _authenticate()[1]


def policy_from() -> Policy:
    """The compiled access policy of this request's principal, loaded once.

    Pass it as ``policy=`` to services that accept one. Without a principal
    it is the guest's policy, which allows nothing when a login is required.
    """
    cache = _cache()
    if "policy" not in cache:
        principal = principal_from() or Principal(
            tenant_id=tenant_from().id, kind=PrincipalKind.GUEST
        )
        cache["policy"] = portal_from().policy.policy_for(principal)
    return cast(Policy, cache["policy"])


# Sign-in and sign-out -----------------------------------------------------
def start_session(sign_in: SignInResult) -> None:
    """Keep a successful sign-in's credential in a fresh Flask session.

    The old session's data (and its CSRF token) is dropped, so a session
    fixed by an attacker before sign-in is worthless after it.
    """
    session.clear()
    session[SESSION_KEY] = sign_in.session
    session.permanent = True
    _cache().clear()


def login(identifier: str, password: str) -> SignInResult:
    """Sign in with a login name, email or phone and a password.

    Returns the identity service's ``SignIn`` after starting the session.

    Raises:
        AuthenticationError: the one answer for every wrong combination.
        ThrottledError: too many failures.
    """
    result = portal_from().identity.login(
        tenant_from(), identifier, password, client_key=client_key_from(),
        user_agent=request.headers.get("User-Agent"),
    )
    start_session(result)
    return result


def logout() -> None:
    """End this browser's session, on the server too (a copy of the cookie stops working)."""
    credential = session.get(SESSION_KEY)
    if isinstance(credential, str):
        portal_from().identity.sign_out(tenant_from(), credential, client_key=client_key_from())
    session.clear()
    _cache().clear()


def logout_everywhere() -> None:
    """End every session of the signed-in user (all browsers), then this one."""
    user = user_from()
    if user is not None:
        portal_from().identity.sign_out_everywhere(
            tenant_from(), user.id, client_key=client_key_from()
        )
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
    """Mark a token or account page: never cached, never sent as a referrer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = current_app.make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return cast(F, wrapper)


# The one error mapping ------------------------------------------------------
def error_status(error: PortalkitError) -> int:
    """The HTTP status for a portalkit error (the one mapping of this integration)."""
    checks: tuple[tuple[type[PortalkitError], int], ...] = (
        (InvalidInputError, 400),
        (InvalidTokenError, 400),
        (AuthenticationError, 401),
        (PermissionDeniedError, 403),
        (NotFoundError, 404),
        (ConflictError, 409),
        (ThrottledError, 429),
        (StorageError, 503),
    )
    for kind, status in checks:
        if isinstance(error, kind):
            return status
    return 500


def _message(status: int, error: PortalkitError | None) -> str:
    # 404 and 403 never echo anything: one page for "not there" and "not yours".
    if error is not None and status in (400, 409, 429) and error.message:
        return error.message
    return _GENERIC.get(status, _GENERIC[500])


def _page(status: int, message: str) -> Response:
    title = _TITLES.get(status, _TITLES[500])
    template = current_app.config.get("PORTALKIT_ERROR_TEMPLATE")
    if template:
        from flask import render_template  # noqa: PLC0415

        body = render_template(template, status=status, title=title, message=message)
    else:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(message)}</p><p><a href='/'>Home</a></p></html>"
        )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _handle_portalkit_error(error: PortalkitError) -> Response:
    status = error_status(error)
    if status >= 500:
        current_app.logger.error("portalkit error %s", error.code, exc_info=error)
    response = _page(status, _message(status, error))
    if isinstance(error, ThrottledError) and error.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, int(error.retry_after)))
    return response


def _handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    response = _page(status, _GENERIC.get(status, _GENERIC[500]))
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response
