"""The one error table (portalkit.web.error_pages): complete, safe, the same for all."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from portalkit import errors
from portalkit.errors import (
    AlreadyUsedError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
    ThrottledError,
    UnknownScopeError,
)
from portalkit.web import (
    ERROR_STATUS,
    GENERIC_MESSAGES,
    STATUS_TITLES,
    error_page,
    error_status,
    status_page,
)

ERROR_CLASSES = sorted(
    (
        obj
        for name in errors.__all__
        if inspect.isclass(obj := getattr(errors, name)) and issubclass(obj, PortalkitError)
    ),
    key=lambda cls: cls.__name__,
)


def _instance(cls: type[PortalkitError]) -> PortalkitError:
    if cls is ThrottledError:
        return ThrottledError(12.5)
    if cls is errors.UnknownPermissionError:
        return cls("x.y")
    if cls is errors.InvalidRowError:
        return cls(3, errors.InvalidInputError("bad"))
    if cls is errors.DuplicateKeyError:
        return cls(["a", "a"])
    if cls is errors.SecondFactorRequired:
        return cls("1.proof", expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    return cls()


def test_every_error_class_has_its_own_row() -> None:
    """Each class in portalkit.errors is listed, so a new error needs a decision."""
    assert len(ERROR_CLASSES) > 15
    missing = [cls.__name__ for cls in ERROR_CLASSES if cls not in ERROR_STATUS]
    assert not missing, f"errors without an HTTP status: {missing}"
    assert set(ERROR_STATUS) == set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_status_has_a_title_and_a_generic_message(cls: type[PortalkitError]) -> None:
    """Each status in the table has a page: a title and a generic text."""
    page = error_page(_instance(cls))
    assert page.status == ERROR_STATUS[cls] == error_status(_instance(cls))
    assert page.title == STATUS_TITLES[page.status]
    assert page.message
    assert page.headers["Cache-Control"] == "no-store"


def test_known_statuses() -> None:
    """The classic mapping, plus mail failures as 503 (another service is down)."""
    expected = {
        errors.InvalidInputError: 400,
        errors.InvalidTokenError: 400,
        errors.TokenExpiredError: 400,
        errors.AuthenticationError: 401,
        PermissionDeniedError: 403,
        NotFoundError: 404,
        errors.ConflictError: 409,
        AlreadyUsedError: 409,
        ThrottledError: 429,
        errors.StorageError: 503,
        errors.MailDeliveryError: 503,
        errors.ConfigurationError: 500,
        PortalkitError: 500,
    }
    for cls, status in expected.items():
        assert error_status(_instance(cls)) == status, cls.__name__


def test_a_host_subclass_gets_its_parents_status() -> None:
    """An error a host derives from a portalkit error is answered like its parent."""

    class GoneAway(NotFoundError):
        code = "gone_away"

    assert error_status(GoneAway()) == 404


def test_not_yours_and_not_there_are_the_same_page() -> None:
    """404 and 403 pages never echo the error's text: one page for both cases."""
    not_there = error_page(NotFoundError("Asset 17 does not exist."))
    not_yours = error_page(UnknownScopeError("Belongs to Rentall Inc."))
    assert not_there == not_yours == error_page(NotFoundError())
    assert not_there.message == GENERIC_MESSAGES[404]
    denied = error_page(PermissionDeniedError("Only for the Rentall admin."))
    assert denied.message == GENERIC_MESSAGES[403]


def test_400_409_429_show_what_to_do() -> None:
    """The error's own message, which says what to fix or how long to wait, is shown."""
    assert error_page(errors.InvalidInputError("Enter a date.")).message == "Enter a date."
    assert error_page(AlreadyUsedError()).message == AlreadyUsedError.default_message
    throttled = error_page(ThrottledError(12.5))
    assert throttled.message == ThrottledError.default_message
    assert throttled.headers["Retry-After"] == "12"
    assert error_page(ThrottledError(0)).headers["Retry-After"] == "1"


def test_500_and_503_never_show_internal_text() -> None:
    """Storage and configuration messages stay in the logs."""
    page = error_page(errors.StorageError("connection to 10.0.0.3 refused"))
    assert page.message == GENERIC_MESSAGES[503]
    assert error_page(errors.ConfigurationError("secret xyz")).message == GENERIC_MESSAGES[500]


def test_framework_statuses() -> None:
    """405 names the allowed methods; 413 and unknown statuses get their generic page."""
    page = status_page(405, allowed_methods=["GET", "POST"])
    assert (page.status, page.title) == (405, STATUS_TITLES[405])
    assert page.headers["Allow"] == "GET, POST"
    assert "Allow" not in status_page(405).headers
    assert status_page(413).message == GENERIC_MESSAGES[413]
    odd = status_page(418)
    assert (odd.status, odd.title) == (418, STATUS_TITLES[500])


def test_built_in_page_escapes() -> None:
    """The minimal page escapes the message it shows."""
    body = error_page(errors.InvalidInputError("<script>x</script>")).html()
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
