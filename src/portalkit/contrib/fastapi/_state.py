"""The FastAPI integration's per-app settings and per-request notes, and their names."""

from __future__ import annotations

import attrs
from starlette.requests import Request

from portalkit import Portal
from portalkit.errors import ConfigurationError

#: The cookie that carries a browser's session value (HttpOnly, SameSite=Lax).
SESSION_COOKIE = "portalkit_session"
#: The header a cookie session's state-changing request carries its CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: The header that narrows a request to one of the user's organizations (its id).
ORGANIZATION_HEADER = "Portal-Organization"
#: The methods whose requests change something (a cookie session's need a CSRF token).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Where the app keeps its settings and each request its notes.
SCOPE_KEY = "portalkit"


@attrs.frozen
class Settings:
    """What :func:`~portalkit.contrib.fastapi.install` was given, kept on ``app.state``."""

    portal: Portal
    tenant: str | None
    trusted_proxies: tuple[str, ...]
    secure_cookies: bool
    content_security_policy: str
    max_body: int


@attrs.define
class Exchange:
    """What the request dependency tells the middleware about the answer."""

    authenticated: bool = False
    token_page: bool = False
    bearer: bool = False
    set_session: str | None = None
    clear_session: bool = False


def settings_of(request: Request) -> Settings:
    """The settings of the request's app; ConfigurationError before ``install``."""
    settings = getattr(request.app.state, SCOPE_KEY, None)
    if not isinstance(settings, Settings):
        raise ConfigurationError("portalkit is not set up on this app: call install().")
    return settings


def exchange_of(request: Request) -> Exchange:
    """The request's notes for the middleware (a fresh one outside the middleware)."""
    found = request.scope.get(SCOPE_KEY)
    if not isinstance(found, Exchange):
        found = request.scope[SCOPE_KEY] = Exchange()
    return found


