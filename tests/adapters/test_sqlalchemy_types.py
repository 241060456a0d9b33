"""UtcDateTime: aware UTC in, the same instant out as aware UTC, on every driver's form."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from portalkit.adapters.sqlalchemy.types import UtcDateTime

UTC = dt.timezone.utc
OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
# Away from the ends of the range, where converting an offset would overflow.
AWARE = st.datetimes(
    min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=OFFSETS
)
TYPE = UtcDateTime()


def reference(value: dt.datetime) -> dt.datetime:
    """The plain way: naive means UTC, aware is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@given(AWARE)
def test_bind_stores_naive_utc(value: dt.datetime) -> None:
    """Any aware datetime is stored as the naive UTC wall time of the same instant."""
    stored = TYPE.process_bind_param(value, sqlite.dialect())
    assert stored is not None
    assert stored.tzinfo is None
    assert stored == value.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
@given(value=AWARE)
def test_round_trip_keeps_the_instant(dialect: object, value: dt.datetime) -> None:
    """What the driver hands back (ISO text on SQLite, naive datetimes elsewhere) reads
    back as the same instant, as aware UTC."""
    stored = TYPE.process_bind_param(value, dialect)  # type: ignore[arg-type]
    assert stored is not None
    from_driver = stored.isoformat(sep=" ") if dialect.name == "sqlite" else stored  # type: ignore[attr-defined]
    read = TYPE.result_processor(dialect, None)(from_driver)  # type: ignore[arg-type]
    assert read == value
    assert read.tzinfo is UTC
    assert read.replace(tzinfo=None) == stored


@given(value=st.datetimes(), offset=OFFSETS, form=st.sampled_from(["naive", "aware", "T"]))
def test_sqlite_text_forms(value: dt.datetime, offset: dt.timezone, form: str) -> None:
    """Naive text, text with an offset and 'T'-separated text all read like the reference."""
    if form == "naive":
        text = value.isoformat(sep=" ")
        want = reference(value)
    else:
        aware = value.replace(tzinfo=offset)
        try:
            want = aware.astimezone(UTC)
        except OverflowError:
            return
        text = aware.isoformat(sep="T" if form == "T" else " ")
    read = TYPE.result_processor(sqlite.dialect(), None)(text)
    assert read == want
    assert read.tzinfo is UTC


@given(day=st.dates())
def test_sqlite_bare_date_is_midnight_utc(day: dt.date) -> None:
    """A bare date in a datetime column reads as midnight UTC, never as a naive value."""
    read = TYPE.result_processor(sqlite.dialect(), None)(day.isoformat())
    assert read == dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert read.tzinfo is UTC


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_none_stays_none(dialect: object) -> None:
    """NULL is NULL both ways."""
    assert TYPE.process_bind_param(None, dialect) is None  # type: ignore[arg-type]
    assert TYPE.result_processor(dialect, None)(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [dt.datetime(2024, 1, 1), "2024-01-01", 0])
def test_naive_or_other_values_are_refused(value: object) -> None:
    """Only aware datetimes are stored."""
    with pytest.raises(ValueError, match="timezone-aware"):
        TYPE.process_bind_param(value, sqlite.dialect())


@given(AWARE)
def test_process_result_value_matches_reference(value: dt.datetime) -> None:
    """The generic path (str or datetime) agrees with the plain way."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    assert TYPE.process_result_value(naive, sqlite.dialect()) == reference(naive)
    assert TYPE.process_result_value(naive.isoformat(), sqlite.dialect()) == reference(naive)
    assert TYPE.process_result_value(value, sqlite.dialect()) == reference(value)
