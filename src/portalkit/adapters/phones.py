"""Phone numbers to E.164 with Google's libphonenumber (the ``phonenumbers`` package).

Install it with ``pip install portalkit[phone]`` (which brings
``phonenumberslite``: the same API without geocoder and carrier data). The
library is imported on first use, not when this module is imported, so a
portal that never reads a phone number does not need it.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

from portalkit.domain.contact import PHONE_FIELD
from portalkit.errors import ConfigurationError, InvalidInputError

__all__ = ["PhonenumbersNormalizer", "phonenumbers_available"]

_MAX_INPUT = 40
_lock = threading.Lock()
_module: ModuleType | None = None


def _phonenumbers() -> ModuleType:
    global _module  # noqa: PLW0603 (one lazily imported module per process)
    with _lock:
        if _module is None:
            try:
                _module = importlib.import_module("phonenumbers")
            except ImportError as exc:
                raise ConfigurationError(
                    "Phone numbers need the phonenumbers library: "
                    "install it with `pip install portalkit[phone]`."
                ) from exc
        return _module


def phonenumbers_available() -> bool:
    """True if the phonenumbers library can be imported."""
    try:
        _phonenumbers()
    except ConfigurationError:
        return False
    return True


def _invalid() -> InvalidInputError:
    return InvalidInputError.for_field(PHONE_FIELD, "Enter a valid phone number.")


class PhonenumbersNormalizer:
    """A :class:`~portalkit.domain.contact.PhoneNormalizer` backed by phonenumbers.

    Args:
        default_region: Used when :meth:`normalize` is given no region.
    """

    def __init__(self, default_region: str = "US") -> None:
        self._default_region = default_region.upper()

    def normalize(self, number: str, region: str | None = None) -> str:
        """The E.164 form of *number*, read as a local number of *region*.

        Raises:
            InvalidInputError: for field ``"phone"`` if it is not a valid number.
            ConfigurationError: if the phonenumbers library is not installed.
        """
        lib = _phonenumbers()
        if not isinstance(number, str) or not number.strip() or len(number) > _MAX_INPUT:
            raise _invalid()
        the_region = (region or self._default_region).upper()
        if the_region == "UK":
            the_region = "GB"
        try:
            parsed = lib.parse(number.strip(), the_region)
        except lib.NumberParseException as exc:
            raise _invalid() from exc
        if not lib.is_valid_number(parsed):
            raise _invalid()
        formatted: str = lib.format_number(parsed, lib.PhoneNumberFormat.E164)
        return formatted
