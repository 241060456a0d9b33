"""One :class:`~portalkit.PortalRequest` per Flask request, sign-in and the view guards."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from flask import Response, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from portalkit import PortalRequest
from portalkit.contrib.flask._pages import handle_portalkit_error
from portalkit.contrib.flask._state import (
    ORGANIZATION_KEY,
    SESSION_KEY,
    F,
    SignInResult,
    portal_from,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, User
from portalkit.domain.tenants import Tenant
from portalkit.errors import PermissionDeniedError, PortalkitError
from portalkit.web import client_address, safe_next


# The request (portal.request, one per HTTP request) ----------------------------
def request_from() -> PortalRequest:
    """This HTTP request's :class:`~portalkit.PortalRequest`, opened on first use.

    Everything portalkit does for the request runs in its one unit of work,
    committed after the view returns a response (rolled back when the view
    raised, even if an error page was shown). The organization chosen with
    :func:`switch_organization` is applied again while it is still the user's.
    """
    current: PortalRequest | None = g.get("_portalkit_request")
    if current is None:
        credential = session.get(SESSION_KEY)
        current = portal_from().request(
            current_app.config["PORTALKIT_TENANT"],
            session=credential if isinstance(credential, str) else None,
            client=client_address(
                request.remote_addr,
                request.headers.get("X-Forwarded-For"),
                current_app.config["PORTALKIT_TRUSTED_PROXIES"],
            ),
            user_agent=request.user_agent.string or None,
        )
        current.__enter__()
        g._portalkit_request = current
        _narrow(current)
    return current


def _narrow(current: PortalRequest) -> None:
    """Apply the organization the user chose (:func:`switch_organization`), if still theirs."""
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


def finish_request(response: Response) -> Response:
    """End this HTTP request's PortalRequest after the view (an ``after_request``) and keep
    its session value in the cookie (or remove a bad one)."""
    current: PortalRequest | None = g.pop("_portalkit_request", None)
    if current is None:
        return response
    failed = g.pop("_portalkit_failed", None)
    try:
        current.__exit__(type(failed) if failed else None, failed, None)
    except PortalkitError as error:  # the commit failed: the view's answer is not true
        response = handle_portalkit_error(error)
    if current.new_session is not None:
        if session.get(SESSION_KEY) != current.new_session:  # login() already started it
            session.pop(ORGANIZATION_KEY, None)
            session[SESSION_KEY] = current.new_session
            session.permanent = True
    elif current.clear_session:
        session.pop(SESSION_KEY, None)
        session.pop(ORGANIZATION_KEY, None)
    return response


def teardown(exc: BaseException | None) -> None:
    """Roll back a PortalRequest still open after an unhandled exception."""
    current: PortalRequest | None = g.pop("_portalkit_request", None)
    if current is not None:  # an unhandled exception: nothing of the request is kept
        error = exc or RuntimeError("request ended without a response")
        current.__exit__(type(error), error, None)


def tenant_from() -> Tenant:
    """The tenant this app serves (``PORTALKIT_TENANT``), read once per request."""
    return request_from().tenant


def client_key_from() -> str:
    """The client key of this request (for throttling and audit)."""
    return request_from().client_key or "ip:unknown"


def principal_from() -> Principal | None:
    """Who this request runs as.

    The signed-in user; else the guest principal when the tenant requires no
    login; else None.
    """
    current = request_from()
    return None if current.must_sign_in else current.principal


def user_from() -> User | None:
    """The signed-in user of this request, or None (guests have none)."""
    return request_from().user


def policy_from() -> Policy:
    """The compiled access policy of this request's principal, loaded once.

    Without a principal it is the guest's policy, which allows nothing when a
    login is required.
    """
    return request_from().policy


# Sign-in and sign-out -----------------------------------------------------
def start_session_value(value: str) -> None:
    """Keep a session value in a fresh Flask session.

    The old session's data (and its CSRF secret) is dropped, so a session
    fixed by an attacker before sign-in is worthless after it.
    """
    session.clear()
    session[SESSION_KEY] = value
    session.permanent = True


def start_session(sign_in: SignInResult) -> None:
    """Keep a successful sign-in's session value (``sign_in.session``) in a fresh session."""
    start_session_value(sign_in.session)


def login(identifier: str, password: str) -> SignInResult:
    """Sign in with a login name, email or phone and a password.

    Returns the identity service's ``SignIn`` after starting the session.

    Raises:
        AuthenticationError: the one answer for every wrong combination.
        ThrottledError: too many failures.
    """
    result = request_from().sign_in(identifier, password)
    start_session_value(result.session)
    return result


def logout() -> None:
    """End this browser's session, on the server too."""
    request_from().sign_out()
    session.clear()


def logout_everywhere() -> None:
    """End every session of the signed-in user (all browsers), then this one."""
    current = request_from()
    if current.signed_in:
        current.sign_out_everywhere()
    logout()


def switch_organization(organization: int | None) -> None:
    """Narrow this and the session's next requests to one organization (None: all of them).

    The choice is kept in Flask's session and applied again on each request
    while it is one of ``request_from().organizations()``; signing in or out
    forgets it.

    Raises:
        PermissionDeniedError: not one of the signed-in user's organizations.
    """
    request_from().switch_organization(organization)
    if organization is None:
        session.pop(ORGANIZATION_KEY, None)
    else:
        session[ORGANIZATION_KEY] = organization


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
    """Mark a token page (invitation, reset, download link): never cached, no referrer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        g._portalkit_token_page = True
        return view(*args, **kwargs)

    return cast(F, wrapper)
