"""Fuzzing keyset pagination: cursors, sort parameters and page sizes from the query string."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.pagination import (
    MAX_PAGE_SIZE,
    CursorCodec,
    SortField,
    Sorting,
    check_page_size,
)
from portalkit.errors import InvalidInputError
from tests.fuzz.hostile import ANY_INPUT, FUZZ, typed

KEY = b"cursor-fuzz-key-0123456789abcdef"
CODEC = CursorCodec(KEY)
FIELDS = (SortField("issued_on", nullable=True), SortField("number"), SortField("id"))
SORTS = st.sampled_from(["issued_on", "-issued_on", "number", "-number", "id", "-id"])
CONTEXT = "tenant:1|user:7|kind=invoice"


@attrs.frozen
class _Record:
    id: int
    issued_on: dt.date | None
    number: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(body: bytes, context: str = CONTEXT) -> str:
    """A cursor with a valid MAC over an arbitrary body (what only the key holder can make)."""
    mac = hmac.new(KEY, context.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]
    return _b64(body) + "." + _b64(mac)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@FUZZ
@given(SORTS, ANY_INPUT)
def test_decode_takes_anything(sort: str, cursor: Any) -> None:
    """Any input in place of a cursor is refused with InvalidInputError for ``cursor``."""
    sorting = Sorting.parse(sort, FIELDS)
    result = typed(CODEC.decode, cursor, sorting, CONTEXT)
    assert isinstance(result, InvalidInputError)
    assert set(result.fields) == {"cursor"}


@FUZZ
@given(SORTS, JSON_VALUES | st.binary(max_size=200))
def test_signed_garbage_is_refused_not_crashed(sort: str, body: Any) -> None:
    """Even a correctly signed cursor with a body of any shape (only a key leak
    could produce one) decodes to sort values or InvalidInputError, nothing else."""
    sorting = Sorting.parse(sort, FIELDS)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    result = typed(CODEC.decode, _signed(raw), sorting, CONTEXT)
    if not isinstance(result, InvalidInputError):
        assert isinstance(result, list)
        assert isinstance(result[-1], int)


@FUZZ
@given(
    SORTS,
    st.integers(1, 2**62),
    st.none() | st.dates(),
    st.text(max_size=40),
    st.integers(0, 200),
    st.sampled_from("A-_.x=é"),
)
def test_round_trip_and_tampering(
    sort: str, record_id: int, issued: dt.date | None, number: str, where: int, char: str
) -> None:
    """A cursor decodes back to the record's sort values; changing one character,
    the sort or the context makes it a typed refusal."""
    sorting = Sorting.parse(sort, FIELDS)
    record = _Record(id=record_id, issued_on=issued, number=number)
    cursor = CODEC.encode(sorting, record, CONTEXT)
    assert CODEC.decode(cursor, sorting, CONTEXT) == sorting.values_of(record)
    position = where % len(cursor)
    changed = cursor[:position] + char + cursor[position + 1 :]
    if changed != cursor:
        assert isinstance(typed(CODEC.decode, changed, sorting, CONTEXT), InvalidInputError)
    assert isinstance(typed(CODEC.decode, cursor, sorting, CONTEXT + "x"), InvalidInputError)


@FUZZ
@given(ANY_INPUT)
def test_sort_parameter_takes_anything(sort: Any) -> None:
    """Any sort parameter is an allowlisted Sorting or InvalidInputError for ``sort``."""
    result = typed(Sorting.parse, sort, FIELDS)
    if isinstance(result, Sorting):
        assert result.field in FIELDS
    else:
        assert set(result.fields) == {"sort"}


@FUZZ
@given(ANY_INPUT | st.integers(-(2**70), 2**70))
def test_page_size_takes_anything(size: Any) -> None:
    """Any page size is an int in 1..MAX_PAGE_SIZE or InvalidInputError for ``size``."""
    result = typed(check_page_size, size)
    if isinstance(result, int):
        assert 1 <= result <= MAX_PAGE_SIZE
    else:
        assert set(result.fields) == {"size"}
