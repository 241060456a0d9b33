"""The storable-value rules: what every database column can take, and nothing else."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.i18n import Msg
from portalkit.domain.scalars import (
    EARLIEST,
    INT64_MAX,
    INT64_MIN,
    LATEST,
    MAX_DURATION,
    MAX_TEXT_LENGTH,
    check_date,
    check_duration,
    check_id,
    check_int,
    check_number,
    check_text,
    check_value,
    lookup_id,
    names_record,
    storable,
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


def _refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """The one field an InvalidInputError names, and its message code."""
    with pytest.raises(InvalidInputError) as caught:
        call(*args, **kwargs)
    ((field, message),) = caught.value.fields.items()
    assert isinstance(message, Msg)
    return field, message.code


@pytest.mark.parametrize("value", [INT64_MIN, INT64_MAX, 0])
def test_the_64_bit_bounds_themselves_are_ids(value: int) -> None:
    """The smallest and largest 64-bit ints are ids and whole numbers; one beyond is not."""
    assert check_id("asset", value) == value
    assert lookup_id("asset", value) == value
    assert check_int("size", value) == value


@pytest.mark.parametrize("value", [INT64_MIN - 1, INT64_MAX + 1])
def test_one_beyond_64_bits_names_its_field(value: int) -> None:
    """The refusal names the field with the id or number message."""
    assert _refusal(check_id, "asset", value) == ("asset", "field.not_an_id")
    assert _refusal(check_int, "size", value) == ("size", "field.not_a_number")
    assert _refusal(check_number, "amount", value) == ("amount", "field.not_a_number")


@pytest.mark.parametrize("value", [True, "1", 1.0])
def test_a_non_id_names_its_field(value: object) -> None:
    """Not an int at all: the field is named, with the id or number message."""
    assert _refusal(check_id, "asset", value) == ("asset", "field.not_an_id")
    assert _refusal(lookup_id, "asset", value) == ("asset", "field.not_an_id")
    assert _refusal(check_int, "size", value) == ("size", "field.not_a_number")


def test_a_whole_number_may_sit_on_its_own_bounds() -> None:
    """check_int's minimum and maximum are inclusive; one beyond either is refused."""
    assert check_int("quantity", 1, minimum=1, maximum=5) == 1
    assert check_int("quantity", 5, minimum=1, maximum=5) == 5
    for value in (0, 6):
        assert _refusal(check_int, "quantity", value, minimum=1, maximum=5) == (
            "quantity", "field.not_a_number",
        )


@pytest.mark.parametrize("value", ["1", None, math.inf, decimal.Decimal("-Infinity"), True])
def test_a_non_number_names_its_field(value: object) -> None:
    """Text, None, an infinity or a bool is not a number, for the named field."""
    assert _refusal(check_number, "amount", value) == ("amount", "field.not_a_number")


def test_the_first_and_last_day_are_dates() -> None:
    """EARLIEST and LATEST themselves pass, as dates and as datetimes."""
    for day in (EARLIEST, LATEST):
        assert check_date("on", day) == day
        when = dt.datetime.combine(day, dt.time(12))
        assert check_date("at", when) == when


def test_a_day_beyond_the_range_says_date_or_datetime() -> None:
    """The day before EARLIEST or after LATEST is refused with the matching message."""
    before = EARLIEST - dt.timedelta(days=1)
    after = LATEST + dt.timedelta(days=1)
    for day in (before, after):
        assert _refusal(check_date, "on", day) == ("on", "field.not_a_date")
        when = dt.datetime.combine(day, dt.time(0))
        assert _refusal(check_date, "at", when) == ("at", "field.not_a_datetime")
    assert _refusal(check_date, "on", "2026-01-01") == ("on", "field.not_a_date")


def test_a_duration_may_be_the_maximum_either_way() -> None:
    """MAX_DURATION forwards or backwards passes; a microsecond more is refused."""
    tick = dt.timedelta(microseconds=1)
    assert check_duration("horizon", MAX_DURATION) == MAX_DURATION
    assert check_duration("horizon", -MAX_DURATION) == -MAX_DURATION
    assert check_duration("horizon", dt.timedelta(0)) == dt.timedelta(0)
    for value in (MAX_DURATION + tick, -MAX_DURATION - tick, 5, "1 day"):
        assert _refusal(check_duration, "horizon", value) == ("horizon", "field.not_a_number")


