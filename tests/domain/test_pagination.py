"""Keyset pagination: stable order, the "after" filter, signed cursors, page sizes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.filters import all_of, evaluate
from portalkit.domain.pagination import (
    MAX_PAGE_SIZE,
    CursorCodec,
    SortField,
    Sorting,
    after_filter,
    check_page_size,
)
from portalkit.errors import InvalidInputError

KEY = b"k" * 32
FIELDS = (SortField("day", nullable=True), SortField("name"), SortField("id"))


@attrs.frozen
class Row:
    """A record with a nullable date, a string and an id."""

    id: int
    day: dt.date | None
    name: str


def _storage_order(rows: list[Row], sorting: Sorting) -> list[Row]:
    """How both adapters sort: the field (NULLs last either way), then id, same direction."""
    name = sorting.field.name
    desc = sorting.descending

    def key(row: Row) -> tuple[Any, ...]:
        value = getattr(row, name)
        return (value is None, value if value is not None else 0, row.id)

    nonnull = sorted((r for r in rows if getattr(r, name) is not None), key=key, reverse=desc)
    nulls = sorted((r for r in rows if getattr(r, name) is None), key=lambda r: r.id, reverse=desc)
    return nonnull + nulls


rows_strategy = st.lists(
    st.builds(
        Row,
        id=st.integers(1, 10_000),
        day=st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 5)),
        name=st.sampled_from(["a", "b", "B", "ä", "c"]),
    ),
    unique_by=lambda r: r.id,
    max_size=30,
)
sortings = st.builds(Sorting, st.sampled_from(FIELDS), st.booleans())


@given(rows=rows_strategy, sorting=sortings, size=st.integers(1, 7))
def test_walking_pages_visits_every_record_once_in_order(
    rows: list[Row], sorting: Sorting, size: int
) -> None:
    """Pages built with after_filter() and a cursor concatenate to the full order."""
    codec = CursorCodec(KEY)
    ordered = _storage_order(rows, sorting)
    walked: list[Row] = []
    cursor: str | None = None
    while True:
        where = all_of()
        if cursor is not None:
            where = after_filter(sorting, codec.decode(cursor, sorting, "ctx"))
        page = [r for r in ordered if evaluate(where, r)][: size + 1]
        walked.extend(page[:size])
        if len(page) <= size:
            break
        cursor = codec.encode(sorting, page[size - 1], "ctx")
    assert walked == ordered


@given(rows=rows_strategy, sorting=sortings)
def test_after_filter_holds_exactly_for_later_records(rows: list[Row], sorting: Sorting) -> None:
    """For each record, after_filter(its values) holds exactly for the records after it."""
    ordered = _storage_order(rows, sorting)
    for i, row in enumerate(ordered):
        spec = after_filter(sorting, sorting.values_of(row))
        assert [r for r in ordered if evaluate(spec, r)] == ordered[i + 1 :]


def test_sort_must_be_allowlisted() -> None:
    """Only allowlisted fields sort; the order always ends with id."""
    sorting = Sorting.parse("-day", FIELDS)
    assert sorting.order_by == ("-day", "-id")
    assert Sorting.parse("id", FIELDS).order_by == ("id",)
    for bad in ("secret", "-scope_path", "", "--day", 3):
        with pytest.raises(InvalidInputError) as caught:
            Sorting.parse(bad, FIELDS)  # type: ignore[arg-type]
        assert "sort" in caught.value.fields


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1, 10**9, 1.5, "50", True, None])
def test_page_size_is_bounded(size: object) -> None:
    """Page sizes outside 1..200 (or not ints) are InvalidInputError on field 'size'."""
    with pytest.raises(InvalidInputError) as caught:
        check_page_size(size)
    assert "size" in caught.value.fields


def test_page_size_limits_pass() -> None:
    """1 and 200 are allowed."""
    assert check_page_size(1) == 1
    assert check_page_size(MAX_PAGE_SIZE) == MAX_PAGE_SIZE


def test_cursor_round_trip_with_dates() -> None:
    """A cursor gives back the last record's sort values, dates included."""
    codec = CursorCodec(KEY)
    sorting = Sorting.parse("-day", FIELDS)
    cursor = codec.encode(sorting, Row(7, dt.date(2026, 3, 4), "x"), "ctx")
    assert codec.decode(cursor, sorting, "ctx") == [dt.date(2026, 3, 4), 7]
    null_cursor = codec.encode(sorting, Row(8, None, "x"), "ctx")
    assert codec.decode(null_cursor, sorting, "ctx") == [None, 8]


def test_foreign_cursors_are_refused() -> None:
    """A cursor for another context, sort or key is InvalidInputError on field 'cursor'."""
    codec = CursorCodec(KEY)
    sorting = Sorting.parse("name", FIELDS)
    cursor = codec.encode(sorting, Row(1, None, "a"), "ann")
    attempts = [
        (codec, sorting, "dan"),
        (codec, Sorting.parse("-name", FIELDS), "ann"),
        (CursorCodec(b"x" * 32), sorting, "ann"),
    ]
    for other_codec, other_sorting, context in attempts:
        with pytest.raises(InvalidInputError) as caught:
            other_codec.decode(cursor, other_sorting, context)
        assert "cursor" in caught.value.fields


@given(junk=st.text(max_size=200) | st.binary().map(lambda b: b.hex()))
def test_malformed_cursors_are_invalid_input(junk: str) -> None:
    """Any string that is not a genuine cursor raises InvalidInputError, never anything else."""
    codec = CursorCodec(KEY)
    with pytest.raises(InvalidInputError):
        codec.decode(junk, Sorting.parse("id", FIELDS), "ctx")


@given(position=st.integers(0, 200), replacement=st.sampled_from("A_-0z."))
def test_altered_cursors_are_refused(position: int, replacement: str) -> None:
    """Changing any one character of a cursor makes it invalid."""
    codec = CursorCodec(KEY)
    sorting = Sorting.parse("-day", FIELDS)
    cursor = codec.encode(sorting, Row(42, dt.date(2026, 1, 2), "n"), "ctx")
    i = position % len(cursor)
    if cursor[i] == replacement:
        return
    altered = cursor[:i] + replacement + cursor[i + 1 :]
    with pytest.raises(InvalidInputError):
        codec.decode(altered, sorting, "ctx")


def test_short_keys_are_refused() -> None:
    """Cursor keys shorter than 16 bytes are a programming error."""
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")
