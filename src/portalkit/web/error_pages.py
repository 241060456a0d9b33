"""The one table from errors to HTTP answers: status, title, customer-safe message.

Every class in :mod:`portalkit.errors` has its status here; an error class a
host derives from one of them gets its parent's. Statuses the web frameworks
raise themselves (405 for a method a page does not accept, 413 for a body over
the size limit) share the same titles and messages, so an integration answers
them with the same page.

Only 400, 409 and 429 pages show the error's own message (it says what to fix
or how long to wait). Every other page shows the generic text of its status:
a 403 or 404 never echoes anything, so a record of another customer ("not
yours") and a record that does not exist ("not there") give the same 404 page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from portalkit.errors import (
    AlreadyUsedError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DatabaseUnavailableError,
    DuplicateKeyError,
    InvalidInputError,
    InvalidRowError,
    InvalidTokenError,
    MailDeliveryError,
    NotFoundError,
    PermissionDeniedError,
    PortalClosedError,
    PortalkitError,
    ReauthenticationRequired,
    SchemaOutdatedError,
    ScopeCycleError,
    SecondFactorRequired,
    StorageError,
    ThrottledError,
    TokenExpiredError,
    UnknownPermissionError,
    UnknownScopeError,
)

__all__ = [
    "ERROR_STATUS",
    "GENERIC_MESSAGES",
    "STATUS_TITLES",
    "ErrorPage",
    "error_page",
    "error_status",
    "status_page",
]

#: The HTTP status of every portalkit error class.
ERROR_STATUS: Mapping[type[PortalkitError], int] = MappingProxyType(
    {
        PortalkitError: 500,
        ConfigurationError: 500,
        UnknownPermissionError: 500,
        InvalidInputError: 400,
        InvalidRowError: 400,
        DuplicateKeyError: 400,
        ScopeCycleError: 400,
        InvalidTokenError: 400,
        TokenExpiredError: 400,
        AuthenticationError: 401,
        # A host that does not handle the second step yet must not sign anyone in.
        SecondFactorRequired: 401,
        ReauthenticationRequired: 401,
        PermissionDeniedError: 403,
        PortalClosedError: 403,
        NotFoundError: 404,
        UnknownScopeError: 404,
        ConflictError: 409,
        AlreadyUsedError: 409,
        ThrottledError: 429,
        StorageError: 503,
        DatabaseUnavailableError: 503,
        SchemaOutdatedError: 503,
        # The mail server is another service that is down or refusing for now.
        MailDeliveryError: 503,
    }
)

#: The heading of the page for each status an integration answers with.
STATUS_TITLES: Mapping[int, str] = MappingProxyType(
    {
        400: "The request could not be processed",
        401: "Please sign in",
        403: "You do not have access to this page",
        404: "Page not found",
        405: "Method not allowed",
        409: "This has changed in the meantime",
        413: "The request is too large",
        429: "Too many attempts",
        500: "Something went wrong",
        503: "The portal is unavailable",
    }
)

#: The customer-safe text shown for each status when the error's own is not.
GENERIC_MESSAGES: Mapping[int, str] = MappingProxyType(
    {
        400: "Check what you entered and try again.",
        401: "Sign in to continue.",
        403: "Ask your administrator if you need access.",
        404: "The page you asked for does not exist or is not available to you.",
        405: "This address does not accept this kind of request.",
        409: "Reload the page and try again.",
        413: "The data sent was larger than this portal accepts.",
        429: "Wait a moment and try again.",
        500: "Please try again later.",
        503: "Please try again in a few minutes.",
    }
)

#: Statuses whose page shows the error's own message (what to fix, how long to wait).
_ECHOED = frozenset({400, 409, 429})


@attrs.frozen
class ErrorPage:
    """What to answer for an error: status, title, message and extra headers.

    Attributes:
        status: The HTTP status.
        title: The page heading (``STATUS_TITLES``).
        message: Customer-safe text: the error's own for 400/409/429, else generic.
        headers: ``Cache-Control: no-store`` always; ``Retry-After`` for a
            throttled request; ``Allow`` for a 405 that names its methods.
    """

    status: int
    title: str
    message: str
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def html(self) -> str:
        """A minimal stand-alone page, for integrations without an error template."""
        title, message = html.escape(self.title), html.escape(self.message)
        return (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{title}</title><h1>{title}</h1>"
            f"<p>{message}</p><p><a href='/'>Home</a></p></html>"
        )


def error_status(error: PortalkitError) -> int:
    """The HTTP status of *error* (of its nearest class in :data:`ERROR_STATUS`)."""
    for cls in type(error).__mro__:
        status = ERROR_STATUS.get(cls)
        if status is not None:
            return status
    return 500


def _page(status: int, message: str, headers: dict[str, str]) -> ErrorPage:
    known = status if status in STATUS_TITLES else 500
    return ErrorPage(
        status=status,
        title=STATUS_TITLES[known],
        message=message,
        headers={"Cache-Control": "no-store", **headers},
    )


def error_page(error: PortalkitError) -> ErrorPage:
    """The page for *error*: its status, a customer-safe message, never cached."""
    status = error_status(error)
    if status in _ECHOED and error.message:
        message = error.message
    else:
        message = GENERIC_MESSAGES.get(status, GENERIC_MESSAGES[500])
    headers = {}
    if isinstance(error, ThrottledError):
        headers["Retry-After"] = str(max(1, int(error.retry_after)))
    return _page(status, message, headers)


def status_page(status: int, *, allowed_methods: Iterable[str] = ()) -> ErrorPage:
    """The page for an HTTP error the framework raised itself (400, 404, 405, 413 ...).

    *allowed_methods* becomes the ``Allow`` header of a 405.
    """
    headers = {}
    allowed = ", ".join(allowed_methods)
    if status == 405 and allowed:
        headers["Allow"] = allowed
    return _page(status, GENERIC_MESSAGES.get(status, GENERIC_MESSAGES[500]), headers)
