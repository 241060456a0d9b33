"""The values portalkit can store: one rule set for every id, text, number and date.

Outside input reaches storage through many doors (lookups, forms, staff
calls, bulk rows). Each value that crosses must fit every supported database:

- an id or whole number is an ``int`` (never a ``bool``) within the signed
  64-bit range; a *lookup* of an id beyond it is "not found", exactly as for
  any id that does not exist;
- text is UTF-8 encodable (no lone surrogates), has no NUL character (which
  PostgreSQL refuses) and is at most :data:`MAX_TEXT_LENGTH` characters
  (fields with a shorter limit check theirs too);
- a number is finite (no NaN or infinity);
- a date or datetime lies between :data:`EARLIEST` and :data:`LATEST`, and a
  duration is at most :data:`MAX_DURATION`, so that date arithmetic and time
  zone conversions cannot overflow.

:func:`check_value` applies the rules to any value (and into lists, tuples,
sets and mappings); the ``check_*`` functions apply one rule to one field.
Every refusal is an :class:`~portalkit.errors.InvalidInputError` naming the
field, or a :class:`~portalkit.errors.NotFoundError` for an id lookup.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from typing import Any

from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError, NotFoundError

__all__ = [
    "EARLIEST",
    "INT64_MAX",
    "INT64_MIN",
    "LATEST",
    "MAX_DURATION",
    "MAX_TEXT_LENGTH",
    "RECORD_FIELDS",
    "check_date",
    "check_duration",
    "check_id",
    "check_int",
    "check_number",
    "check_text",
    "check_value",
    "lookup_id",
    "names_record",
    "storable",
    "storable_text",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: The longest text any field takes (a message body, a document note); fields
#: with a limit of their own (names, descriptions) are shorter.
MAX_TEXT_LENGTH = 100_000

#: The first and last day a date or datetime may fall on. Far wider than any
#: portal's business, and far enough from ``date.min``/``date.max`` that adding
#: a horizon or converting between time zones never overflows.
EARLIEST = dt.date(1000, 1, 1)
LATEST = dt.date(8999, 12, 31)

#: The longest duration (either way) that may be added to a date: about 1000 years.
MAX_DURATION = dt.timedelta(days=366_000)

#: Field names that name a record by its id when given an int (``asset=12``).
RECORD_FIELDS = frozenset(
    {
        "appointment",
        "asset",
        "document",
        "grant",
        "holder",
        "invitation",
        "meter",
        "new_parent",
        "node",
        "organization",
        "parent",
        "ref",
        "scope",
        "site",
        "user",
    }
)


def names_record(field: str) -> bool:
    """Whether an int in *field* is a record's id (``*_id`` or a record's name)."""
    return field.endswith("_id") or field in RECORD_FIELDS


def check_int(
    field: str, value: object, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX
) -> int:
    """A whole number between *minimum* and *maximum* (by default: what fits 64 bits)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if not minimum <= value <= maximum:
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    return value


def check_id(field: str, value: object) -> int:
    """An id given as a value to store (a form's choice): InvalidInputError when not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    return value


def lookup_id(field: str, value: object) -> int:
    """An id to look a record up by.

    An ``int`` beyond 64 bits names no record: :class:`NotFoundError`, the same
    answer as for any id that does not exist. A value that is not an id at all
    (a ``bool``, text) is :class:`InvalidInputError`.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if not INT64_MIN <= value <= INT64_MAX:
        raise NotFoundError()
    return value


def storable_text(value: str) -> bool:
    """Whether every database can store *value*: UTF-8 encodable and no NUL."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode()  # UTF-8
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def storable(value: object) -> bool:
    """Whether every database can store the scalar *value* as it is bound to a statement.

    Text must be :func:`storable_text`, an int fit 64 bits, a float be finite;
    any other value is left to its column type.
    """
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, int):
        return INT64_MIN <= value <= INT64_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def check_text(field: str, value: object, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Text every database can store, at most *max_length* characters (not stripped)."""
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, Msg("field.not_text"))
    if len(value) > max_length:
        raise InvalidInputError.for_field(field, Msg("field.too_long", max=max_length))
    if not storable_text(value):
        code = "field.nul_character" if "\x00" in value else "field.bad_characters"
        raise InvalidInputError.for_field(field, Msg(code))
    return value


def check_number(field: str, value: object) -> int | float | decimal.Decimal:
    """A finite number (an int within 64 bits, a float or a Decimal; never a bool)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int(field, value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return value
    raise InvalidInputError.for_field(field, Msg("field.not_a_number"))


def check_date(field: str, value: object) -> dt.date:
    """A date or datetime between :data:`EARLIEST` and :data:`LATEST`."""
    if not isinstance(value, dt.date):
        raise InvalidInputError.for_field(field, Msg("field.not_a_date"))
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        code = "field.not_a_datetime" if isinstance(value, dt.datetime) else "field.not_a_date"
        raise InvalidInputError.for_field(field, Msg(code))
    return value


def check_duration(field: str, value: object) -> dt.timedelta:
    """A duration of at most :data:`MAX_DURATION` either way."""
    if not isinstance(value, dt.timedelta) or abs(value) > MAX_DURATION:
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    return value


def check_value(field: str, value: Any, *, lookup: bool = False) -> None:
    """Refuse *value* if it, or anything in it, breaks a rule of this module.

    Text, whole numbers, floats, decimals, dates and datetimes are checked;
    lists, tuples, sets and mappings (keys and values) are checked item by
    item, under the mapping's key as the field name; other objects (records,
    iterators, which must not be consumed) are left to their own checks.
    With *lookup*, an int beyond 64 bits is :class:`NotFoundError`.
    """
    kind = type(value)
    if value is None or kind is bool:
        return
    if kind is str or isinstance(value, str):
        check_text(field, value)
    elif isinstance(value, int):
        if lookup:
            lookup_id(field, value)
        elif names_record(field):
            check_id(field, value)
        else:
            check_int(field, value)
    elif isinstance(value, (float, decimal.Decimal)):
        check_number(field, value)
    elif isinstance(value, dt.date):
        check_date(field, value)
    elif isinstance(value, dt.timedelta):
        check_duration(field, value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = key if isinstance(key, str) else field
            check_value(field, key)
            check_value(name[:64], item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            check_value(field, item)
