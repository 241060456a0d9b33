"""The error tree as a host's error handler sees it."""

from __future__ import annotations

from typing_extensions import assert_type

import portalkit
from portalkit import errors


def handle(exc: Exception) -> tuple[int, str, str]:
    """Map an exception to (HTTP status, code, safe message), as an integration does."""
    if isinstance(exc, errors.InvalidInputError):
        assert_type(exc.fields, dict[str, str])
        return 400, exc.code, exc.message
    if isinstance(exc, errors.ThrottledError):
        assert_type(exc.retry_after, float)
        return 429, exc.code, exc.message
    if isinstance(exc, errors.NotFoundError):
        return 404, exc.code, exc.message
    if isinstance(exc, portalkit.PortalkitError):
        assert_type(exc.code, str)
        return 400, exc.code, str(exc)
    raise exc


def builtin_meanings() -> None:
    """Errors that share a builtin's meaning can be caught as that builtin."""
    value_error: ValueError = errors.InvalidInputError("bad")
    lookup_error: LookupError = errors.UnknownScopeError()
    single: errors.InvalidInputError = errors.InvalidInputError.for_field("email", "Not valid.")
    assert_type(errors.DuplicateKeyError(["a", "b"]).keys, list[str])
    not_a_value_error: ValueError = errors.NotFoundError()  # type: ignore[assignment]
    del value_error, lookup_error, single, not_a_value_error


def codes_are_class_level() -> str:
    """``code`` is readable on the class, without an instance."""
    return errors.PermissionDeniedError.code + errors.TokenExpiredError.code
