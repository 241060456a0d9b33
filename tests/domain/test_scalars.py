"""The storable-value rules: what every database column can take, and nothing else."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.scalars import (
    EARLIEST,
    INT64_MAX,
    INT64_MIN,
    LATEST,
    MAX_DURATION,
    MAX_TEXT_LENGTH,
    check_date,
    check_id,
    check_int,
    check_number,
    check_text,
    check_value,
    lookup_id,
    storable_text,
)
from portalkit.errors import InvalidInputError, NotFoundError


@given(st.integers())
def test_ids_are_exactly_the_64_bit_ints(value: int) -> None:
    """An int is an id to store when it fits 64 bits; beyond, a lookup is "not found"."""
    fits = INT64_MIN <= value <= INT64_MAX
    if fits:
        assert check_id("asset", value) == value
        assert lookup_id("asset", value) == value
        assert check_int("size", value) == value
    else:
        with pytest.raises(InvalidInputError) as caught:
            check_id("asset", value)
        assert set(caught.value.fields) == {"asset"}
        with pytest.raises(NotFoundError) as missing:
            lookup_id("asset", value)
        assert type(missing.value) is NotFoundError  # the same answer as a missing id
        with pytest.raises(InvalidInputError):
            check_int("size", value)


@pytest.mark.parametrize("value", [True, False, "1", 1.0, None, b"1"])
def test_a_bool_or_text_is_not_an_id(value: object) -> None:
    """A bool is an int to Python, never an id to portalkit; nor is text or a float."""
    for check in (check_id, lookup_id, check_int):
        with pytest.raises(InvalidInputError):
            check("asset", value)


@given(st.text())  # no surrogates: every such text is valid UTF-8
def test_text_without_nul_is_storable(text: str) -> None:
    """Every encodable text without NUL is storable; with NUL it is not."""
    assert storable_text(text) is ("\x00" not in text)


@given(st.text(max_size=5), st.characters(categories=["Cs"]), st.text(max_size=5))
def test_a_lone_surrogate_is_refused(before: str, surrogate: str, after: str) -> None:
    """Text Python holds but UTF-8 cannot encode is refused with the field named."""
    with pytest.raises(InvalidInputError) as caught:
        check_text("description", before + surrogate + after)
    assert set(caught.value.fields) == {"description"}


def test_text_length_and_nul_messages() -> None:
    """Too long says the limit; NUL says NUL; the limit is the field's own when shorter."""
    assert check_text("notes", "x" * MAX_TEXT_LENGTH) == "x" * MAX_TEXT_LENGTH
    with pytest.raises(InvalidInputError, match=str(MAX_TEXT_LENGTH)):
        check_text("notes", "x" * (MAX_TEXT_LENGTH + 1))
    with pytest.raises(InvalidInputError, match="20"):
        check_text("name", "x" * 21, max_length=20)
    with pytest.raises(InvalidInputError, match="NUL"):
        check_text("name", "a\x00b")


@given(st.floats() | st.decimals() | st.integers())
def test_numbers_are_finite(value: Any) -> None:
    """NaN and infinity are refused; every finite float or decimal is a number."""
    finite = (
        INT64_MIN <= value <= INT64_MAX
        if isinstance(value, int)
        else math.isfinite(value) if isinstance(value, float) else value.is_finite()
    )
    if finite:
        assert check_number("value", value) == value
    else:
        with pytest.raises(InvalidInputError):
            check_number("value", value)


@given(st.dates())
def test_dates_are_within_the_sane_range(day: dt.date) -> None:
    """A date between EARLIEST and LATEST passes; any other is refused (no overflow later)."""
    if EARLIEST <= day <= LATEST:
        assert check_date("on", day) == day
    else:
        with pytest.raises(InvalidInputError):
            check_date("on", day)


@given(st.datetimes(timezones=st.timezones() | st.none()))
def test_datetimes_within_range_convert_to_utc_without_overflow(when: dt.datetime) -> None:
    """An accepted datetime can be moved to UTC and a year added without overflow."""
    try:
        check_date("at", when)
    except InvalidInputError:
        assert not EARLIEST <= when.date() <= LATEST
        return
    if when.tzinfo is not None:
        when.astimezone(dt.timezone.utc)
    _ = when + dt.timedelta(days=366) - dt.timedelta(days=732)


# Short ids: mutmut passes each test id on a command line, and repr() of the
# long text or of a lone surrogate cannot be selected from one.
HOSTILE = [
    pytest.param(2**63, id="int-above-64-bits"),
    pytest.param(-(2**63) - 1, id="int-below-64-bits"),
    pytest.param("a\x00", id="text-with-nul"),
    pytest.param("\ud800", id="text-lone-surrogate"),
    pytest.param("x" * (MAX_TEXT_LENGTH + 1), id="text-too-long"),
    pytest.param(math.nan, id="float-nan"),
    pytest.param(-math.inf, id="float-minus-inf"),
    pytest.param(decimal.Decimal("NaN"), id="decimal-nan"),
    pytest.param(dt.date.max, id="date-after-latest"),
    pytest.param(dt.datetime.min, id="datetime-before-earliest"),
    pytest.param(MAX_DURATION + dt.timedelta(days=1), id="duration-too-long"),
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("shape", ["bare", "list", "tuple", "set", "dict value", "nested"])
def test_check_value_looks_into_containers(value: object, shape: str) -> None:
    """A hostile scalar is found wherever it sits in lists, tuples, sets and mappings."""
    wrapped: object = {
        "bare": value,
        "list": [1, value],
        "tuple": ("a", value),
        "set": frozenset({value}),
        "dict value": {"notes": value},
        "nested": {"items": [{"quantity": value}]},
    }[shape]
    with pytest.raises(InvalidInputError):
        check_value("payload", wrapped)


def test_check_value_names_the_mapping_key_and_leaves_iterators_alone() -> None:
    """A bad value in a mapping names its key; iterators are not consumed."""
    with pytest.raises(InvalidInputError) as caught:
        check_value("payload", {"description": "\x00"})
    assert set(caught.value.fields) == {"description"}
    lazy = iter([math.nan])
    check_value("contacts", lazy)
    assert next(lazy) is not None


def test_a_lookup_beyond_64_bits_is_not_found() -> None:
    """With lookup, an id beyond 64 bits is NotFoundError; as a value to store, invalid."""
    with pytest.raises(NotFoundError):
        check_value("asset_id", 2**64, lookup=True)
    with pytest.raises(InvalidInputError) as caught:
        check_value("asset", 2**64)
    assert caught.value.fields == {"asset": "Choose an item from the list."}
