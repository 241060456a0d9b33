"""The rules every email portalkit sends must meet, checked when settings are saved.

A tenant's sender address, portal name and mail language go into the headers
of every message (``From``, ``Message-ID``, ``Subject``, ``Content-Language``).
They are checked here, when a tenant is created or its settings are saved and
when a :class:`~portalkit.config.PortalConfig` is built, so that a bad value is
refused with an error naming the field instead of breaking mail later:

* a sender address is one ``local@domain`` address (no display name, no line
  break); ``localhost`` is the only domain without a dot that is accepted (the
  development default, :data:`~portalkit.domain.tenants.DEFAULT_SENDER`);
* a display name (the portal's name) is one line of at most 200 characters,
  without control characters (runs of spaces are sent as one);
* a mail language is a language tag such as ``"es"`` or ``"pt-BR"``.
"""

from __future__ import annotations

import re
import unicodedata

from portalkit.domain.contact import normalize_email
from portalkit.domain.i18n import Msg
from portalkit.domain.templates import check_header_value
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError

__all__ = [
    "MAX_DISPLAY_NAME_LENGTH",
    "check_display_name",
    "check_language",
    "check_mail_settings",
    "check_sender_address",
    "mail_domain",
]

#: Longest portal name (the From header's display name), in characters.
MAX_DISPLAY_NAME_LENGTH = 200

_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


def check_sender_address(field: str, value: object) -> str:
    """Return *value* if it can be the From address of the portal's mail.

    Raises:
        InvalidInputError: Not text, a line break, spaces, a display name or
            not an address; ``fields`` names *field*.
    """
    check_header_value(field, value, max_length=254)  # type: ignore[arg-type]
    assert isinstance(value, str)  # checked just above
    reason = "Enter one email address, such as portal@example.com."
    # normalize_email refuses inner spaces, quotes, brackets and a display name,
    # and needs one "@" after a non-empty local part; it only forgives the
    # surrounding spaces, which a header must not carry either.
    if value != value.strip():
        raise InvalidInputError.for_field(field, reason)
    local, _, domain = value.rpartition("@")
    # localhost is the development default; every other domain needs a dot.
    checked = f"{local}@localhost.invalid" if domain.lower() == "localhost" else value
    try:
        normalize_email(checked)
    except InvalidInputError:
        raise InvalidInputError.for_field(field, reason) from None
    return value


def mail_domain(sender: str) -> str:
    """The domain of a sender address: the right-hand side of its Message-IDs."""
    return sender.rpartition("@")[2]


def check_display_name(field: str, value: object) -> str:
    """Return *value* if it can be the display name in a mail header (one short line).

    Raises:
        InvalidInputError: Not text, empty, a line break or longer than
            :data:`MAX_DISPLAY_NAME_LENGTH`; ``fields`` names *field*.
    """
    check_header_value(field, value, max_length=MAX_DISPLAY_NAME_LENGTH)  # type: ignore[arg-type]
    assert isinstance(value, str)  # checked just above
    if not value.strip():
        raise InvalidInputError.for_field(field, "Enter a name.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInputError.for_field(field, "Use letters, digits and punctuation only.")
    return value


def check_language(field: str, value: object) -> str:
    """Return *value* if it is a language tag (``"es"``, ``"pt-BR"``).

    Raises:
        InvalidInputError: Anything else; ``fields`` names *field*.
    """
    if not isinstance(value, str) or not _LANGUAGE_RE.fullmatch(value):
        raise InvalidInputError.for_field(field, "Enter a language code such as en or es.")
    return value


def check_mail_settings(settings: TenantSettings) -> TenantSettings:
    """Return *settings* if their mail fields are usable, else raise InvalidInputError.

    Checks ``sender_email`` (when set), ``portal_name`` and ``locale``; every
    bad field is named in ``fields``.
    """
    fields: dict[str, str] = {}
    checks = [("portal_name", check_display_name), ("locale", check_language)]
    if settings.sender_email is not None:
        checks.insert(0, ("sender_email", check_sender_address))
    for name, check in checks:
        try:
            check(name, getattr(settings, name))
        except InvalidInputError as exc:
            fields.update(exc.fields)
    if fields:
        raise InvalidInputError(Msg("form.invalid"), fields=fields)
    return settings