def test_each_text_refusal_has_its_own_message() -> None:
    """Not text, too long (with the limit), NUL, a lone surrogate: one code each."""
    assert _refusal(check_text, "notes", 5) == ("notes", "field.not_text")
    with pytest.raises(InvalidInputError) as caught:
        check_text("name", "x" * 21, max_length=20)
    message = caught.value.fields["name"]
    assert isinstance(message, Msg)
    assert (message.code, message.params) == ("field.too_long", {"max": 20})
    assert _refusal(check_text, "notes", "a\x00") == ("notes", "field.nul_character")
    assert _refusal(check_text, "notes", "a\ud800") == ("notes", "field.bad_characters")


@pytest.mark.parametrize(
    ("field", "expected"),
    [("contact_id", True), ("asset", True), ("new_parent", True), ("quantity", False),
     ("id_card", False), ("asset_ID", False)],
)
def test_an_int_names_a_record_in_id_fields_and_record_names(field: str, expected: bool) -> None:
    """'*_id' (lower case) and the record names (asset, site, ...) hold record ids."""
    assert names_record(field) is expected


def test_a_bool_or_none_is_left_alone_by_check_value() -> None:
    """check_value takes True, False and None as they are (their columns check them)."""
    for value in (True, False, None):
        check_value("flag", value)
        check_value("flag", value, lookup=True)


class _Text(str):
    """A str subclass (such as i18n.Msg) is text too."""


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("notes", _Text("a\x00"), "field.nul_character"),
        ("asset_id", INT64_MAX + 1, "field.not_an_id"),
        ("quantity", INT64_MAX + 1, "field.not_a_number"),
        ("amount", math.nan, "field.not_a_number"),
        ("on", dt.date.max, "field.not_a_date"),
        ("horizon", MAX_DURATION * 2, "field.not_a_number"),
    ],
    ids=["str-subclass", "record-id", "whole-number", "float", "date", "duration"],
)
def test_check_value_names_the_field_with_the_rule_of_the_values_kind(
    field: str, value: object, code: str
) -> None:
    """Each kind of value gets its own rule and message, for the field given."""
    assert _refusal(check_value, field, value) == (field, code)


def test_a_lookup_applies_to_the_id_given_and_names_its_field() -> None:
    """With lookup, an int in range passes and text is still checked as text."""
    check_value("asset_id", INT64_MAX, lookup=True)
    assert _refusal(check_value, "asset_id", "\x00", lookup=True) == (
        "asset_id", "field.nul_character",
    )


def test_mapping_keys_are_checked_under_the_mappings_field() -> None:
    """A bad key is named by the mapping's field; a non-text key's value by it too."""
    assert _refusal(check_value, "payload", {"a\x00": 1}) == ("payload", "field.nul_character")
    assert _refusal(check_value, "payload", {5: "a\x00"}) == ("payload", "field.nul_character")


def test_a_long_key_names_its_field_by_its_first_64_characters() -> None:
    """Field names are cut to 64 characters, however long the key."""
    key = "k" * 70
    assert _refusal(check_value, "payload", {key: math.inf}) == ("k" * 64, "field.not_a_number")


def test_good_values_of_every_kind_pass_check_value() -> None:
    """An id, a whole number, a float, a decimal, a date, a duration and text all pass."""
    check_value(
        "payload",
        {
            "asset_id": INT64_MAX, "quantity": INT64_MIN, "amount": 1.5,
            "price": decimal.Decimal("9.99"), "on": LATEST, "horizon": MAX_DURATION,
            "notes": "ok", "tags": ["a", ("b", frozenset({1}))],
        },
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ok", True), ("a\x00", False), ("\ud800", False), (INT64_MAX, True), (INT64_MIN, True),
     (INT64_MAX + 1, False), (INT64_MIN - 1, False), (1.5, True), (math.nan, False),
     (math.inf, False), (b"\x00", True), (None, True), (dt.date.max, True)],
    ids=["text", "text-nul", "text-surrogate", "int-max", "int-min", "int-above", "int-below",
         "float", "nan", "inf", "bytes", "none", "date"],
)
def test_storable_is_what_a_bound_statement_value_may_be(value: object, expected: bool) -> None:
    """Text storable, ints within 64 bits, finite floats; anything else is its column's business."""
    assert storable(value) is expected
