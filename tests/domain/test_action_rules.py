"""Customer-action rules (portalkit.domain.actions): slots, readings, schedules, call-offs, quotes.

Each boundary is tested on both sides, and each refusal by its field, code and
parameters.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from portalkit.domain.actions import (
    ActionSettings,
    BusinessHours,
    MaintenanceItem,
    Meter,
    QuoteDecision,
    RentalItem,
    SlotOffer,
    check_call_off,
    check_pickup_date,
    check_quote_decidable,
    check_reading,
    check_slot,
    convert_units,
    remaining_quantity,
    split_schedule,
    weekly_slots,
)
from portalkit.domain.i18n import Msg
from portalkit.errors import AlreadyUsedError, ConflictError, InvalidInputError

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
MIN = dt.timedelta(minutes=1)
TICK = dt.timedelta(microseconds=1)


def _refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str, dict[str, Any]]:
    """The one field an InvalidInputError names, its message code and parameters."""
    with pytest.raises(InvalidInputError) as caught:
        call(*args, **kwargs)
    ((field, message),) = caught.value.fields.items()
    assert isinstance(message, Msg)
    return field, message.code, message.params


def _offer(starts_at: dt.datetime) -> SlotOffer:
    return SlotOffer(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1))


# Slots -------------------------------------------------------------------------


def test_a_slot_must_start_after_the_notice_period() -> None:
    """Starting exactly at now + notice is too soon; a microsecond later is fine."""
    settings = ActionSettings(min_notice_minutes=30)
    earliest = NOW + 30 * MIN
    assert _refusal(check_slot, _offer(earliest), NOW, settings) == (
        "starts_at", "action.slot_in_past", {},
    )
    check_slot(_offer(earliest + TICK), NOW, settings)
    assert _refusal(check_slot, _offer(NOW), NOW, ActionSettings()) == (
        "starts_at", "action.slot_in_past", {},
    )


def test_a_slot_may_start_on_the_horizon_and_not_after() -> None:
    """Exactly booking_horizon_days ahead is bookable; later names the horizon."""
    settings = ActionSettings(booking_horizon_days=10)
    horizon = NOW + dt.timedelta(days=10)
    check_slot(_offer(horizon), NOW, settings)
    assert _refusal(check_slot, _offer(horizon + TICK), NOW, settings) == (
        "starts_at", "action.slot_too_far", {"days": 10},
    )


def test_weekly_slots_cut_local_hours_into_whole_slots_in_utc() -> None:
    """09:00-11:30 at UTC+2 in hours: 07:00 and 08:00 UTC; the last half hour is not offered."""
    hours = BusinessHours([(0, "09:00", "11:30")])
    start = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    offers = weekly_slots(hours, PLUS2, start, start + dt.timedelta(days=7),
                          slot_minutes=60, capacity=3)
    assert offers == [
        SlotOffer(starts_at=dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
                  ends_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC), capacity=3),
        SlotOffer(starts_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
                  ends_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), capacity=3),
    ]


def test_weekly_slots_start_in_the_half_open_range() -> None:
    """A slot starting exactly at start is in; one starting exactly at end is out."""
    hours = BusinessHours([(0, "08:00", "10:00"), (1, "08:00", "09:00")])
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    end = dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    offers = weekly_slots(hours, UTC, start, end, slot_minutes=60, capacity=1)
    assert [o.starts_at.hour for o in offers] == [8, 9]
    assert [o.starts_at.day for o in offers] == [2, 2]
    assert weekly_slots(hours, UTC, end, start, slot_minutes=60, capacity=1) == []
    assert weekly_slots(hours, UTC, start, start, slot_minutes=60, capacity=1) == []


def test_weekly_slots_reach_back_to_the_local_day_before() -> None:
    """At UTC+2, Tuesday 01:00 local is Monday 23:00 UTC: a range starting Monday finds it."""
    hours = BusinessHours([(1, "01:00", "02:00")])
    start = dt.datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    offers = weekly_slots(hours, PLUS2, start, start + dt.timedelta(hours=4),
                          slot_minutes=60, capacity=1)
    assert [o.starts_at for o in offers] == [dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC)]


def test_weekly_slots_cover_the_last_local_day_of_the_range() -> None:
    """A slot on the range's last local day, before its end, is offered."""
    hours = BusinessHours([(2, "08:00", "09:00")])
    start = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    end = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    offers = weekly_slots(hours, UTC, start, end, slot_minutes=30, capacity=2)
    assert [(o.starts_at.day, o.starts_at.hour, o.starts_at.minute) for o in offers] == [
        (4, 8, 0), (4, 8, 30),
    ]


