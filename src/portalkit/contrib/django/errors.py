"""The one mapping from portalkit errors to HTTP responses in Django.

Every :class:`~portalkit.errors.PortalkitError` becomes a 400/401/403/404/409/
429/503 page that shows only the customer-safe message; "not yours" and "not
there" give the same 404 page, and a 403 or 404 never echoes anything.
:class:`~portalkit.contrib.django.middleware.PortalMiddleware` applies it to
every view (``process_exception``); :func:`error_response` is there for views
that catch an error themselves.
"""

from __future__ import annotations

import html
import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from portalkit.contrib.django.conf import get_config
from portalkit.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
    StorageError,
    ThrottledError,
)

__all__ = ["error_response", "error_status"]

logger = logging.getLogger("portalkit.contrib.django")

_TITLES = {
    400: "The request could not be processed",
    401: "Please sign in",
    403: "You do not have access to this page",
    404: "Page not found",
    409: "This has changed in the meantime",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "The portal is unavailable",
}
_GENERIC = {
    400: "Check what you entered and try again.",
    401: "Sign in to continue.",
    403: "Ask your administrator if you need access.",
    404: "The page you asked for does not exist or is not available to you.",
    409: "Reload the page and try again.",
    429: "Wait a moment and try again.",
    500: "Please try again later.",
    503: "Please try again in a few minutes.",
}
_STATUS: tuple[tuple[type[PortalkitError], int], ...] = (
    (InvalidInputError, 400),
    (InvalidTokenError, 400),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ThrottledError, 429),
    (StorageError, 503),
)


def error_status(error: PortalkitError) -> int:
    """The HTTP status for a portalkit error (the one mapping of this integration)."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def _message(status: int, error: PortalkitError) -> str:
    # 403 and 404 never echo anything: one page for "not there" and "not yours".
    if status in (400, 409, 429) and error.message:
        return error.message
    return _GENERIC.get(status, _GENERIC[500])


def error_response(request: HttpRequest, error: PortalkitError) -> HttpResponse:
    """The response for *error*: the status, a safe message, never cached.

    With ``PORTALKIT["ERROR_TEMPLATE"]`` the page is that template rendered
    with ``status``, ``title`` and ``message``; otherwise a minimal built-in page.
    """
    status = error_status(error)
    if status >= 500:
        logger.error("portalkit error %s", error.code, exc_info=error)
    title = _TITLES.get(status, _TITLES[500])
    message = _message(status, error)
    template = get_config().error_template
    body: str
    if template:
        body = render_to_string(
            template, {"status": status, "title": title, "message": message}, request=request
        )
    else:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(message)}</p><p><a href='/'>Home</a></p></html>"
        )
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    if isinstance(error, ThrottledError) and error.retry_after is not None:
        response["Retry-After"] = str(max(1, int(error.retry_after)))
    return response
