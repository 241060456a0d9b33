"""The one error tree of portalkit.

Every error portalkit raises derives from :class:`PortalkitError`. Each class has
a stable machine-readable :attr:`~PortalkitError.code` and a message that is safe
to show a customer: it never names another customer's data, and it never says
whether an account or record exists. Data that a host may want to act on (which
field was wrong, how long to wait) is carried as attributes, not in the text.

Where an error shares the meaning of a builtin it also subclasses it, so
``except ValueError`` keeps working for code that does not know portalkit.

Expected outcomes of a lookup (found, ambiguous, not found) are values, not
exceptions; these classes are for what callers must not ignore.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar

__all__ = [
    "AlreadyUsedError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "DatabaseUnavailableError",
    "DuplicateKeyError",
    "InvalidInputError",
    "InvalidRowError",
    "InvalidTokenError",
    "MailDeliveryError",
    "NotFoundError",
    "PermissionDeniedError",
    "PortalClosedError",
    "PortalkitError",
    "ReauthenticationRequired",
    "SchemaOutdatedError",
    "ScopeCycleError",
    "SecondFactorRequired",
    "StorageError",
    "ThrottledError",
    "TokenExpiredError",
    "UnknownPermissionError",
    "UnknownScopeError",
]


class PortalkitError(Exception):
    """Root of every error portalkit raises.

    Attributes:
        code: A stable identifier for the kind of error (``"not_found"``, …),
            for programs and for translation catalogues.
        message: Text that is safe to show the person using the portal.
    """

    code: ClassVar[str] = "portalkit_error"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ConfigurationError(PortalkitError, ValueError):
    """The portal is configured in a way that cannot work (found at set-up time)."""

    code = "configuration"
    default_message = "The portal is not configured correctly."


class UnknownPermissionError(ConfigurationError):
    """A permission name that is not in the catalogue was used."""

    code = "unknown_permission"
    default_message = "Unknown permission."

    def __init__(self, name: str, message: str | None = None) -> None:
        self.name = name
        super().__init__(message or f"Unknown permission {name!r}.")


class InvalidInputError(PortalkitError, ValueError):
    """Input was rejected; :attr:`fields` maps each bad field to its reason.

    Attributes:
        fields: ``{field name: message}``; empty when the input as a whole was bad.
    """

    code = "invalid_input"
    default_message = "The input is not valid."

    def __init__(
        self, message: str | None = None, *, fields: Mapping[str, str] | None = None
    ) -> None:
        self.fields: dict[str, str] = dict(fields or {})
        if message is None and len(self.fields) == 1:
            message = next(iter(self.fields.values()))
        super().__init__(message)

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInputError:
        """Build the error for a single bad field."""
        return cls(message, fields={field: message})


class InvalidRowError(InvalidInputError):
    """A row of a bulk import is not valid; :attr:`row` is its 1-based number."""

    code = "invalid_row"
    default_message = "A row is not valid."

    def __init__(self, row: int, error: PortalkitError) -> None:
        self.row = row
        self.error = error
        fields = error.fields if isinstance(error, InvalidInputError) else None
        super().__init__(f"Row {row}: {error.message}", fields=fields)


class DuplicateKeyError(InvalidInputError):
    """The same external key appears twice where it must be unique."""

    code = "duplicate_key"
    default_message = "The same key appears more than once."

    def __init__(self, keys: list[str], message: str | None = None) -> None:
        self.keys = list(keys)
        shown = ", ".join(repr(k) for k in self.keys[:5])
        more = "" if len(self.keys) <= 5 else f" and {len(self.keys) - 5} more"
        super().__init__(message or f"Duplicate external keys in one batch: {shown}{more}.")


class ScopeCycleError(InvalidInputError):
    """A scope node would be moved below itself or one of its descendants."""

    code = "scope_cycle"
    default_message = "A scope cannot be moved below itself or one of its descendants."


class NotFoundError(PortalkitError, LookupError):
    """Nothing the caller may see matches. "Not yours" and "not there" look alike."""

    code = "not_found"
    default_message = "Not found."


class UnknownScopeError(NotFoundError):
    """A scope node id, path or external key that does not exist in this tenant."""

    code = "unknown_scope"
    default_message = "Unknown scope."


class PermissionDeniedError(PortalkitError):
    """The principal may not do this. Carries no detail about the resource."""

    code = "permission_denied"
    default_message = "You do not have permission to do this."


class PortalClosedError(PermissionDeniedError):
    """The tenant's portal is switched off or not licensed: customers cannot get in.

    Raised by every customer-side entry point (sign-in after the password is
    checked, a session's next request, registration, password reset,
    invitation acceptance, share links, guest mode); staff are unaffected.
    """

    code = "portal_closed"
    default_message = "This portal is not available at the moment."


class AuthenticationError(PortalkitError):
    """Credentials were not accepted. The same message whatever was wrong."""

    code = "authentication_failed"
    default_message = "The sign-in details are not correct."


class SecondFactorRequired(PortalkitError):
    """The password was right; the sign-in now needs a second factor (or enrolling one).

    No session was created. Keep :attr:`pending` (a bearer value, like a
    session token: in the server-side session or an HttpOnly cookie, never in
    a URL) and pass it back with the code to finish signing in.

    Attributes:
        pending: The pending sign-in's value: single use, bound to the user's
            security stamp, valid until :attr:`expires_at` (5 minutes).
        enrol_only: True when the user must first enrol a second factor (the
            tenant requires one and they have none): the pending value then
            allows enrolment only.
    """

    code = "second_factor_required"
    default_message = "Enter the code from your authenticator app to finish signing in."

    def __init__(
        self, pending: str, *, expires_at: dt.datetime, enrol_only: bool = False,
        message: str | None = None,
    ) -> None:
        self.pending = pending
        self.expires_at = expires_at
        self.enrol_only = enrol_only
        super().__init__(message)

    def __repr__(self) -> str:
        return f"SecondFactorRequired(enrol_only={self.enrol_only!r})"


class ReauthenticationRequired(PortalkitError):
    """A sensitive action needs a second-factor check within the last minutes.

    The integration sends the user to the step-up page (a code from the
    authenticator app, ``req.second_factors.step_up(code)``) and back.

    Attributes:
        action: The sensitive action asked for (``"quote.approve"``, …).
    """

    code = "reauthentication_required"
    default_message = "Confirm it is you: enter a code from your authenticator app."

    def __init__(self, action: str = "", message: str | None = None) -> None:
        self.action = action
        super().__init__(message)


class ThrottledError(PortalkitError):
    """Too many attempts; try again after :attr:`retry_after` seconds."""

    code = "throttled"
    default_message = "Too many attempts. Please wait and try again."

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = max(0.0, float(retry_after))
        super().__init__(message)


class ConflictError(PortalkitError):
    """The write conflicts with the current state (someone else got there first)."""

    code = "conflict"
    default_message = "This was changed by someone else. Please reload and try again."


class AlreadyUsedError(ConflictError):
    """A single-use token, slot or code has already been used."""

    code = "already_used"
    default_message = "This link or code has already been used."


class InvalidTokenError(PortalkitError, ValueError):
    """A signed token is malformed, tampered with, or for another purpose."""

    code = "invalid_token"
    default_message = "This link is not valid."


class TokenExpiredError(InvalidTokenError):
    """A signed token was genuine but is past its lifetime."""

    code = "token_expired"
    default_message = "This link has expired."


class StorageError(PortalkitError):
    """The storage backend failed; the transaction was rolled back."""

    code = "storage"
    default_message = "The portal's storage is not available right now."


class DatabaseUnavailableError(StorageError):
    """The database cannot be reached."""

    code = "database_unavailable"
    default_message = "The portal's database cannot be reached."


class SchemaOutdatedError(StorageError):
    """The database schema is older (or newer) than this version of portalkit."""

    code = "schema_outdated"
    default_message = (
        "The database schema does not match this version of portalkit; "
        "run `portalkit db upgrade` (or Portal.upgrade())."
    )


class MailDeliveryError(PortalkitError):
    """An email could not be handed to the mail server.

    Attributes:
        detail: What went wrong, for staff and logs (the server's reply or
            the connection error); never shown to customers.
        permanent: The server refused for good (a 5xx reply: bad address,
            rejected sender); retrying the same message will not help.
    """

    code = "mail_delivery_failed"
    default_message = "The email could not be sent. Please try again later."

    def __init__(
        self, detail: str = "", *, permanent: bool = False, message: str | None = None
    ) -> None:
        self.detail = detail
        self.permanent = permanent
        super().__init__(message)