# Meter readings -------------------------------------------------------------------


def _meter(last_value: float | None = 1000.0, last_read_at: dt.datetime | None = None) -> Meter:
    return Meter(id=1, tenant_id=1, asset_id=1, scope_path="/org:1/", name="Odometer",
                 unit="km", last_value=last_value,
                 last_read_at=NOW - dt.timedelta(days=10) if last_read_at is None
                 else last_read_at)


def _read(meter: Meter, value: float, read_at: dt.datetime = NOW, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"is_replacement": False, "max_age_days": 30} | kwargs
    return check_reading(meter, value=value, read_at=read_at, now=NOW, **options)


def test_a_reading_may_be_dated_now_or_as_old_as_allowed() -> None:
    """now and now - max_age_days pass; a tick later or earlier names read_at."""
    meter = Meter(id=1, tenant_id=1, asset_id=1, scope_path="/", name="m", unit="km")
    assert _read(meter, 5) == 5
    assert _read(meter, 5, NOW - dt.timedelta(days=30)) == 5
    assert _refusal(_read, meter, 5, NOW + TICK) == ("read_at", "action.reading_in_future", {})
    assert _refusal(_read, meter, 5, NOW - dt.timedelta(days=30) - TICK) == (
        "read_at", "action.reading_too_old", {},
    )


def test_a_reading_is_between_zero_and_a_billion() -> None:
    """0 and 1e9 pass; below zero or above 1e9 name the value."""
    meter = Meter(id=1, tenant_id=1, asset_id=1, scope_path="/", name="m", unit="h")
    assert _read(meter, 0) == 0
    assert _read(meter, 1e9) == 1e9
    assert _refusal(_read, meter, -0.5) == ("value", "action.reading_negative", {})
    assert _refusal(_read, meter, 1e9 + 1) == ("value", "action.reading_too_large", {})


def test_a_reading_is_not_dated_before_the_last_one() -> None:
    """The same time as the last reading passes; earlier names read_at."""
    last = NOW - dt.timedelta(days=2)
    meter = _meter(last_read_at=last)
    assert _read(meter, 1000, last) == 1000
    assert _refusal(_read, meter, 1000, last - TICK) == (
        "read_at", "action.reading_before_last", {},
    )


def test_a_reading_below_the_last_needs_a_replacement() -> None:
    """Equal to the last passes; below it names the last value, unless the meter was replaced."""
    meter = _meter(last_value=1000.5)
    assert _read(meter, 1000.5) == 1000.5
    assert _refusal(_read, meter, 1000) == (
        "value", "action.reading_below_last", {"last": "1000.5 km"},
    )
    assert _read(meter, 3, is_replacement=True) == 3


def test_a_reading_may_advance_by_the_daily_rate_times_the_days() -> None:
    """Ten days at 100 km a day allow exactly +1000; more names the most plausible value."""
    meter = _meter(last_value=1000.0)
    assert _read(meter, 2000, max_per_day=100.0) == 2000
    assert _refusal(_read, meter, 2000.5, max_per_day=100.0) == (
        "value", "action.reading_implausible", {"most": "2000 km"},
    )
    assert _read(meter, 2000.5, max_per_day=100.0, is_replacement=True) == 2000.5
    assert _read(meter, 5000) == 5000  # no rate, no plausibility check


def test_at_least_one_days_worth_is_always_allowed() -> None:
    """An hour after the last reading, a whole day's advance is still plausible."""
    meter = _meter(last_value=1000.0, last_read_at=NOW - dt.timedelta(hours=1))
    assert _read(meter, 1100, max_per_day=100.0) == 1100
    assert _refusal(_read, meter, 1101, max_per_day=100.0)[:2] == (
        "value", "action.reading_implausible",
    )


