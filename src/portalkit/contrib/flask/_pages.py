"""CSRF, security headers and error pages: the rules are :mod:`portalkit.web`'s."""

from __future__ import annotations

from flask import Response, current_app, g, request, session
from werkzeug.exceptions import HTTPException

from portalkit.contrib.flask._state import (
    _CSRF_HEADERS,
    _UNSAFE_METHODS,
    CSRF_FIELD,
    CSRF_SESSION_KEY,
    SESSION_KEY,
    portal_from,
)
from portalkit.errors import PortalkitError
from portalkit.web import (
    ErrorPage,
    error_page,
    error_status,
    new_session_secret,
    security_headers,
    status_page,
)


# CSRF and security headers (the rules are portalkit.web's) ---------------------
def csrf_token() -> str:
    """A CSRF token for a form of this session (the ``csrf_token()`` template global)."""
    secret = session.get(CSRF_SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        secret = session[CSRF_SESSION_KEY] = new_session_secret()
    return portal_from().csrf.issue(secret)


def check_csrf() -> None:
    """Refuse a state-changing request without this session's CSRF token (a ``before_request``)."""
    if request.method not in _UNSAFE_METHODS:
        return
    token = request.form.get(CSRF_FIELD)
    for header in _CSRF_HEADERS:
        token = token or request.headers.get(header)
    # InvalidTokenError: the one error mapping answers 400.
    portal_from().csrf.verify(session.get(CSRF_SESSION_KEY), token)


def add_security_headers(response: Response) -> Response:
    """Add :func:`portalkit.web.security_headers` (an ``after_request``; the view's own win)."""
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


def handle_portalkit_error(error: PortalkitError) -> Response:
    """The error page of a portalkit error; the request's writes are rolled back."""
    g._portalkit_failed = error  # the request's writes are rolled back
    if error_status(error) >= 500:
        current_app.logger.error("portalkit error %s", error.code, exc_info=error)
    return _page(error_page(error))


def handle_http_error(error: HTTPException) -> Response:
    """The page of Flask's own 400/403/404/405/413/429; the request's writes are rolled back."""
    g._portalkit_failed = error
    allowed = getattr(error, "valid_methods", None) or ()
    return _page(status_page(error.code or 500, allowed_methods=allowed))
