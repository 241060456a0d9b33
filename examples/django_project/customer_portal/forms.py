"""What every form page shares: errors in the user's language, and the retry key.

portalkit raises :class:`~portalkit.errors.InvalidInputError` with a message
per field; :func:`field_errors` turns it into ``{field: message}`` in the
language Django chose for this request (``_`` holds a message for the whole
form). The pages render them next to the fields and refill what the user
typed (never passwords).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils.translation import get_language

from portalkit.errors import PortalkitError
from portalkit.locale import translator

__all__ = ["NEW_PASSWORD_FIELDS", "field_errors", "message", "nonce"]

#: The fields of a new password (``_new_password.html``) whose errors it shows.
NEW_PASSWORD_FIELDS = (
    "password", "new_password", "password_again", "password_confirmation", "confirmation",
)


def field_errors(
    error: PortalkitError, default_field: str = "_", shown: Iterable[str] = ()
) -> dict[str, str]:
    """*error*'s field messages in the request's language (its message under *default_field*).

    A message for a field the page does not show (not in *shown*) joins the
    form's own message (``_``), so no refusal is ever silent.
    """
    found = translator(get_language() or "en").error(error)
    errors = dict(found.fields) or {default_field: found.message}
    if shown:
        visible = {*shown, "_"}
        rest = [text for name, text in errors.items() if name not in visible]
        errors = {name: text for name, text in errors.items() if name in visible}
        if rest:
            errors["_"] = " ".join([errors.get("_", ""), *rest]).strip()
    return errors


def message(error: PortalkitError) -> str:
    """*error*'s message in the request's language."""
    return translator(get_language() or "en").error(error).message


def nonce() -> str:
    """A fresh idempotency key for a form: sending it twice does the work once."""
    return uuid.uuid4().hex
