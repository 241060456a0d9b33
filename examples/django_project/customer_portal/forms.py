"""What every form page shares: errors in the user's language, and the retry key.

portalkit raises :class:`~portalkit.errors.InvalidInputError` with a message
per field; :func:`field_errors` turns it into ``{field: message}`` in the
language Django chose for this request (``_`` holds a message for the whole
form). The pages render them next to the fields and refill what the user
typed (never passwords).
"""

from __future__ import annotations

import uuid

from django.utils.translation import get_language

from portalkit.errors import PortalkitError
from portalkit.locale import translator

__all__ = ["field_errors", "message", "nonce"]


def field_errors(error: PortalkitError, default_field: str = "_") -> dict[str, str]:
    """*error*'s field messages in the request's language (its message under *default_field*)."""
    shown = translator(get_language() or "en").error(error)
    return dict(shown.fields) or {default_field: shown.message}


def message(error: PortalkitError) -> str:
    """*error*'s message in the request's language."""
    return translator(get_language() or "en").error(error).message


def nonce() -> str:
    """A fresh idempotency key for a form: sending it twice does the work once."""
    return uuid.uuid4().hex
