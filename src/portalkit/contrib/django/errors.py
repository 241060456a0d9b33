"""Error pages in Django: :mod:`portalkit.web`'s one table, rendered.

Every :class:`~portalkit.errors.PortalkitError` becomes the page of
:func:`portalkit.web.error_page` (status, customer-safe message, never
cached); "not yours" and "not there" give the same 404 page, and a 403 or 404
never echoes anything. :class:`~portalkit.contrib.django.middleware.PortalMiddleware`
applies it to every view (``process_exception``) and answers Django's 405
and an over-large request (413) with :func:`status_response`;
:func:`error_response` is there for views that catch an error themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from portalkit.contrib.django.conf import get_config
from portalkit.errors import InvalidTokenError, PortalkitError
from portalkit.web import ErrorPage, error_page, error_status, status_page

__all__ = ["csrf_failure", "error_response", "error_status", "status_response"]

logger = logging.getLogger("portalkit.contrib.django")


def _render(request: HttpRequest, page: ErrorPage) -> HttpResponse:
    template = get_config().error_template
    context = {"status": page.status, "title": page.title, "message": page.message}
    body = render_to_string(template, context, request=request) if template else page.html()
    response = HttpResponse(body, status=page.status, content_type="text/html; charset=utf-8")
    for name, value in page.headers.items():
        response[name] = value
    return response


def error_response(request: HttpRequest, error: PortalkitError) -> HttpResponse:
    """The response for *error*: the status, a safe message, never cached.

    With ``PORTALKIT["ERROR_TEMPLATE"]`` the page is that template rendered
    with ``status``, ``title`` and ``message``; otherwise a minimal built-in page.
    """
    if error_status(error) >= 500:
        logger.error("portalkit error %s", error.code, exc_info=error)
    return _render(request, error_page(error))


def status_response(
    request: HttpRequest, status: int, *, allowed_methods: Iterable[str] = ()
) -> HttpResponse:
    """The page for an HTTP error Django answers itself (405, 413 ...), as Flask's."""
    return _render(request, status_page(status, allowed_methods=allowed_methods))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A ``CSRF_FAILURE_VIEW``: the 400 page a refused form gets in Flask too."""
    logger.warning("CSRF check failed: %s", reason)
    refused = InvalidTokenError("This form could not be accepted. Reload the page and try again.")
    return error_response(request, refused)
