"""Guard function views: ``@require(perms.JOB_VIEW)``; mark token pages: ``@sensitive``.

Anonymous visitors go to the sign-in page (``PORTALKIT["LOGIN_URL"]``, else
``settings.LOGIN_URL``) with a safe ``next``. A principal without the
permission anywhere gets the 403 page. Where the permission applies is the
services' business: they filter and check each record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from portalkit.contrib.django.conf import get_config
from portalkit.contrib.django.errors import error_response
from portalkit.contrib.django.middleware import portal_request
from portalkit.contrib.django.security import mark_token_page
from portalkit.errors import PermissionDeniedError
from portalkit.web import safe_next

__all__ = ["check_access", "require", "sensitive"]

V = TypeVar("V", bound=Callable[..., HttpResponse])


def check_access(request: HttpRequest, permission: str | None) -> HttpResponse | None:
    """The response that stops *request* (sign-in redirect or 403), or None to go on."""
    state = portal_request(request)
    if state.must_sign_in:
        target = safe_next(request.get_full_path())
        return HttpResponseRedirect(f"{get_config().login_url}?{urlencode({'next': target})}")
    if permission is not None and not state.policy.granted_paths(state.principal, permission):
        return error_response(request, PermissionDeniedError())
    return None


def require(permission: str | None = None) -> Callable[[V], V]:
    """A view decorator: a principal must exist and hold *permission* somewhere."""

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            stop = check_access(request, permission)
            if stop is not None:
                return stop
            return view(request, *args, **kwargs)

        return cast(V, wrapper)

    return decorate


def sensitive(view: V) -> V:
    """Mark a token page (download link, a token in the address): never cached, no referrer.

    Not for pages with a form: under ``Referrer-Policy: no-referrer`` browsers
    post ``Origin: null``, which Django's CSRF check refuses; use
    ``never_cache`` there.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        mark_token_page(request)
        return view(request, *args, **kwargs)

    return cast(V, wrapper)
