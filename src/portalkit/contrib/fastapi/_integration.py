"""One :class:`~portalkit.PortalRequest` per FastAPI request, the session, CSRF and headers."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from portalkit import Portal, PortalRequest
from portalkit.contrib.fastapi._middleware import PortalMiddleware
from portalkit.contrib.fastapi._problems import (
    on_http_error,
    on_portalkit_error,
    on_unexpected_error,
    on_validation_error,
)
from portalkit.contrib.fastapi._state import (
    CSRF_HEADER,
    ORGANIZATION_HEADER,
    SCOPE_KEY,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    Settings,
    exchange_of,
    settings_of,
)
from portalkit.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
)
from portalkit.locale import Msg
from portalkit.web import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    DEFAULT_MAX_CONTENT_LENGTH,
    client_address,
)


def _organization(header: str | None) -> int | None:
    if header is None:
        return None
    try:
        return int(header)
    except ValueError as exc:
        raise InvalidInputError.for_field(ORGANIZATION_HEADER, Msg("field.not_an_id")) from exc


def _start(req: PortalRequest, organization: int | None) -> None:
    """Enter *req* and narrow it to *organization* (a thread-pool worker's job: it reads)."""
    req.__enter__()
    if organization is None:
        return
    try:
        try:
            req.switch_organization(organization)
        except PermissionDeniedError as exc:  # not theirs: the answer of one that does not exist
            raise NotFoundError from exc
    except BaseException as exc:
        req.__exit__(type(exc), exc, exc.__traceback__)
        raise


_BEARER = HTTPBearer(auto_error=False, description="A session value from POST /tokens")
_COOKIE = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="The session from POST /session"
)
Organization = Annotated[
    str | None,
    Header(alias=ORGANIZATION_HEADER, description="Narrow the request to this organization"),
]


def portal_from(request: Request) -> Portal:
    """The portal :func:`install` attached to the request's app."""
    return settings_of(request).portal


def csrf_token(request: Request, req: PortalRequest) -> str | None:
    """A CSRF token for the session of *req* (None when signed out).

    A cookie session's POST/PUT/PATCH/DELETE sends it as ``X-CSRF-Token``; it
    is bound to the session (a new sign-in needs a new one).
    """
    binding = req.session_binding
    return None if binding is None else portal_from(request).csrf.issue(binding)


# The dependency -----------------------------------------------------------------
async def portal_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
    cookie: Annotated[str | None, Security(_COOKIE)] = None,
    organization_header: Organization = None,
) -> AsyncIterator[PortalRequest]:
    """This HTTP request's :class:`~portalkit.PortalRequest` (a FastAPI dependency).

    The session comes from ``Authorization: Bearer <value>`` or else the
    session cookie. A bearer value that is not a live session is a 401; a bad
    cookie is the guest (and the cookie is cleared). A cookie session's
    POST/PUT/PATCH/DELETE needs the ``X-CSRF-Token`` header. A
    ``Portal-Organization: <id>`` header narrows the request to one of the
    user's organizations (another id is the 404 of a missing record). The request's one
    unit of work commits after the endpoint returned and before the answer is
    sent; an exception rolls everything back. The database work runs in
    FastAPI's thread pool, never on the event loop.
    """
    settings, exchange = settings_of(request), exchange_of(request)
    organization = _organization(organization_header)
    bearer = credentials.credentials.strip() or None if credentials is not None else None
    value = bearer if bearer is not None else cookie
    exchange.bearer = exchange.bearer or bearer is not None
    peer = request.client.host if request.client else None
    req = settings.portal.request(
        settings.tenant,
        session=value or None,
        client=client_address(
            peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies
        ),
        user_agent=request.headers.get("user-agent"),
    )
    # The request finds its unit of work through a context variable. A
    # thread-pool worker's changes to the context are lost, so the ones made
    # entering are carried back into this task, which every sync endpoint and
    # dependency of the request copies its context from.
    entered = contextvars.copy_context()
    await run_in_threadpool(entered.run, _start, req, organization)
    now = contextvars.copy_context()
    tokens = [var.set(val) for var, val in entered.items() if var not in now or now[var] is not val]
    committed = False
    try:
        try:
            if bearer is not None and req.clear_session:
                raise AuthenticationError("Sign in to continue.")
            if bearer is None and request.method in UNSAFE_METHODS and req.signed_in:
                settings.portal.csrf.verify(req.session_binding, request.headers.get(CSRF_HEADER))
            yield req
        except BaseException as exc:
            await run_in_threadpool(req.__exit__, type(exc), exc, exc.__traceback__)
            raise
        await run_in_threadpool(req.__exit__, None, None, None)  # the commit
        committed = True
    finally:
        for token in reversed(tokens):
            token.var.reset(token)
        # A session started by a request that failed was rolled back: no cookie for it.
        started = req.new_session if committed else None
        exchange.authenticated = value is not None or started is not None
        if not exchange.bearer:
            exchange.set_session = started
            exchange.clear_session = req.clear_session and started is None


#: ``req: PortalRequestDep`` in an endpoint's parameters gives the request's PortalRequest.
PortalRequestDep = Annotated[PortalRequest, Depends(portal_request, scope="function")]


def install(
    app: FastAPI,
    portal: Portal,
    *,
    tenant: str | None = None,
    trusted_proxies: Iterable[str] = (),
    secure_cookies: bool = False,
    content_security_policy: str = DEFAULT_CONTENT_SECURITY_POLICY,
    max_body: int = DEFAULT_MAX_CONTENT_LENGTH,
    check_on_start: bool = True,
) -> None:
    """Attach *portal* to *app*: the request dependency, problem answers, headers, limits.

    Args:
        app: The host's FastAPI app.
        portal: The portal it serves.
        tenant: The tenant slug (the portal's default tenant when None).
        trusted_proxies: Proxies whose ``X-Forwarded-For`` is believed.
        secure_cookies: Mark the session cookie ``Secure`` (set it in production).
        content_security_policy: The ``Content-Security-Policy`` of every answer.
        max_body: The largest request body accepted (413 above it).
        check_on_start: Check now that the database is reachable and migrated
            and that the tenant exists.

    Raises:
        ConfigurationError: :meth:`Portal.problems <portalkit.Portal.problems>`
            found something (with *check_on_start*).
    """
    if check_on_start:
        portal.check_ready(tenant)
    settings = Settings(
        portal=portal,
        tenant=tenant,
        trusted_proxies=tuple(trusted_proxies),
        secure_cookies=secure_cookies,
        content_security_policy=content_security_policy,
        max_body=max_body,
    )
    setattr(app.state, SCOPE_KEY, settings)
    app.add_middleware(PortalMiddleware, settings=settings)
    handlers: dict[Any, Any] = {
        PortalkitError: on_portalkit_error,
        HTTPException: on_http_error,
        RequestValidationError: on_validation_error,
        Exception: on_unexpected_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
