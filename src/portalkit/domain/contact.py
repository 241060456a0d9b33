"""Contact details: pure normalizers for email addresses and postal codes.

Each normalizer returns the canonical form or raises
:class:`~portalkit.errors.InvalidInputError` for one field. All of them are
idempotent: normalizing a normalized value gives it back unchanged.

- Email: trimmed, syntax-checked (one ``@``, a dotted domain, no spaces) and
  lower-cased as a whole, so matching is case-insensitive. Deliverability is
  not checked here; a host may add the optional ``email-validator`` library in
  an adapter.
- Postal codes per country: US ZIP and ZIP+4 (``12345``, ``12345-6789``),
  Canadian ``A1A 1A1``, UK postcodes (``SW1A 1AA``); other countries get a
  generic check (2 to 10 letters, digits, spaces or dashes, upper-cased).
- Names of people: trimmed, on one line, without NUL, at most 200 characters.
- Phone numbers need the ``phonenumbers`` metadata, so only their port,
  :class:`PhoneNormalizer`, is defined here; ``portalkit.adapters.phones``
  implements it (install ``portalkit[phone]``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from portalkit.errors import InvalidInputError

__all__ = [
    "EMAIL_FIELD",
    "MAX_EMAIL_LENGTH",
    "MAX_LOCAL_LENGTH",
    "MAX_NAME_LENGTH",
    "NAME_FIELD",
    "PHONE_FIELD",
    "POSTAL_CODE_FIELD",
    "EmailChecker",
    "PhoneNormalizer",
    "looks_like_email",
    "looks_like_phone",
    "normalize_email",
    "normalize_name",
    "normalize_postal_code",
    "postal_codes_match",
]

EMAIL_FIELD = "email"
PHONE_FIELD = "phone"
POSTAL_CODE_FIELD = "postal_code"
NAME_FIELD = "name"

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_LENGTH = 64
#: Longest name of a person accepted (it goes into mail headers and subjects).
MAX_NAME_LENGTH = 200

_LOCAL_RE = re.compile(r"^[^\s@\"(),:;<>\[\]\\]+$")
_LABEL_RE = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$", re.UNICODE)
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-/]{6,30}$")

_US_RE = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_CA_RE = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)$")
_UK_RE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?|GIR)(\d[A-Z]{2})$")
_GENERIC_RE = re.compile(r"^[A-Z0-9](?:[A-Z0-9 -]{0,8}[A-Z0-9])?$")

_COUNTRY_ALIASES = {"UK": "GB", "USA": "US", "CAN": "CA", "GBR": "GB"}


class EmailChecker(Protocol):
    """A stricter email check than :func:`normalize_email` (e.g. the email-validator library)."""

    def check(self, address: str) -> str:
        """The address, normalized, if it is valid.

        Raises:
            InvalidInputError: for field ``"email"`` when it is not.
        """
        ...


class PhoneNormalizer(Protocol):
    """Turns a phone number as typed into E.164 (``+15551234567``)."""

    def normalize(self, number: str, region: str) -> str:
        """E.164 for *number*, read as a local number of *region* (ISO country code).

        Raises:
            InvalidInputError: for field ``"phone"`` when it is not a valid number.
            ConfigurationError: when the phone library is not installed.
        """
        ...


def _email_error() -> InvalidInputError:
    return InvalidInputError.for_field(EMAIL_FIELD, "Enter a valid email address.")


def normalize_email(value: object) -> str:
    """The lower-cased address, or InvalidInputError for field ``"email"``.

    An internationalized domain is kept in its Unicode form (NFC); its IDNA
    spelling (``xn--…``) is read as the same address, so an address typed
    either way finds one account.

    >>> normalize_email("  Ann.Lee@City.Example ")
    'ann.lee@city.example'
    """
    if not isinstance(value, str):
        raise _email_error()
    address = unicodedata.normalize("NFC", unicodedata.normalize("NFC", value.strip()).lower())
    if len(address) > MAX_EMAIL_LENGTH or address.count("@") != 1:
        raise _email_error()
    local, domain = address.split("@")
    if len(local) > MAX_LOCAL_LENGTH or not _LOCAL_RE.match(local):  # the RE needs one
        raise _email_error()
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise _email_error()
    labels = [_unicode_label(label) for label in domain.split(".")]
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        raise _email_error()
    if labels[-1].isdigit():
        raise _email_error()
    unicode_domain = ".".join(labels)
    try:  # what goes on the wire (IDNA) must fit too, and every label must encode
        wire = len(local.encode()) + 1 + len(unicode_domain.encode("idna"))
    except UnicodeError:
        raise _email_error() from None
    if wire > MAX_EMAIL_LENGTH:
        raise _email_error()
    return f"{local}@{unicode_domain}"


def _unicode_label(label: str) -> str:
    """A domain label in its one Unicode form: IDNA's ToUnicode(ToASCII(label)).

    So ``xn--bcher-kva``, ``Bücher`` and ``bücher`` are one label, and so are
    the spellings IDNA maps together (``ß`` and ``ss``).
    """
    if label.isascii() and not label.startswith("xn--"):
        return label
    try:
        decoded = label.encode("idna").decode("idna")
    except UnicodeError:
        raise _email_error() from None
    return unicodedata.normalize("NFC", decoded.lower())


def normalize_name(
    value: object, *, field: str = NAME_FIELD, label: str = "The name"
) -> str:
    """The trimmed name of a person, or InvalidInputError for *field*.

    Refused: not text, empty, a NUL (PostgreSQL cannot store it), a line break
    (names go into mail headers), longer than :data:`MAX_NAME_LENGTH`.
    *label* starts the messages (``"The contact name"``).
    """
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{label} must be text.")
    if "\x00" in value:
        raise InvalidInputError.for_field(field, f"{label} must not contain a NUL character.")
    name = value.strip()
    if not name:
        raise InvalidInputError.for_field(field, f"{label} is required.")
    if any(ch in _LINE_BREAKS for ch in name):
        raise InvalidInputError.for_field(field, f"{label} must be on one line.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError.for_field(
            field, f"{label} is longer than {MAX_NAME_LENGTH} characters."
        )
    return name


def looks_like_email(text: str) -> bool:
    """True if *text* is a syntactically valid email address."""
    try:
        normalize_email(text)
    except InvalidInputError:
        return False
    return True


def looks_like_phone(text: str) -> bool:
    """True if *text* is made only of what people type in phone numbers.

    Digits (at least six), spaces, ``+ ( ) . - /``; whether it is a real number
    is for a :class:`PhoneNormalizer` to say.
    """
    stripped = text.strip()
    return bool(_PHONE_CHARS_RE.match(stripped)) and sum(c.isdigit() for c in stripped) >= 6


def _country(country: str | None) -> str:
    code = country.strip().upper() if country else ""
    return _COUNTRY_ALIASES.get(code, code)


def _postal_error() -> InvalidInputError:
    return InvalidInputError.for_field(POSTAL_CODE_FIELD, "Enter a valid postal code.")


def normalize_postal_code(value: object, country: str | None) -> str:
    """The canonical postal code for *country* (ISO 3166-1 alpha-2; "UK" is GB).

    US: ``12345`` or ``12345-6789``; CA: ``K1A 0B1``; GB: ``SW1A 1AA``; other
    countries: upper-cased with single spaces, 2 to 10 characters.

    Raises:
        InvalidInputError: for field ``"postal_code"``.
    """
    if not isinstance(value, str):
        raise _postal_error()
    text = unicodedata.normalize("NFKC", value).upper().strip()
    compact = re.sub(r"[\s-]+", "", text)
    code = _country(country)
    if code == "US":
        match = _US_RE.match(compact)
        if not match:
            raise _postal_error()
        return match[1] + (f"-{match[2]}" if match[2] else "")
    if code == "CA":
        match = _CA_RE.match(compact)
        if not match:
            raise _postal_error()
        return f"{match[1]} {match[2]}"
    if code in {"GB", "IM", "JE", "GG"}:
        match = _UK_RE.match(compact)
        if not match or (match[1] == "GIR" and match[2] != "0AA"):
            raise _postal_error()
        return f"{match[1]} {match[2]}"
    generic = re.sub(r"\s+", " ", text)
    generic = re.sub(r"\s*-\s*", "-", generic)
    if len(compact) < 2 or not _GENERIC_RE.match(generic):
        raise _postal_error()
    return generic


def postal_codes_match(given: str, on_file: str, country: str | None) -> bool:
    """True if two postal codes are the same place for *country*.

    Both are normalized first; a value that does not normalize never matches.
    For US codes a plain ZIP matches a ZIP+4 with the same five digits (people
    rarely know their +4), but two different +4 extensions do not match.
    """
    try:
        left = normalize_postal_code(given, country)
        right = normalize_postal_code(on_file, country)
    except InvalidInputError:
        return False
    if _country(country) == "US":
        zip_l, _, plus_l = left.partition("-")
        zip_r, _, plus_r = right.partition("-")
        return zip_l == zip_r and (not plus_l or not plus_r or plus_l == plus_r)
    return left == right
