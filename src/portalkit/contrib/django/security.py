"""Django's side of :mod:`portalkit.web`: security headers, 405 and 413 pages.

:class:`~portalkit.contrib.django.middleware.PortalMiddleware` calls
:func:`refuse_too_large` before the view and :func:`finish_response` after
it; :func:`~portalkit.contrib.django.decorators.sensitive` marks token pages.
CSRF stays Django's own ``CsrfViewMiddleware``: every Django site already runs
it (the admin needs it), it reads ``{% csrf_token %}`` and checks ``Origin``;
a second token scheme next to it would only add a way to get it wrong.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.contrib.django.errors import status_response
from portalkit.web import body_too_large, security_headers

__all__ = ["finish_response", "is_token_page", "mark_token_page", "refuse_too_large"]

_SENSITIVE_MARK = "_portalkit_token_page"


def mark_token_page(request: HttpRequest) -> None:
    """Mark *request* as a token page: never cached, no referrer."""
    setattr(request, _SENSITIVE_MARK, True)


def is_token_page(request: HttpRequest) -> bool:
    """Whether :func:`mark_token_page` marked *request*."""
    return bool(getattr(request, _SENSITIVE_MARK, False))


def refuse_too_large(request: HttpRequest, config: DjangoPortalConfig) -> HttpResponse | None:
    """The 413 page when the body is over ``PORTALKIT["MAX_CONTENT_LENGTH"]``, else None."""
    if body_too_large(request.META.get("CONTENT_LENGTH"), config.max_content_length):
        return status_response(request, 413)
    return None


def finish_response(
    request: HttpRequest,
    response: HttpResponse,
    config: DjangoPortalConfig,
    *,
    authenticated: bool,
) -> HttpResponse:
    """Django's bare 405 as the portal's 405 page, then the default security headers.

    Headers the view set itself win (``never_cache``, a host's own policy).
    """
    if isinstance(response, HttpResponseNotAllowed):
        allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
        response = status_response(request, 405, allowed_methods=allowed)
    headers = security_headers(
        authenticated=authenticated,
        token_page=is_token_page(request),
        content_security_policy=config.content_security_policy,
    )
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response
