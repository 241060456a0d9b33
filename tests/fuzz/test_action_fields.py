"""Fuzzing the form-field parsers of customer actions (ids, numbers, dates, keys, text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.actions import (
    check_fields,
    clean_idempotency_key,
    clean_text,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_number,
    parse_quantity,
)
from portalkit.errors import InvalidInputError
from tests.fuzz.hostile import ANY_INPUT, FUZZ, typed

# What a form or JSON field could hold: digits of every script, huge numbers,
# dates at the ends of the calendar, objects with an ``id``.
FIELD_VALUES = (
    ANY_INPUT
    | st.integers(-(2**80), 2**80)
    | st.sampled_from(
        ["\u00b2", "\u00b9\u00b2\u00b3", "\u0661\u0662\u0663", "\u2460", "\U0001d7d7",
         "0", "-1", "1e400", " 7 ", "1,5"]
    )
    | st.text(alphabet="0123456789\u00b2\u00b3\u0661\u0662\U0001d7d7\u066b,.-+ ", max_size=20)
    | st.datetimes().map(dt.datetime.isoformat)
    | st.sampled_from(
        ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+05:00",
         "9999-12-31T23:59:59-05:00", "2026-02-30", "2026-01-01T25:00:00Z"]
    )
    | st.datetimes(timezones=st.timezones())
    | st.dates()
)
ZONES = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=14)),
                         dt.timezone(dt.timedelta(hours=-12))])


@FUZZ
@given(FIELD_VALUES)
def test_scalar_parsers_take_anything(value: Any) -> None:
    """Every field parser gives its value or InvalidInputError for its field."""
    for parse in (parse_id, parse_number, parse_quantity, parse_bool, parse_date):
        result = typed(parse, "field", value)
        if isinstance(result, InvalidInputError):
            assert set(result.fields) == {"field"}
    ident = typed(parse_id, "field", value)
    if isinstance(ident, int):
        assert 1 <= ident < 2**63


@FUZZ
@given(FIELD_VALUES, ZONES)
def test_datetime_parser_takes_anything(value: Any, zone: dt.tzinfo) -> None:
    """A date and time in any form, read in any zone, is an aware UTC datetime
    or InvalidInputError."""
    result = typed(parse_datetime, "when", value, zone)
    if isinstance(result, dt.datetime):
        assert result.utcoffset() == dt.timedelta(0)
    else:
        assert set(result.fields) == {"when"}


@FUZZ
@given(ANY_INPUT, st.integers(1, 5000), st.booleans())
def test_text_and_keys_take_anything(value: Any, limit: int, required: bool) -> None:
    """Free text is bounded and stripped, idempotency keys are well-formed, or the
    refusal is typed."""
    text = typed(clean_text, "notes", value, max_length=limit, required=required)
    if isinstance(text, str):
        assert len(text) <= limit
        assert text == text.strip()
    key = typed(clean_idempotency_key, value)
    if isinstance(key, str):
        assert 1 <= len(key) <= 200


@FUZZ
@given(st.dictionaries(st.text() | st.integers(), ANY_INPUT, max_size=30))
def test_unexpected_fields_are_refused(payload: dict[Any, Any]) -> None:
    """A payload with fields an action does not read is refused, naming at most
    20 of them, each cut to 64 characters."""
    result = typed(check_fields, payload, ["description"])
    if isinstance(result, InvalidInputError):
        assert 1 <= len(result.fields) <= 20
        assert all(len(name) <= 64 for name in result.fields)