def test_plausibility_needs_a_last_reading_with_a_date() -> None:
    """A meter without a last value or date is not checked against a rate."""
    no_date = Meter(id=1, tenant_id=1, asset_id=1, scope_path="/", name="m", unit="km",
                    last_value=10.0)
    assert _read(no_date, 10**6, max_per_day=1.0) == 10**6


def test_readings_convert_between_distance_units_only() -> None:
    """Miles convert to the meter's kilometres; same units pass; others are refused."""
    meter = Meter(id=1, tenant_id=1, asset_id=1, scope_path="/", name="m", unit="km")
    assert _read(meter, 100, unit="mi") == pytest.approx(160.9344)
    assert _read(meter, 100, unit="") == 100
    assert _read(meter, 100, unit="km") == 100
    assert convert_units(160.9344, "km", "mi") == pytest.approx(100)
    assert convert_units(7, "h", "h") == 7
    assert _refusal(convert_units, 1, "h", "km") == ("unit", "action.unit_mismatch", {"unit": "km"})
    assert _refusal(convert_units, 1, "km", "h") == ("unit", "action.unit_mismatch", {"unit": "h"})


# Maintenance schedule --------------------------------------------------------------


def _item(
    item_id: int, due_on: dt.date | None, kind: str = "pm", code: str = "A"
) -> MaintenanceItem:
    return MaintenanceItem(id=item_id, tenant_id=1, asset_id=1, scope_path="/org:1/",
                           kind=kind, code=code, due_on=due_on)


def test_the_schedule_splits_at_today_and_ends_at_the_horizon() -> None:
    """Yesterday is overdue, today and the horizon's last day are upcoming, beyond is left out."""
    today = dt.date(2026, 3, 2)
    items = [
        _item(1, today + dt.timedelta(days=10)), _item(2, today),
        _item(3, today - dt.timedelta(days=1)),
        _item(4, today + dt.timedelta(days=11)), _item(5, None), _item(6, today, kind="sa"),
        _item(7, today - dt.timedelta(days=5)), _item(8, today, code="0"),
    ]
    schedule = split_schedule(items, today=today, horizon_days=10, kinds=frozenset({"pm"}))
    assert [i.id for i in schedule.overdue] == [7, 3]
    assert [i.id for i in schedule.upcoming] == [8, 2, 1]
    assert schedule.kinds == frozenset({"pm"})


# Call-offs and pickups ----------------------------------------------------------------


def _rental(out: int, called: int = 0, returned: int = 0) -> RentalItem:
    return RentalItem(id=1, tenant_id=1, scope_id=1, scope_path="/org:1/", contract_number="C1",
                      item_number="I1", quantity_out=out, quantity_called_off=called,
                      quantity_returned=returned)


def test_what_remains_is_out_minus_called_off_minus_returned_never_below_zero() -> None:
    """10 out, 3 called off, 2 returned: 5 remain; more called off than out: 0."""
    assert remaining_quantity(_rental(10, 3, 2)) == 5
    assert remaining_quantity(_rental(2, 3)) == 0


def test_a_call_off_may_take_all_that_remains_and_no_more() -> None:
    """Exactly what remains passes; one more names the remainder; nothing left is used up."""
    check_call_off(_rental(5, 2), 3)
    assert _refusal(check_call_off, _rental(5, 2), 4) == (
        "quantity", "action.quantity_too_large", {"remaining": 3},
    )
    with pytest.raises(AlreadyUsedError) as caught:
        check_call_off(_rental(5, 5), 1)
    assert caught.value.message.code == "action.already_called_off"  # type: ignore[attr-defined]


def test_a_pickup_is_from_today_to_the_horizon() -> None:
    """Today and today + horizon pass; yesterday and one day beyond are refused."""
    today = dt.date(2026, 3, 2)
    check_pickup_date(today, today, 7)
    check_pickup_date(today + dt.timedelta(days=7), today, 7)
    assert _refusal(check_pickup_date, today - dt.timedelta(days=1), today, 7) == (
        "pickup_on", "action.date_in_past", {},
    )
    assert _refusal(check_pickup_date, today + dt.timedelta(days=8), today, 7) == (
        "pickup_on", "action.date_too_far", {"days": 7},
    )


