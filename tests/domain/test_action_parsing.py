"""Customer-action input rules (portalkit.domain.actions): each parser's field, code and bounds."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from portalkit.domain.actions import (
    ActionSettings,
    BusinessHours,
    check_fields,
    clean_idempotency_key,
    clean_text,
    fingerprint,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_number,
    parse_quantity,
)
from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def _refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """The one field an InvalidInputError names, and its message code."""
    with pytest.raises(InvalidInputError) as caught:
        call(*args, **kwargs)
    ((field, message),) = caught.value.fields.items()
    assert isinstance(message, Msg)
    return field, message.code


class _Record:
    def __init__(self, id: object) -> None:
        self.id = id


def test_extra_fields_are_listed_cut_to_64_characters_and_20_names() -> None:
    """Each extra field is named (sorted, at most 20, names cut to 64) as not allowed."""
    payload = {f"x{i:02d}": 1 for i in range(25)} | {"note": "ok", "k" * 70: 1}
    with pytest.raises(InvalidInputError) as caught:
        check_fields(payload, ["note"])
    names = list(caught.value.fields)
    assert names[0] == "k" * 64
    assert names[1:] == [f"x{i:02d}" for i in range(19)]
    assert {m.code for m in caught.value.fields.values()} == {"field.not_allowed"}  # type: ignore[attr-defined]
    check_fields({"note": "ok"}, ("note", "when"))


def test_clean_text_strips_and_allows_exactly_the_limit() -> None:
    """None is empty text; the stripped text may be max_length long, not one more."""
    assert clean_text("note", None, max_length=3) == ""
    assert clean_text("note", "  abc  ", max_length=3) == "abc"
    assert _refusal(clean_text, "note", "abcd", max_length=3) == ("note", "field.too_long")
    assert _refusal(clean_text, "note", 5, max_length=3) == ("note", "field.not_text")
    assert _refusal(clean_text, "note", "  ", max_length=3, required=True) == (
        "note", "field.required",
    )
    assert _refusal(clean_text, "note", None, max_length=3, required=True) == (
        "note", "field.required",
    )
    with pytest.raises(InvalidInputError) as caught:
        clean_text("note", "abcd", max_length=3)
    assert caught.value.fields["note"].params == {"max": 3}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), ("42", 42), (" 7 ", 7), (_Record(9), 9), (_Record("12"), 12), (2**63 - 1, 2**63 - 1),
     ("9" * 18, int("9" * 18)), ("٣", 3)],
    ids=["int", "digits", "spaced", "record", "record-text-id", "int64-max", "18-digits",
         "arabic-indic"],
)
def test_ids_from_ints_digits_and_records(value: object, expected: int) -> None:
    """An int, decimal digits (any script, up to 18) or an object's id, from 1 to 2**63-1."""
    assert parse_id("asset", value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, "field.not_an_id"), (-3, "field.not_an_id"), (2**63, "field.not_an_id"),
     (True, "field.not_an_id"), ("1" * 19, "field.not_an_id"), ("²", "field.not_an_id"),
     ("1a", "field.not_an_id"), (1.0, "field.not_an_id"), (_Record(True), "field.not_an_id"),
     (None, "field.required"), ("", "field.required")],
    ids=["zero", "negative", "int64-beyond", "bool", "19-digits", "superscript", "letters",
         "float", "record-bool", "none", "empty"],
)
def test_other_ids_are_refused_for_their_field(value: object, code: str) -> None:
    """Out of range, not digits, a bool or missing: the field is named with why."""
    assert _refusal(parse_id, "asset", value) == ("asset", code)


def test_an_optional_id_may_be_missing() -> None:
    """required=False gives None for None and empty text."""
    assert parse_id("asset", None, required=False) is None
    assert parse_id("asset", "", required=False) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (2.5, 2.5), ("12,5", 12.5), (" -4.25 ", -4.25), ("1" * 15, float("1" * 15)),
     ("0.123456", 0.123456)],
)
def test_numbers_from_ints_floats_and_decimal_text(value: object, expected: float) -> None:
    """Up to 15 digits, a point or comma, up to 6 decimals; surrounding spaces allowed."""
    assert parse_number("reading", value) == expected


