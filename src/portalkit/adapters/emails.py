"""Email syntax checks with the ``email-validator`` library (optional).

:class:`EmailValidatorChecker` implements the
:class:`~portalkit.domain.contact.EmailChecker` port: on top of portalkit's own
:func:`~portalkit.domain.contact.normalize_email` it applies the full RFC
5321/5322 and IDNA rules of email-validator. Deliverability (a DNS lookup) is
never checked: that would be slow, and it would do network I/O per form. The
library is imported on first use; install it with ``pip install email-validator``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from portalkit.domain.contact import EMAIL_FIELD, normalize_email
from portalkit.errors import ConfigurationError, InvalidInputError

__all__ = ["EmailValidatorChecker"]


def _library() -> ModuleType:
    try:
        return importlib.import_module("email_validator")
    except ImportError as exc:
        raise ConfigurationError(
            "Strict email checks need the email-validator library: "
            "install it with `pip install email-validator`."
        ) from exc


class EmailValidatorChecker:
    """Checks addresses with email-validator (no DNS), then lower-cases them."""

    def check(self, address: str) -> str:
        """The normalized (lower-cased) address, or InvalidInputError for field ``"email"``."""
        lib = _library()
        plain = normalize_email(address)
        try:
            lib.validate_email(plain, check_deliverability=False)
        except lib.EmailNotValidError as exc:
            raise InvalidInputError.for_field(EMAIL_FIELD, "Enter a valid email address.") from exc
        return plain
