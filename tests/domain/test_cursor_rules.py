"""Keyset pagination rules (portalkit.domain.pagination) pinned exactly: sorts, sizes, cursors.

Forged cursors are signed here as CursorCodec signs them (HMAC-SHA256 over the
context, a NUL and the body, cut to 16 bytes), so each check after the MAC is
reached on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import attrs
import pytest

from portalkit.domain.filters import FALSE, Eq, Or, Range, all_of, any_of
from portalkit.domain.pagination import (
    CursorCodec,
    Page,
    SortField,
    Sorting,
    after_filter,
    check_page_size,
)
from portalkit.errors import InvalidInputError

KEY = b"k" * 16
CONTEXT = "tenant:1|user:7"
DAY = SortField("issued_on", nullable=True)
NAME = SortField("name")
ID = SortField("id")
ALLOWED = (DAY, NAME, ID)
SORT_WORDS = "This list cannot be sorted that way."
CURSOR_WORDS = "This page link is not valid."


@attrs.frozen
class Doc:
    """A record with a nullable date, a name and an id."""

    id: int
    issued_on: dt.date | dt.datetime | None
    name: str = "n"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _forge(body: object, context: str = CONTEXT) -> str:
    """A cursor with *body* (JSON-encoded unless bytes) and a valid MAC for *context*."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    mac = hmac.new(KEY, context.encode() + b"\x00" + raw, hashlib.sha256).digest()[:16]
    return _b64(raw) + "." + _b64(mac)


def _refused(cursor: object, sorting: Sorting, context: str = CONTEXT) -> None:
    with pytest.raises(InvalidInputError) as caught:
        CursorCodec(KEY).decode(cursor, sorting, context)
    assert caught.value.fields == {"cursor": CURSOR_WORDS}


@pytest.mark.parametrize(
    ("sort", "key", "order_by"),
    [("issued_on", "issued_on", ("issued_on", "id")),
     ("-issued_on", "-issued_on", ("-issued_on", "-id")),
     ("id", "id", ("id",)), ("-id", "-id", ("-id",)), ("name", "name", ("name", "id"))],
)
def test_a_sort_is_one_allowed_field_then_id_the_same_way(
    sort: str, key: str, order_by: tuple[str, ...]
) -> None:
    """The parsed sort keeps its spelling; storage orders by it, then by id (once for id)."""
    sorting = Sorting.parse(sort, ALLOWED)
    assert (sorting.key, sorting.order_by) == (key, order_by)


@pytest.mark.parametrize("sort", ["serial", "-serial", "--name", "+name", "", None, 5])
def test_any_other_sort_is_refused_in_words(sort: object) -> None:
    """Not allowlisted, or not text: the sort field is named."""
    with pytest.raises(InvalidInputError) as caught:
        Sorting.parse(sort, ALLOWED)  # type: ignore[arg-type]
    assert caught.value.fields == {"sort": SORT_WORDS}


def test_the_values_a_cursor_remembers() -> None:
    """The sort field's value and the id; for an id sort, the id alone."""
    doc = Doc(id=4, issued_on=dt.date(2026, 1, 5), name="x")
    assert Sorting(DAY, False).values_of(doc) == [dt.date(2026, 1, 5), 4]
    assert Sorting(ID, True).values_of(doc) == [4]


@pytest.mark.parametrize("size", [1, 200])
def test_page_sizes_from_1_to_200_are_accepted(size: int) -> None:
    """Both ends of the range are sizes."""
    assert check_page_size(size) == size


@pytest.mark.parametrize("size", [0, 201, -1, True, "5", 5.0, None])
def test_other_page_sizes_are_refused_in_words(size: object) -> None:
    """Outside 1..200, a bool or not an int: the size field names the range."""
    with pytest.raises(InvalidInputError) as caught:
        check_page_size(size)
    assert caught.value.fields == {"size": "The page size must be between 1 and 200."}


