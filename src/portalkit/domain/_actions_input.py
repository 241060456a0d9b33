"""Strict parsing of customer action payloads, and idempotency keys.

A payload may hold only the fields an action reads (:func:`check_fields`); every
value is parsed into its type or refused with a field-level
:class:`~portalkit.errors.InvalidInputError`. :mod:`portalkit.domain.actions`
re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError


@attrs.frozen(kw_only=True)
class IdempotencyKey:
    """A client-supplied key that makes a repeated submit return the first result.

    ``owner`` is who submitted (``"user:12"``); ``fingerprint`` is a hash of the
    action and its input, so a key reused for different input is refused;
    ``result_ref`` (``"service_request:42"``) is filled in when the action is done.
    """

    id: int
    tenant_id: int
    owner: str
    key: str
    action: str
    fingerprint: str
    result_ref: str | None = None
    created_at: dt.datetime


def check_fields(payload: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Refuse a payload holding any field the action does not read.

    Every extra field (a status, an organization id, a foreign id …) is listed
    in the error's :attr:`~portalkit.errors.InvalidInputError.fields`; nothing
    is stored.
    """
    permitted = frozenset(allowed)
    extra = sorted(str(k) for k in payload if k not in permitted)
    if extra:
        raise InvalidInputError(
            fields={name[:64]: Msg("field.not_allowed") for name in extra[:20]}
        )


def clean_text(
    field: str, value: object, *, max_length: int, required: bool = False
) -> str:
    """Stripped text, at most *max_length* characters (never silently cut)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, Msg("field.not_text"))
    text = value.strip()
    if required and not text:
        raise InvalidInputError.for_field(field, Msg("field.required"))
    if len(text) > max_length:
        raise InvalidInputError.for_field(field, Msg("field.too_long", max=max_length))
    return text


def _digits(text: str, max_digits: int) -> int | None:
    """The number written in decimal digits (any script), or None.

    ``str.isdigit`` also accepts superscripts and circled digits that ``int``
    refuses; those give None too.
    """
    stripped = text.strip()
    if not stripped.isdigit() or len(stripped) > max_digits:
        return None
    try:
        return int(stripped)
    except ValueError:
        return None


def parse_id(field: str, value: object, *, required: bool = True) -> int | None:
    """A record id from an int, an object with an ``id``, or a string of digits."""
    if value is None or value == "":
        if required:
            raise InvalidInputError.for_field(field, Msg("field.required"))
        return None
    if not isinstance(value, (int, str)):
        value = getattr(value, "id", value)
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (digits := _digits(value, 18)) is not None:
        number = digits
    else:
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    if number < 1 or number >= 2**63:
        raise InvalidInputError.for_field(field, Msg("field.not_an_id"))
    return number


def parse_number(field: str, value: object) -> float:
    """A finite number from an int, a float or a decimal string."""
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            raise InvalidInputError.for_field(field, Msg("field.not_a_number")) from None
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,15}(?:[.,]\d{1,6})?\s*", value):
        number = float(value.strip().replace(",", "."))
    else:
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if not math.isfinite(number):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    return number


def parse_quantity(field: str, value: object) -> int:
    """A whole quantity of at least 1."""
    if isinstance(value, bool):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if isinstance(value, str) and (digits := _digits(value, 9)) is not None:
        value = digits
    if not isinstance(value, int):
        raise InvalidInputError.for_field(field, Msg("field.not_a_number"))
    if value < 1:
        raise InvalidInputError.for_field(field, Msg("action.quantity_too_small"))
    return value


def parse_bool(field: str, value: object) -> bool:
    """A yes/no from a bool or the usual form strings."""
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise InvalidInputError.for_field(field, Msg("field.not_a_flag"))


def parse_date(field: str, value: object) -> dt.date:
    """A date from a :class:`datetime.date` or ``YYYY-MM-DD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInputError.for_field(field, Msg("field.not_a_date"))


def parse_datetime(field: str, value: object, tz: dt.tzinfo) -> dt.datetime:
    """An aware UTC datetime from a datetime or an ISO string; naive means local in *tz*."""
    when: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str) and 10 <= len(value.strip()) <= 40:
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        raise InvalidInputError.for_field(field, Msg("field.not_a_datetime"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    try:
        return when.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):  # beyond year 1 or 9999 once in UTC
        raise InvalidInputError.for_field(field, Msg("field.not_a_datetime")) from None


_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


def clean_idempotency_key(value: object) -> str | None:
    """A client's idempotency key (1-200 of ``A-Z a-z 0-9 . _ : -``), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise InvalidInputError.for_field("idempotency_key", Msg("field.idempotency_key"))
    return value


def fingerprint(action: str, values: Mapping[str, object]) -> str:
    """A stable hash of an action and its parsed input (for idempotency keys)."""
    canonical = json.dumps(
        {"action": action, "values": {k: values[k] for k in sorted(values)}},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