# Quote decisions -----------------------------------------------------------------------


def _decision(kind: str) -> QuoteDecision:
    return QuoteDecision(id=1, tenant_id=1, document_id=1, scope_path="/org:1/", decision=kind,
                         decided_at=NOW)


@pytest.mark.parametrize("status", ["sent", " Awaiting Approval ", "awaiting-acceptance", "ISSUED"])
def test_a_sent_quote_or_proposal_may_be_decided(status: str) -> None:
    """Statuses are compared lowercased with spaces and dashes as underscores."""
    check_quote_decidable("quote", status, [])
    check_quote_decidable("proposal", status, [_decision("changes_requested")])


@pytest.mark.parametrize(("kind", "status"), [("invoice", "sent"), ("quote", "draft"),
                                              ("quote", "accepted")])
def test_other_documents_are_not_decidable(kind: str, status: str) -> None:
    """Not a quote or proposal, or not in a decidable status: a conflict."""
    with pytest.raises(ConflictError) as caught:
        check_quote_decidable(kind, status, [])
    assert caught.value.message.code == "action.quote_not_decidable"  # type: ignore[attr-defined]


@pytest.mark.parametrize("final", ["approved", "declined"])
def test_a_final_decision_closes_the_quote(final: str) -> None:
    """After an approval or a decline, another decision is refused as already used."""
    with pytest.raises(AlreadyUsedError) as caught:
        check_quote_decidable("quote", "sent", [_decision("changes_requested"), _decision(final)])
    assert caught.value.message.code == "action.quote_decided"  # type: ignore[attr-defined]


def test_a_host_may_name_its_own_decidable_statuses() -> None:
    """With statuses given, only those count."""
    check_quote_decidable("quote", "Ready", [], statuses=frozenset({"ready"}))
    with pytest.raises(ConflictError):
        check_quote_decidable("quote", "sent", [], statuses=frozenset({"ready"}))


def test_weekly_slots_are_given_in_utc_itself() -> None:
    """Each offer starts and ends in the UTC zone, whatever the business hours' zone."""
    hours = BusinessHours([(0, "09:00", "10:00")])
    start = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    (offer,) = weekly_slots(hours, PLUS2, start, start + dt.timedelta(days=1),
                            slot_minutes=60, capacity=1)
    assert offer.starts_at.tzinfo is UTC


def test_weekly_slots_read_the_end_in_the_business_zone() -> None:
    """At UTC+2, Tuesday 23:30 UTC is Wednesday local: Wednesday 01:00 local is offered."""
    hours = BusinessHours([(2, "01:00", "02:00")])
    start = dt.datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
    end = dt.datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    offers = weekly_slots(hours, PLUS2, start, end, slot_minutes=60, capacity=1)
    assert [o.starts_at for o in offers] == [dt.datetime(2026, 3, 3, 23, 0, tzinfo=UTC)]


@pytest.fixture
def far_east_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is UTC+14: slots must not depend on it."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_east_machine")
def test_weekly_slots_use_the_business_zone_not_the_machines() -> None:
    """At UTC-12, Monday 11:00 UTC is still Sunday: Sunday's 23:20 slot is offered."""
    minus12 = dt.timezone(dt.timedelta(hours=-12))
    hours = BusinessHours([(6, "23:20", "23:59")])
    start = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    offers = weekly_slots(hours, minus12, start, start + dt.timedelta(hours=2),
                          slot_minutes=20, capacity=1)
    assert [o.starts_at for o in offers] == [dt.datetime(2026, 3, 2, 11, 20, tzinfo=UTC)]
    late = BusinessHours([(1, "00:10", "00:30")])
    end = dt.datetime(2026, 3, 3, 12, 30, tzinfo=UTC)  # Tuesday 00:30 at UTC-12
    offers = weekly_slots(late, minus12, dt.datetime(2026, 3, 3, 11, 0, tzinfo=UTC), end,
                          slot_minutes=20, capacity=1)
    assert [o.starts_at for o in offers] == [dt.datetime(2026, 3, 3, 12, 10, tzinfo=UTC)]
