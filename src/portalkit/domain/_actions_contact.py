"""How to reach whoever requested service: a contact name, phone and email.

A guest (guest mode: every anonymous visitor is the same guest user) must
leave a name and a phone number or an email address with a service request,
or nobody could answer it; a signed-in user may add them. The checks are the
portal's own normalizers (:mod:`portalkit.domain.contact`), each error keyed
by the form's field (``contact_name``, ``contact_phone``, ``contact_email``)
and all of them reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import attrs

from portalkit.domain._actions_input import clean_text
from portalkit.domain.contact import (
    MAX_NAME_LENGTH,
    PhoneNormalizer,
    looks_like_phone,
    normalize_email,
    normalize_name,
)
from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError

__all__ = ["CONTACT_FIELDS", "RequestContact", "clean_contact"]

#: The payload fields of a request's contact.
CONTACT_FIELDS = frozenset({"contact_name", "contact_phone", "contact_email"})

#: Longest phone number as typed (E.164 has at most 15 digits; people add spaces).
_MAX_PHONE_LENGTH = 32


@attrs.frozen
class RequestContact:
    """A checked contact: each part normalized, or None when not given."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.email)


def _name(value: object) -> str | None:
    text = clean_text("contact_name", value, max_length=MAX_NAME_LENGTH)
    if not text:
        return None
    try:
        return normalize_name(text)
    except InvalidInputError:  # a line break or a NUL: not a name (re-keyed here)
        raise InvalidInputError.for_field(
            "contact_name", Msg("field.bad_characters")
        ) from None


def _phone(value: object, phones: PhoneNormalizer | None, region: str) -> str | None:
    text = clean_text("contact_phone", value, max_length=_MAX_PHONE_LENGTH)
    if not text:
        return None
    if phones is not None:
        try:
            return phones.normalize(text, region)
        except InvalidInputError as error:
            raise InvalidInputError.for_field("contact_phone", error.message) from None
    if not looks_like_phone(text):
        raise InvalidInputError.for_field("contact_phone", "Enter a valid phone number.")
    return text


def _email(value: object) -> str | None:
    text = clean_text("contact_email", value, max_length=254)
    if not text:
        return None
    try:
        return normalize_email(text)
    except InvalidInputError as error:
        raise InvalidInputError.for_field("contact_email", error.message) from None


def clean_contact(
    name: object,
    phone: object,
    email: object,
    *,
    required: bool,
    phones: PhoneNormalizer | None = None,
    region: str = "US",
) -> RequestContact:
    """The checked contact of a request.

    Args:
        name, phone, email: As typed (None or blank: not given).
        required: A name and a phone number or an email address must be given
            (a guest's request).
        phones: Turns the phone number into E.164 (read as a number of
            *region*); without one it is kept as typed if it looks like a
            phone number.

    Raises:
        InvalidInputError: every bad or missing field at once, keyed
            ``contact_name``, ``contact_phone``, ``contact_email``.
    """
    errors: dict[str, str] = {}
    parts: dict[str, str | None] = {}
    checks: tuple[tuple[str, Callable[[], str | None]], ...] = (
        ("contact_name", partial(_name, name)),
        ("contact_phone", partial(_phone, phone, phones, region)),
        ("contact_email", partial(_email, email)),
    )
    for field, check in checks:
        try:
            parts[field] = check()
        except InvalidInputError as error:  # keyed by its field, as every check's error is
            errors.update(error.fields)
    if required:
        if not parts.get("contact_name") and "contact_name" not in errors:
            errors["contact_name"] = Msg("field.required")
        if not (parts.get("contact_phone") or parts.get("contact_email")) and not (
            errors.keys() & {"contact_phone", "contact_email"}
        ):
            errors["contact_phone"] = Msg("action.contact_needed")
    if errors:
        raise InvalidInputError(Msg("form.invalid") if len(errors) > 1 else None, fields=errors)
    return RequestContact(parts["contact_name"], parts["contact_phone"], parts["contact_email"])