@pytest.mark.parametrize(
    "value",
    [True, None, "1" * 16, "1.1234567", "1e5", "abc", float("nan"), float("inf"), 10**400, "--1"],
    ids=["bool", "none", "16-digits", "7-decimals", "exponent", "letters", "nan", "inf",
         "huge-int", "double-minus"],
)
def test_other_numbers_are_refused_for_their_field(value: object) -> None:
    """Anything else is not a number, for the field given."""
    assert _refusal(parse_number, "reading", value) == ("reading", "field.not_a_number")


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), ("3", 3), (" 12 ", 12), ("9" * 9, 10**9 - 1)]
)
def test_quantities_are_whole_and_at_least_one(value: object, expected: int) -> None:
    """An int or up to nine digits, at least 1."""
    assert parse_quantity("quantity", value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, "action.quantity_too_small"), (-1, "action.quantity_too_small"),
     ("0", "action.quantity_too_small"), (True, "field.not_a_number"),
     ("1" * 10, "field.not_a_number"), (1.5, "field.not_a_number"), ("x", "field.not_a_number")],
)
def test_other_quantities_say_why(value: object, code: str) -> None:
    """Too small, or not a whole number: the quantity field is named with why."""
    assert _refusal(parse_quantity, "quantity", value) == ("quantity", code)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (None, False), ("", False), (" Yes ", True), ("on", True),
     ("1", True), ("TRUE", True), ("off", False), ("0", False), ("No", False), ("false", False)],
)
def test_flags_from_bools_and_form_words(value: object, expected: bool) -> None:
    """A bool, or the usual form words in any case; missing is no."""
    assert parse_bool("urgent", value) is expected


@pytest.mark.parametrize("value", ["maybe", 1, 0, "y"])
def test_other_flags_are_refused(value: object) -> None:
    """Anything else is not a flag, for the field given."""
    assert _refusal(parse_bool, "urgent", value) == ("urgent", "field.not_a_flag")


def test_dates_from_dates_datetimes_and_iso_text() -> None:
    """A date, a datetime's date, or YYYY-MM-DD with spaces around."""
    day = dt.date(2026, 3, 1)
    assert parse_date("on", day) == day
    assert parse_date("on", dt.datetime(2026, 3, 1, 23, 59)) == day
    assert parse_date("on", " 2026-03-01 ") == day
    for bad in ("2026-3-1", "2026-02-30", "20260301", 20260301, None):
        assert _refusal(parse_date, "on", bad) == ("on", "field.not_a_date")


def test_datetimes_become_utc_and_naive_ones_are_local() -> None:
    """Aware values convert; naive ones are read in the given zone; Z means UTC."""
    expected = dt.datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    assert parse_datetime("at", dt.datetime(2026, 3, 1, 9, 0), PLUS2) == expected
    assert parse_datetime("at", "2026-03-01T09:00", PLUS2) == expected
    assert parse_datetime("at", " 2026-03-01T07:00Z ", PLUS2) == expected
    assert parse_datetime("at", dt.datetime(2026, 3, 1, 9, 0, tzinfo=PLUS2), UTC) == expected
    assert parse_datetime("at", "2026-03-01", UTC) == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_datetime("at", "2026-03-01T07:00:00.000000+00:00", UTC) == expected


@pytest.mark.parametrize(
    "value",
    ["2026-03-1", "2026-03-01T07:00:00.000000+00:00:00.000000000", "not a date at all",
     None, 5, dt.date(2026, 3, 1), "0001-01-01T00:00"],
    ids=["too-short", "too-long", "words", "none", "int", "date", "before-year-1-in-utc"],
)
def test_other_datetimes_are_refused(value: object) -> None:
    """Outside 10-40 characters, not ISO, not a datetime, or beyond the calendar in UTC."""
    assert _refusal(parse_datetime, "at", value, PLUS2) == ("at", "field.not_a_datetime")


def test_idempotency_keys_are_1_to_200_safe_characters() -> None:
    """Missing gives None; letters, digits and . _ : - up to 200 pass; anything else is named."""
    assert clean_idempotency_key(None) is None
    assert clean_idempotency_key("") is None
    assert clean_idempotency_key("a" * 200) == "a" * 200
    assert clean_idempotency_key("Ab9._:-") == "Ab9._:-"
    for bad in ("a" * 201, "a b", "a/b", 5):
        assert _refusal(clean_idempotency_key, bad) == ("idempotency_key", "field.idempotency_key")


def test_the_fingerprint_is_sha256_of_compact_sorted_json() -> None:
    """The canonical form is fixed, so fingerprints stay equal across releases."""
    when = dt.date(2026, 3, 1)
    canonical = '{"action":"book","values":{"a":1,"when":"2026-03-01"}}'
    assert fingerprint("book", {"when": when, "a": 1}) == hashlib.sha256(
        canonical.encode()
    ).hexdigest()