def test_after_filters_are_exactly_the_later_records() -> None:
    """Ascending: greater, or equal with a greater id; NULLs come last; descending mirrors."""
    day = dt.date(2026, 1, 5)
    assert after_filter(Sorting(DAY, False), [day, 9]) == any_of(
        Range("issued_on", low=day, include_low=False), Eq("issued_on", None),
        all_of(Eq("issued_on", day), Range("id", low=9, include_low=False)),
    )
    assert after_filter(Sorting(NAME, True), ["m", 9]) == Or((
        Range("name", high="m"), all_of(Eq("name", "m"), Range("id", high=9)),
    ))
    assert after_filter(Sorting(ID, False), [9]) == Range("id", low=9, include_low=False)
    assert after_filter(Sorting(ID, True), [9]) == Range("id", high=9)
    # Nothing sorts after NULL on the field itself: only NULLs with a later id.
    assert after_filter(Sorting(DAY, False), [None, 9]) == all_of(
        Eq("issued_on", None), Range("id", low=9, include_low=False)
    )
    assert after_filter(Sorting(DAY, True), [None, 9]) != FALSE


def test_a_cursor_is_the_sort_and_values_as_compact_json_then_a_mac() -> None:
    """The body is the sort key and the values (dates tagged d, datetimes t)."""
    codec = CursorCodec(KEY)
    when = dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.timezone.utc)
    cursor = codec.encode(Sorting(DAY, True), Doc(id=7, issued_on=when), CONTEXT)
    body = b'["-issued_on",[{"t":"2026-01-05T08:30:00+00:00"},7]]'
    assert cursor == _forge(body)
    day_cursor = codec.encode(Sorting(DAY, False), Doc(id=7, issued_on=dt.date(2026, 1, 5)),
                              CONTEXT)
    assert day_cursor == _forge(b'["issued_on",[{"d":"2026-01-05"},7]]')
    assert codec.decode(cursor, Sorting(DAY, True), CONTEXT) == [when, 7]
    assert codec.decode(day_cursor, Sorting(DAY, False), CONTEXT) == [dt.date(2026, 1, 5), 7]


def test_plain_values_null_and_text_come_back_as_they_went() -> None:
    """None, text and ints travel untagged."""
    codec = CursorCodec(KEY)
    for value in (None, "Ann", 12):
        doc = Doc(id=3, issued_on=None, name=value)  # type: ignore[arg-type]
        sorting = Sorting(SortField("name", nullable=True), False)
        assert codec.decode(codec.encode(sorting, doc, CONTEXT), sorting, CONTEXT) == [value, 3]


def test_a_value_a_cursor_cannot_hold_is_a_type_error() -> None:
    """Only None, bools, ints, text, dates and datetimes go into a cursor."""
    with pytest.raises(TypeError, match="cannot put float in a cursor"):
        CursorCodec(KEY).encode(Sorting(NAME, False), Doc(id=1, issued_on=None, name=1.5),  # type: ignore[arg-type]
                                CONTEXT)


def test_a_cursor_key_needs_16_bytes() -> None:
    """15 bytes are refused; 16 are enough."""
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CursorCodec(b"k" * 15)
    CursorCodec(b"k" * 16)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(["issued_on", [{"t": "2026-01-05T08:30:00"}, 7]], id="naive-datetime"),
        pytest.param(["issued_on", [{"x": "2026-01-05"}, 7]], id="unknown-tag"),
        pytest.param(["issued_on", [{"d": 20260105}, 7]], id="date-not-text"),
        pytest.param(["issued_on", [{"t": 5}, 7]], id="datetime-not-text"),
        pytest.param(["issued_on", [{"d": "2026-01-05", "t": "x"}, 7]], id="two-tags"),
        pytest.param(["issued_on", [1.5, 7]], id="float"),
        pytest.param(["issued_on", ["2026-01-05", "7"]], id="id-not-int"),
        pytest.param(["issued_on", ["2026-01-05", True]], id="id-bool"),
        pytest.param(["issued_on", [7]], id="too-few-values"),
        pytest.param(["issued_on", [None, 7, 8]], id="too-many-values"),
        pytest.param(["-issued_on", [None, 7]], id="other-direction"),
        pytest.param(["name", [None, 7]], id="other-field"),
        pytest.param({"issued_on": [None, 7]}, id="not-a-list"),
        pytest.param(["issued_on"], id="no-values"),
    ],
)
def test_a_signed_cursor_with_a_bad_body_is_refused(body: object) -> None:
    """A valid MAC does not make a body acceptable: shape, tags, sort and id are checked."""
    _refused(_forge(body), Sorting(DAY, False))


