"""One :class:`portalkit.PortalRequest` per Django request: ``request.portalkit``.

Add :class:`PortalMiddleware` after Django's ``SessionMiddleware``::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        ...,
        "portalkit.contrib.django.middleware.PortalMiddleware",
    ]

Each request gets:

- ``request.portalkit`` (also :func:`portal_request`): the request's
  :class:`~portalkit.PortalRequest`, opened on first use with the tenant of
  ``PORTALKIT["TENANT"]``, the session value kept in Django's session, the
  client address (``X-Forwarded-For`` believed only from
  ``PORTALKIT["TRUSTED_PROXIES"]``), the user agent, the language of Django's
  ``LocaleMiddleware`` (when it comes first) and the organization chosen with
  :func:`~portalkit.contrib.django.auth.switch_organization`. Everything
  portalkit does for the request runs in its one unit of work, committed after the view
  returns and rolled back when the view raised (even when an error page was
  shown);
- ``request.portal``: the process's :class:`~portalkit.Portal`;
- ``request.principal``: who the request runs as (lazy): the signed-in user,
  else the tenant's guest.

Any :class:`~portalkit.errors.PortalkitError` a view raises becomes the
response of :func:`~portalkit.contrib.django.errors.error_response`; Django's
405 and a body over ``PORTALKIT["MAX_CONTENT_LENGTH"]`` get the same pages as
in Flask, and every response the security headers of
:func:`portalkit.web.security_headers` (see :mod:`~portalkit.contrib.django.security`).
Nothing here decides access: every decision is a service call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from portalkit import PortalRequest
from portalkit.contrib.django.conf import get_config, get_portal
from portalkit.contrib.django.errors import error_response, status_response
from portalkit.contrib.django.security import finish_response, refuse_too_large
from portalkit.errors import ConfigurationError, PermissionDeniedError, PortalkitError
from portalkit.web import client_address

__all__ = ["ORGANIZATION_KEY", "SESSION_KEY", "PortalMiddleware", "PortalRequest", "portal_request"]

#: Where the session value lives in Django's session.
SESSION_KEY = "_portalkit_session"
#: The organization a user with several chose (see ``auth.switch_organization``).
ORGANIZATION_KEY = "_portalkit_organization"
_OPEN = "_portalkit_open"
_FAILED = "_portalkit_failed"


def portal_request(request: HttpRequest) -> PortalRequest:
    """The request's :class:`~portalkit.PortalRequest`, opened on first use."""
    current = request.__dict__.get(_OPEN)
    if isinstance(current, PortalRequest):
        return current
    session = getattr(request, "session", None)
    if session is None:
        raise ConfigurationError(
            "PortalMiddleware needs django.contrib.sessions' SessionMiddleware before it."
        )
    config = get_config()
    meta = request.META
    credential = session.get(SESSION_KEY)
    current = get_portal().request(
        config.tenant,
        session=credential if isinstance(credential, str) else None,
        client=client_address(
            meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), config.trusted_proxies
        ),
        user_agent=meta.get("HTTP_USER_AGENT") or None,
        locale=getattr(request, "LANGUAGE_CODE", None) or None,
    )
    current.__enter__()
    request.__dict__[_OPEN] = current
    _narrow(current, session)
    return current


def _narrow(current: PortalRequest, session: Any) -> None:
    """Apply the organization the user chose (``auth.switch_organization``), if still theirs."""
    chosen = session.get(ORGANIZATION_KEY)
    if not isinstance(chosen, int):
        return
    if current.signed_in:
        try:
            current.switch_organization(chosen)
            return
        except PermissionDeniedError:  # no longer one of theirs: show all of them again
            pass
    session.pop(ORGANIZATION_KEY, None)


def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    current = request.__dict__.pop(_OPEN, None)
    if not isinstance(current, PortalRequest):
        return response
    failed = request.__dict__.pop(_FAILED, None)
    try:
        current.__exit__(type(failed) if failed else None, failed, None)
    except PortalkitError as error:  # the commit failed: the view's answer is not true
        response = error_response(request, error)
    session = request.session
    if current.new_session is not None:
        if session.get(SESSION_KEY) != current.new_session:  # auth.login already started it
            session[SESSION_KEY] = current.new_session
    elif current.clear_session:
        session.pop(SESSION_KEY, None)
    return response


def _attach(request: HttpRequest) -> None:
    lazy = SimpleLazyObject(lambda: portal_request(request))
    setattr(request, "portalkit", lazy)  # noqa: B010 (HttpRequest declares no such attribute)
    setattr(request, "portal", SimpleLazyObject(get_portal))  # noqa: B010
    setattr(request, "principal", SimpleLazyObject(lambda: portal_request(request).principal))  # noqa: B010


class PortalMiddleware:
    """One portal request per Django request; portalkit errors become their pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config = get_config()
        _attach(request)
        response: HttpResponse | None = None
        try:
            response = refuse_too_large(request, config) or self.get_response(request)
            session = getattr(request, "session", None)
            signed_in = session is not None and SESSION_KEY in session
            # Rendering the 405 page may read the portal too: before the request ends.
            response = finish_response(request, response, config, authenticated=signed_in)
        except BaseException as exc:
            request.__dict__.setdefault(_FAILED, exc)
            raise
        finally:
            if response is not None:
                response = _finish(request, response)
            else:
                _finish(request, HttpResponse(status=500))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        """A view's exception rolls the request back; a portalkit error becomes its page."""
        request.__dict__[_FAILED] = exception
        if isinstance(exception, PortalkitError):
            return error_response(request, exception)
        if isinstance(exception, RequestDataTooBig):
            return status_response(request, 413)
        return None
