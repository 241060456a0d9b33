"""Per-request portal state: ``request.portal``, ``request.principal``, ``request.portalkit``.

Add :class:`PortalMiddleware` after Django's ``SessionMiddleware``::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        ...,
        "portalkit.contrib.django.middleware.PortalMiddleware",
    ]

Each request gets:

- ``request.portal``: the process's :class:`~portalkit.Portal`;
- ``request.portalkit``: a :class:`PortalRequest` whose tenant, signed-in
  user, principal, client key and policy are each loaded once, on first use;
- ``request.principal``: who the request runs as (lazy). The signed-in user;
  else the tenant's guest when it requires no login; else a guest principal
  that is granted nothing (``request.portalkit.principal`` is None then).

Any :class:`~portalkit.errors.PortalkitError` a view raises becomes the
response of :func:`~portalkit.contrib.django.errors.error_response`.
Nothing here decides access: every decision is a service call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from portalkit import Portal
from portalkit.contrib.django.conf import DjangoPortalConfig, get_config, get_portal
from portalkit.contrib.django.errors import error_response
from portalkit.domain.identity import client_key
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidTokenError,
    NotFoundError,
    PortalkitError,
)

__all__ = ["SESSION_KEY", "PortalMiddleware", "PortalRequest", "portal_request"]

#: Where the session credential lives in Django's session.
SESSION_KEY = "_portalkit_session"


class PortalRequest:
    """The portal's view of one request; each part is loaded once, on first use."""

    def __init__(self, request: HttpRequest, portal: Portal, config: DjangoPortalConfig) -> None:
        self.request = request
        self.portal = portal
        self.config = config

    @functools.cached_property
    def tenant(self) -> Tenant:
        """The tenant this site serves (``PORTALKIT["TENANT"]``)."""
        return self.portal.tenant(self.config.tenant)

    @functools.cached_property
    def client_key(self) -> str:
        """The client key of this request (for throttling and audit)."""
        meta = self.request.META
        return client_key(
            meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), self.config.trusted_proxies
        )

    @functools.cached_property
    def _session(self) -> tuple[Principal | None, User | None]:
        principal: Principal | None = None
        user: User | None = None
        session = getattr(self.request, "session", None)
        if session is None:
            raise ConfigurationError(
                "PortalMiddleware needs django.contrib.sessions' SessionMiddleware before it."
            )
        credential = session.get(SESSION_KEY)
        tenant = self.tenant
        if isinstance(credential, str):
            identity = self.portal.identity
            try:
                info = identity.authenticate(tenant, credential)
            except (InvalidTokenError, AuthenticationError, NotFoundError):
                session.pop(SESSION_KEY, None)
            else:
                principal, user = info.principal, info.user
                if info.touch_due:
                    identity.touch(tenant, info.session_id)
        if principal is None and not tenant.settings.login_required:
            principal = Principal(tenant_id=tenant.id, kind=PrincipalKind.GUEST)
        return principal, user

    @property
    def principal(self) -> Principal | None:
        """The signed-in user's principal, the guest's when no login is required, or None."""
        return self._session[0]

    @property
    def user(self) -> User | None:
        """The signed-in portal user, or None (guests have none)."""
        return self._session[1]

    @property
    def signed_in(self) -> bool:
        """Whether a portal user is signed in on this request."""
        return self.user is not None

    @property
    def effective_principal(self) -> Principal:
        """:attr:`principal`, or a guest granted nothing when there is none."""
        return self.principal or Principal(tenant_id=self.tenant.id, kind=PrincipalKind.GUEST)

    @functools.cached_property
    def policy(self) -> Policy:
        """The compiled access policy of this request's principal, loaded once."""
        return self.portal.policy.policy_for(self.effective_principal)

    def forget(self) -> None:
        """Drop what was loaded (after sign-in or sign-out)."""
        for name in ("_session", "policy"):
            self.__dict__.pop(name, None)


def portal_request(request: HttpRequest) -> PortalRequest:
    """The request's :class:`PortalRequest` (made here if the middleware is missing)."""
    state = getattr(request, "portalkit", None)
    if not isinstance(state, PortalRequest):
        state = PortalRequest(request, get_portal(), get_config())
        _attach(request, state)
    return state


def _attach(request: HttpRequest, state: PortalRequest) -> None:
    setattr(request, "portalkit", state)  # noqa: B010 (HttpRequest declares no such attribute)
    setattr(request, "portal", state.portal)  # noqa: B010
    setattr(request, "principal", SimpleLazyObject(lambda: state.effective_principal))  # noqa: B010


class PortalMiddleware:
    """Attach the portal state to each request and map portalkit errors to responses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _attach(request, PortalRequest(request, get_portal(), get_config()))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        """A portalkit error from a view becomes its error page; others pass on."""
        if isinstance(exception, PortalkitError):
            return error_response(request, exception)
        return None
