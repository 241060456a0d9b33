"""The Flask integration's per-app state and names shared by its modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import attrs
from flask import current_app
from flask.typing import ResponseReturnValue

from portalkit import Portal
from portalkit.domain.principals import Principal, User
from portalkit.errors import ConfigurationError

#: The key of the extension's state in ``app.extensions``.
EXTENSION_KEY = "portalkit"
#: Where the session credential lives in Flask's session.
SESSION_KEY = "_portalkit_session"
#: The organization a user with several chose (see ``switch_organization``).
ORGANIZATION_KEY = "_portalkit_organization"
#: Where the session's CSRF secret lives in Flask's session.
CSRF_SESSION_KEY = "_portalkit_csrf"
#: The form field, then the headers, a state-changing request carries its CSRF token in.
CSRF_FIELD = "csrf_token"
_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

class SignInResult(Protocol):
    """What a successful sign-in gives (the identity service's ``SignIn``)."""

    @property
    def principal(self) -> Principal:
        """Who signed in."""
        ...

    @property
    def user(self) -> User:
        """The signed-in user."""
        ...

    @property
    def session(self) -> str:
        """The session credential."""
        ...


@attrs.define
class _State:
    """Per-app state kept in ``app.extensions["portalkit"]``."""

    portal: Portal


def _state() -> _State:
    state = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, _State):
        raise ConfigurationError("portalkit is not set up on this app: call init_app().")
    return state


def portal_from() -> Portal:
    """The app's :class:`~portalkit.Portal`."""
    return _state().portal
