"""Keyset pagination: stable order, opaque signed cursors, bounded pages.

A list is sorted by one allowlisted field and then by ``id`` (the tie-breaker
that makes the order total), NULLs last in either direction, as both storage
adapters sort. The next page is "the records after the last one shown",
stated as a :class:`~portalkit.domain.filters.Filter` (:func:`after_filter`),
so it runs inside the same single query as the rest of the list, and a record
inserted meanwhile never shifts or repeats a page.

A cursor carries the sort and the last record's sort values, and a MAC over
them and the list's *context* (the tenant, the principal, the filters): a
cursor that was altered, or that comes from another list or another user, is
refused with :class:`~portalkit.errors.InvalidInputError` (field ``cursor``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from portalkit.domain.filters import FALSE, Eq, Filter, Range, all_of, any_of
from portalkit.errors import InvalidInputError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CursorCodec",
    "Page",
    "SortField",
    "Sorting",
    "after_filter",
    "check_page_size",
]

#: Records per page unless asked otherwise.
DEFAULT_PAGE_SIZE = 50
#: The largest page a caller may ask for.
MAX_PAGE_SIZE = 200

_MAC_BYTES = 16
_MAX_CURSOR = 1024

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page of a list.

    Attributes:
        items: The records on this page, in order.
        next_cursor: Pass it back to get the next page; None on the last page.
        total: How many records the whole list has, when it was asked for.
    """

    items: tuple[T, ...]
    next_cursor: str | None = None
    total: int | None = None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class SortField:
    """A field a list may be sorted on; *nullable* fields sort NULLs last."""

    name: str
    nullable: bool = False


@attrs.frozen
class Sorting:
    """A validated sort: one allowlisted field and a direction, then ``id``."""

    field: SortField
    descending: bool

    @property
    def key(self) -> str:
        """The sort as callers spell it: ``"issued_on"`` or ``"-issued_on"``."""
        return ("-" if self.descending else "") + self.field.name

    @property
    def order_by(self) -> tuple[str, ...]:
        """The storage ``order_by``: the field, then ``id`` in the same direction."""
        sign = "-" if self.descending else ""
        if self.field.name == "id":
            return (sign + "id",)
        return (sign + self.field.name, sign + "id")

    @classmethod
    def parse(cls, sort: str, allowed: Sequence[SortField]) -> Sorting:
        """Validate *sort* (``"field"`` or ``"-field"``) against *allowed*.

        Raises:
            InvalidInputError: the field is not allowlisted (field ``sort``).
        """
        if not isinstance(sort, str):
            raise InvalidInputError.for_field("sort", "This list cannot be sorted that way.")
        descending = sort.startswith("-")
        name = sort[1:] if descending else sort
        for field in allowed:
            if field.name == name:
                return cls(field, descending)
        raise InvalidInputError.for_field("sort", "This list cannot be sorted that way.")

    def values_of(self, record: object) -> list[Any]:
        """The sort values of *record* (what a cursor remembers)."""
        if self.field.name == "id":
            return [getattr(record, "id")]  # noqa: B009
        return [getattr(record, self.field.name), getattr(record, "id")]  # noqa: B009


def check_page_size(size: object) -> int:
    """Return *size* if it is an int in 1..:data:`MAX_PAGE_SIZE`, else raise InvalidInputError."""
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInputError.for_field(
            "size", f"The page size must be between 1 and {MAX_PAGE_SIZE}."
        )
    return size


def _after_one(field: SortField, value: Any, descending: bool) -> Filter:
    """Records whose *field* comes after *value* (NULLs last in both directions)."""
    if value is None:
        return FALSE  # nothing sorts after NULL on this key
    beyond: Filter = (
        Range(field.name, high=value) if descending
        else Range(field.name, low=value, include_low=False)
    )
    return any_of(beyond, Eq(field.name, None)) if field.nullable else beyond


def after_filter(sorting: Sorting, values: Sequence[Any]) -> Filter:
    """The records that come after a record with sort *values* in *sorting*'s order."""
    id_field = SortField("id")
    if sorting.field.name == "id":
        return _after_one(id_field, values[0], sorting.descending)
    value, last_id = values
    return any_of(
        _after_one(sorting.field, value, sorting.descending),
        all_of(Eq(sorting.field.name, value), _after_one(id_field, last_id, sorting.descending)),
    )


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "d" and isinstance(text, str):
            return dt.date.fromisoformat(text)
        if tag == "t" and isinstance(text, str):
            parsed = dt.datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                raise ValueError
            return parsed
    raise ValueError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    data = base64.urlsafe_b64decode(padded.encode())  # non-ASCII fails the check below
    if _b64(data) != text:
        raise ValueError
    return data


class CursorCodec:
    """Makes and reads cursors signed with a key (derived from the portal's secret).

    Args:
        key: At least 16 bytes; a cursor made with one key fails with another.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("cursor keys must be at least 16 bytes")
        self._key = key

    def _mac(self, context: str, body: bytes) -> bytes:
        message = context.encode() + b"\x00" + body
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, sorting: Sorting, record: object, context: str) -> str:
        """The cursor pointing just after *record*, valid only for *context*."""
        body = json.dumps(
            [sorting.key, [_encode_value(v) for v in sorting.values_of(record)]],
            separators=(",", ":"),
        ).encode()
        return _b64(body) + "." + _b64(self._mac(context, body))

    def decode(self, cursor: object, sorting: Sorting, context: str) -> list[Any]:
        """The sort values in *cursor*, checked against *sorting* and *context*.

        Raises:
            InvalidInputError: malformed, altered, or made for another list,
                sort or principal (field ``cursor``).
        """
        bad = InvalidInputError.for_field("cursor", "This page link is not valid.")
        if not isinstance(cursor, str) or len(cursor) > _MAX_CURSOR:
            raise bad
        try:
            body_text, mac_text = cursor.split(".")
            body = _unb64(body_text)
            mac = _unb64(mac_text)
        except (ValueError, UnicodeError, binascii.Error) as exc:
            raise bad from exc
        if not hmac.compare_digest(mac, self._mac(context, body)):
            raise bad
        try:
            key, raw = json.loads(body)
            values = [_decode_value(v) for v in raw]
        except (ValueError, TypeError) as exc:
            raise bad from exc
        expected = 1 if sorting.field.name == "id" else 2
        if key != sorting.key or len(values) != expected:
            raise bad
        if not isinstance(values[-1], int) or isinstance(values[-1], bool):
            raise bad
        return values
