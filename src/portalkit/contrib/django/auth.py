"""Sign-in and sign-out of portal users, kept in Django's session.

Portal customers are portalkit users, never Django users: there is no custom
user model and ``django.contrib.auth`` stays for the project's staff (admin).
The identity service checks passwords, throttles and keeps the session
record (found by the hash of an opaque token, bound to the user's security
stamp); this module only keeps the token in ``request.session``, cycles the
session key on sign-in, so a session fixed by an attacker before sign-in is
worthless after it, and ends the portal session on the server at sign-out.
"""

from __future__ import annotations

from django.http import HttpRequest

from portalkit import SignIn
from portalkit.contrib.django.middleware import ORGANIZATION_KEY, SESSION_KEY, portal_request

__all__ = ["login", "logout", "logout_everywhere", "start_session", "switch_organization"]


def start_session(request: HttpRequest, sign_in: SignIn) -> None:
    """Keep a successful sign-in's credential in a fresh session (new key, new CSRF token)."""
    from django.middleware.csrf import rotate_token  # noqa: PLC0415

    request.session.cycle_key()
    request.session.pop(ORGANIZATION_KEY, None)
    request.session[SESSION_KEY] = sign_in.session
    rotate_token(request)


def login(request: HttpRequest, identifier: str, password: str) -> SignIn:
    """Sign in with a login name, email or phone and a password, and start the session.

    Raises:
        AuthenticationError: the one answer for every wrong combination.
        ThrottledError: too many failures.
    """
    result = portal_request(request).sign_in(identifier, password)
    start_session(request, result)
    return result


def logout(request: HttpRequest) -> None:
    """End this browser's session, on the server too (all of its data, and its key)."""
    portal_request(request).sign_out()
    request.session.flush()


def logout_everywhere(request: HttpRequest) -> None:
    """End every session of the signed-in user (all browsers), then this one."""
    state = portal_request(request)
    if state.signed_in:
        state.sign_out_everywhere()
    logout(request)


def switch_organization(request: HttpRequest, organization: int | None) -> None:
    """Narrow this and the session's next requests to one organization (None: all of them).

    Raises:
        PermissionDeniedError: not one of the signed-in user's organizations.
    """
    portal_request(request).switch_organization(organization)
    if organization is None:
        request.session.pop(ORGANIZATION_KEY, None)
    else:
        request.session[ORGANIZATION_KEY] = organization