def test_a_signed_cursor_that_is_not_json_is_refused() -> None:
    """Bytes that are not JSON, or not UTF-8, are refused like any bad cursor."""
    _refused(_forge(b"not json"), Sorting(DAY, False))
    _refused(_forge(b"\xff\xfe"), Sorting(DAY, False))


def test_a_good_body_passes_only_with_its_own_context() -> None:
    """The same body signed for another context is refused."""
    body = ["issued_on", [None, 7]]
    assert CursorCodec(KEY).decode(_forge(body), Sorting(DAY, False), CONTEXT) == [None, 7]
    _refused(_forge(body, context="tenant:1|user:8"), Sorting(DAY, False))
    _refused(_forge(body, context=CONTEXT + "\x00"), Sorting(DAY, False))


def test_an_id_cursor_holds_one_value() -> None:
    """For an id sort one value is right and two are refused."""
    assert CursorCodec(KEY).decode(_forge(["-id", [7]]), Sorting(ID, True), CONTEXT) == [7]
    _refused(_forge(["-id", [7, 8]]), Sorting(ID, True))


def test_non_canonical_or_oversized_cursors_are_refused() -> None:
    """Padding, extra dots, a third part, or more than 1024 characters: refused."""
    good = _forge(["issued_on", [None, 7]])
    body, mac = good.split(".")
    _refused(body + "=." + mac, Sorting(DAY, False))
    _refused(good + ".", Sorting(DAY, False))
    _refused(body, Sorting(DAY, False))
    _refused("", Sorting(DAY, False))
    _refused(None, Sorting(DAY, False))
    long_body = ["issued_on", ["x" * 760, 7]]
    assert len(_forge(long_body)) > 1024
    _refused(_forge(long_body), Sorting(NAME, False))
    fits = ["name", ["x" * 730, 7]]
    assert len(_forge(fits)) <= 1024
    assert CursorCodec(KEY).decode(_forge(fits), Sorting(NAME, False), CONTEXT) == ["x" * 730, 7]


def test_a_page_iterates_and_counts_its_items() -> None:
    """A Page is its items: iteration and len() read them."""
    page = Page((1, 2, 3), next_cursor="c")
    assert list(page) == [1, 2, 3]
    assert len(page) == 3


def test_the_key_length_error_says_what_is_needed() -> None:
    """The exact words, for the host that configured a short key."""
    with pytest.raises(ValueError, match=r"^cursor keys must be at least 16 bytes$"):
        CursorCodec(b"k" * 15)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([{"x": "2026-01-05T08:30:00+00:00"}, 7], id="unknown-tag-aware-text"),
        pytest.param([[5], 7], id="list-value"),
    ],
)
def test_only_tagged_dates_and_datetimes_decode(raw: object) -> None:
    """A one-item mapping with another tag, or a one-item list, is not a value."""
    _refused(_forge(["issued_on", raw]), Sorting(DAY, False))



def test_a_cursor_with_non_ascii_text_is_refused() -> None:
    """Characters outside base64's alphabet never pass, even with a valid cursor around them."""
    good = _forge(["issued_on", [None, 7]])
    body, mac = good.split(".")
    _refused(body[:4] + "\u00e9" + body[4:] + "." + mac, Sorting(DAY, False))
    _refused(good + "\u00e9", Sorting(DAY, False))