def test_business_hours_are_sorted_and_checked() -> None:
    """Intervals are kept sorted as HH:MM; weekdays 0-6; closing after opening."""
    hours = BusinessHours([(4, "09:00:00", "12:30"), (0, "08:00:00", "17:00")])
    assert hours.intervals == ((0, "08:00", "17:00"), (4, "09:00", "12:30"))
    assert BusinessHours([(6, "08:00", "08:01")]).intervals == ((6, "08:00", "08:01"),)
    with pytest.raises(InvalidInputError) as caught:
        BusinessHours([(7, "08:00", "17:00")])
    assert caught.value.fields == {"business_hours": "Weekdays are 0 (Monday) to 6."}
    with pytest.raises(InvalidInputError) as caught:
        BusinessHours([(-1, "08:00", "17:00")])
    assert caught.value.fields == {"business_hours": "Weekdays are 0 (Monday) to 6."}
    with pytest.raises(InvalidInputError) as caught:
        BusinessHours([(1, "08:00", "08:00")])
    assert caught.value.fields == {"business_hours": "Closing must be after opening."}
    assert BusinessHours.weekdays().intervals == tuple((d, "08:00", "17:00") for d in range(5))
    assert BusinessHours.weekdays("07:00", "15:00").intervals[0] == (0, "07:00", "15:00")


@pytest.mark.parametrize(
    "field",
    ["description_max_length", "slot_minutes", "slot_capacity", "booking_horizon_days",
     "pickup_horizon_days", "reading_max_age_days", "schedule_horizon_days"],
)
def test_counts_in_settings_are_whole_numbers_of_at_least_one(field: str) -> None:
    """1 is accepted; 0 and a float are refused for that setting."""
    assert getattr(ActionSettings(**{field: 1}), field) == 1  # type: ignore[arg-type]
    for bad in (0, 1.5):
        with pytest.raises(InvalidInputError) as caught:
            ActionSettings(**{field: bad})  # type: ignore[arg-type]
        assert caught.value.fields == {field: "Use a whole number of at least 1."}


def test_meter_rates_are_positive_numbers_per_named_unit() -> None:
    """Rates are kept sorted as floats; a bad unit or rate names the setting."""
    settings = ActionSettings(reading_max_per_day={"km": 100, "h": 24.5})
    assert settings.reading_max_per_day == (("h", 24.5), ("km", 100.0))
    assert ActionSettings(reading_max_per_day=[("h", 1)]).reading_max_per_day == (("h", 1.0),)
    for bad in ({"": 1}, {" ": 1}, {5: 1}, {"h": 0}, {"h": -1}, {"h": True},
                {"h": float("inf")}, {"h": "24"}):
        with pytest.raises(InvalidInputError) as caught:
            ActionSettings(reading_max_per_day=bad)  # type: ignore[arg-type]
        assert caught.value.fields == {
            "reading_max_per_day": "Give each unit a positive number per day."
        }


def test_settings_as_a_dict_and_back() -> None:
    """to_dict is JSON-ready (sorted job types, hours as lists, rates as a dict)."""
    settings = ActionSettings(job_types={"repair", "inspection"},
                              reading_max_per_day={"km": 100})
    data = settings.to_dict()
    assert data["job_types"] == ["inspection", "repair"]
    assert data["business_hours"] == [[d, "08:00", "17:00"] for d in range(5)]
    assert data["reading_max_per_day"] == {"km": 100.0}
    assert ActionSettings().to_dict()["job_types"] is None
    assert ActionSettings.from_dict(data) == settings
    assert ActionSettings.from_dict({"business_hours": BusinessHours.weekdays()}) == (
        ActionSettings()
    )
    with pytest.raises(InvalidInputError) as caught:
        ActionSettings.from_dict({"zeta": 1, "alpha": 2, "timezone": "UTC"})
    assert caught.value.message == "Unknown action settings: alpha, zeta."


def test_nested_mappings_fingerprint_alike_in_any_key_order() -> None:
    """Keys are sorted at every depth, so a nested mapping's order changes nothing."""
    shuffled = fingerprint("book", {"m": {"b": 1, "a": 2}})
    assert shuffled == fingerprint("book", {"m": {"a": 2, "b": 1}})


def test_parsed_datetimes_are_in_utc_itself() -> None:
    """The result's zone is UTC, not merely the same instant in another zone."""
    parsed = parse_datetime("at", dt.datetime(2026, 3, 1, 9, 0, tzinfo=PLUS2), UTC)
    assert parsed.tzinfo is UTC
    assert parse_datetime("at", "2026-03-01T09:00", PLUS2).tzinfo is UTC


def test_datetime_text_may_be_40_characters_and_no_more() -> None:
    """The stripped text is 10 to 40 characters; a lower-case z is not UTC."""
    forty = "2026-03-01T07:00:00.0000+00:00:00.000000"
    assert len(forty) == 40
    assert parse_datetime("at", forty, UTC) == dt.datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    forty_one = "2026-03-01T07:00:00.00000+00:00:00.000000"
    assert _refusal(parse_datetime, "at", forty_one, UTC) == ("at", "field.not_a_datetime")
    assert _refusal(parse_datetime, "at", "2026-03-01T07:00z", UTC) == (
        "at", "field.not_a_datetime",
    )
