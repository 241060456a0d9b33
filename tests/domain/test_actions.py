"""Pure rules of customer actions: parsing, slots, readings, schedule, call-offs, quotes."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.actions import (
    ActionSettings,
    BusinessHours,
    MaintenanceItem,
    Meter,
    QuoteDecision,
    RentalItem,
    SlotOffer,
    check_call_off,
    check_fields,
    check_pickup_date,
    check_quote_decidable,
    check_reading,
    check_slot,
    clean_idempotency_key,
    clean_text,
    convert_units,
    fingerprint,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_number,
    parse_quantity,
    remaining_quantity,
    split_schedule,
    weekly_slots,
)
from portalkit.domain.i18n import Msg
from portalkit.errors import AlreadyUsedError, ConflictError, InvalidInputError

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)


def _meter(last_value: float | None = None, last_read_at: dt.datetime | None = None) -> Meter:
    return Meter(
        id=1, tenant_id=1, asset_id=1, scope_path="/org:1/", name="odo", unit="km",
        last_value=last_value, last_read_at=last_read_at,
    )


# Parsing -------------------------------------------------------------------------------


def test_check_fields_lists_every_unexpected_field() -> None:
    """Mass assignment: each field the action does not read is refused by name."""
    with pytest.raises(InvalidInputError) as info:
        check_fields({"site": 1, "status": "done", "organization_id": 3}, {"site"})
    assert set(info.value.fields) == {"status", "organization_id"}
    assert all(isinstance(m, Msg) for m in info.value.fields.values())
    check_fields({"site": 1}, {"site", "asset"})


def test_text_limits_are_field_errors_not_truncation() -> None:
    """Over-long text is refused with the limit in the message; nothing is cut."""
    assert clean_text("d", "  hi ", max_length=2) == "hi"
    with pytest.raises(InvalidInputError) as info:
        clean_text("d", "abc", max_length=2)
    assert info.value.fields == {"d": "Use 2 characters or fewer."}
    with pytest.raises(InvalidInputError):
        clean_text("d", "", max_length=2, required=True)
    with pytest.raises(InvalidInputError):
        clean_text("d", 5, max_length=2)


def test_parsers() -> None:
    """Form strings and typed values parse alike; junk is a field error."""
    assert parse_id("x", "12") == 12
    assert parse_id("x", None, required=False) is None
    for bad in ("1.5", "-1", True, "x", 0, 2**63):
        with pytest.raises(InvalidInputError):
            parse_id("x", bad)
    assert parse_number("v", "12,5") == 12.5
    for bad in ("1e400", "nan", float("inf"), True, "12abc"):
        with pytest.raises(InvalidInputError):
            parse_number("v", bad)
    assert parse_quantity("q", "3") == 3
    with pytest.raises(InvalidInputError):
        parse_quantity("q", 0)
    assert parse_bool("b", "on") is True
    assert parse_bool("b", None) is False
    with pytest.raises(InvalidInputError):
        parse_bool("b", "maybe")
    assert parse_date("d", "2026-01-05") == dt.date(2026, 1, 5)
    with pytest.raises(InvalidInputError):
        parse_date("d", "05/01/2026")
    madrid = ZoneInfo("Europe/Madrid")
    local = parse_datetime("t", "2026-01-05T09:00", madrid)
    assert local == dt.datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert parse_datetime("t", "2026-01-05T09:00Z", madrid) == local + dt.timedelta(hours=1)
    assert clean_idempotency_key("a-b.c_1:2") == "a-b.c_1:2"
    assert clean_idempotency_key(None) is None
    for bad in ("has space", "x" * 201, 5):
        with pytest.raises(InvalidInputError):
            clean_idempotency_key(bad)


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=5))
def test_fingerprint_ignores_key_order(values: dict[str, object]) -> None:
    """The fingerprint depends on the action and the values, not their order."""
    reordered = dict(reversed(list(values.items())))
    assert fingerprint("a", values) == fingerprint("a", reordered)
    assert fingerprint("a", values) != fingerprint("b", values)


def test_settings_round_trip() -> None:
    """Settings survive to_dict/from_dict; unknown keys and bad hours are refused."""
    s = ActionSettings(job_types={"A"}, business_hours=BusinessHours([(5, "09:00", "12:00")]))
    assert ActionSettings.from_dict(s.to_dict()) == s
    with pytest.raises(InvalidInputError):
        ActionSettings.from_dict({"colour": "red"})
    with pytest.raises(InvalidInputError):
        BusinessHours([(1, "12:00", "09:00")])
    with pytest.raises(InvalidInputError):
        ActionSettings(slot_minutes=0)


# Slots ---------------------------------------------------------------------------------


def test_weekly_slots_follow_local_hours() -> None:
    """Business hours are local: 08:00 in Madrid is 07:00 UTC in winter."""
    madrid = ZoneInfo("Europe/Madrid")
    start = dt.datetime(2026, 1, 5, tzinfo=UTC)
    offers = weekly_slots(
        BusinessHours.weekdays("08:00", "10:30"), madrid, start, start + dt.timedelta(days=1),
        slot_minutes=60, capacity=2,
    )
    assert [o.starts_at.hour for o in offers] == [7, 8]
    assert all(o.capacity == 2 for o in offers)


@given(
    st.integers(min_value=0, max_value=60 * 24 * 14),
    st.integers(min_value=1, max_value=60 * 24 * 7),
    st.sampled_from([15, 30, 45, 60, 90]),
)
def test_property_slots_lie_inside_hours_and_range(offset: int, span: int, minutes: int) -> None:
    """Every generated slot starts inside the asked range, lasts one slot length,
    and ends by closing time on an open weekday."""
    hours = BusinessHours([(0, "08:00", "17:00"), (2, "13:00", "15:00"), (5, "09:00", "12:00")])
    start = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=offset)
    end = start + dt.timedelta(minutes=span)
    offers = weekly_slots(hours, UTC, start, end, slot_minutes=minutes, capacity=1)
    opening = {d: (o, c) for d, o, c in hours.intervals}
    for o in offers:
        assert start <= o.starts_at < end
        assert o.ends_at - o.starts_at == dt.timedelta(minutes=minutes)
        opens, closes = opening[o.starts_at.weekday()]
        assert o.starts_at.strftime("%H:%M") >= opens
        assert o.ends_at.strftime("%H:%M") <= closes or o.ends_at.date() > o.starts_at.date()
    assert offers == sorted(offers, key=lambda x: x.starts_at)


def test_check_slot_refuses_past_and_far() -> None:
    """A slot that has started or lies past the horizon is a starts_at field error."""
    s = ActionSettings(booking_horizon_days=10, min_notice_minutes=60)

    def offer(at: dt.datetime) -> SlotOffer:
        return SlotOffer(starts_at=at, ends_at=at + dt.timedelta(hours=1))

    check_slot(offer(NOW + dt.timedelta(hours=2)), NOW, s)
    for at in (NOW, NOW + dt.timedelta(minutes=30), NOW + dt.timedelta(days=11)):
        with pytest.raises(InvalidInputError) as info:
            check_slot(offer(at), NOW, s)
        assert set(info.value.fields) == {"starts_at"}


# Meter readings ------------------------------------------------------------------------


def test_reading_rules() -> None:
    """Future, too old, before the last, negative and below-last readings are refused;
    a replacement may go below."""
    meter = _meter(100.0, NOW - dt.timedelta(days=1))
    kw = {"now": NOW, "max_age_days": 30}
    assert check_reading(meter, value=100, read_at=NOW, is_replacement=False, **kw) == 100
    assert check_reading(meter, value=3, read_at=NOW, is_replacement=True, **kw) == 3
    second = dt.timedelta(seconds=1)
    cases = [
        (99, NOW, False, "value"),
        (200, NOW + second, False, "read_at"),
        (200, NOW - dt.timedelta(days=31), False, "read_at"),
        (200, NOW - dt.timedelta(days=2), False, "read_at"),
        (-1, NOW, True, "value"),
        (1e10, NOW, False, "value"),
    ]
    for value, read_at, replacement, field in cases:
        with pytest.raises(InvalidInputError) as info:
            check_reading(
                meter, value=value, read_at=read_at, is_replacement=replacement, now=NOW,
                max_age_days=30,
            )
        assert set(info.value.fields) == {field}


def test_an_implausible_jump_is_refused_with_the_limit() -> None:
    """12,600 km to 99,999,999 km overnight is refused; the message names the most."""
    meter = _meter(12_600.0, NOW - dt.timedelta(hours=8))
    kw = {"now": NOW, "max_age_days": 30, "is_replacement": False, "max_per_day": 2500.0}
    with pytest.raises(InvalidInputError) as info:
        check_reading(meter, value=99_999_999, read_at=NOW, **kw)
    assert str(info.value.fields["value"]) == (
        "The reading is more than this meter can have advanced since its last reading "
        "(at most 15100 km). Check the number, or contact us if it is right."
    )
    assert check_reading(meter, value=15_100, read_at=NOW, **kw) == 15_100
    # Ten days give ten days' worth; a replacement starts again and is not checked.
    later = _meter(12_600.0, NOW - dt.timedelta(days=10))
    assert check_reading(later, value=37_600, read_at=NOW, **kw) == 37_600
    with pytest.raises(InvalidInputError):
        check_reading(later, value=37_601, read_at=NOW, **kw)
    assert check_reading(
        meter, value=5, read_at=NOW, now=NOW, max_age_days=30, is_replacement=True,
        max_per_day=2500.0,
    ) == 5


@given(
    last=st.floats(min_value=0, max_value=1e6),
    hours=st.integers(min_value=0, max_value=24 * 60),
    rate=st.floats(min_value=0.5, max_value=5000),
    value=st.floats(min_value=0, max_value=1e9),
)
def test_property_plausibility_is_exactly_the_rate_times_the_days(
    last: float, hours: int, rate: float, value: float
) -> None:
    """Accepted iff last <= value <= last + rate * max(days, 1)."""
    meter = _meter(last, NOW - dt.timedelta(hours=hours))
    most = last + rate * max(hours / 24, 1.0)
    try:
        check_reading(
            meter, value=value, read_at=NOW, now=NOW, max_age_days=366,
            is_replacement=False, max_per_day=rate,
        )
    except InvalidInputError:
        assert value < last or value > most
    else:
        assert last <= value <= most


def test_plausibility_settings_round_trip_and_refuse_nonsense() -> None:
    """Rates are kept per unit, survive to_dict/from_dict, and must be positive numbers."""
    custom = ActionSettings(reading_max_per_day={"km": 800, "h": 20})
    assert custom.reading_max_per_day == (("h", 20.0), ("km", 800.0))
    assert ActionSettings.from_dict(custom.to_dict()) == custom
    assert dict(ActionSettings().reading_max_per_day)["km"] == 2500.0
    for bad in ({"km": 0}, {"km": -1}, {"km": float("nan")}, {"": 5}, {"km": True}):
        with pytest.raises(InvalidInputError) as info:
            ActionSettings(reading_max_per_day=bad)
        assert set(info.value.fields) == {"reading_max_per_day"}


def test_units_convert_only_between_distances() -> None:
    """Miles convert to kilometres; hours never convert to anything."""
    assert convert_units(1, "mi", "km") == pytest.approx(1.609344)
    assert convert_units(5, "h", "h") == 5
    with pytest.raises(InvalidInputError) as info:
        convert_units(1, "h", "km")
    assert info.value.fields == {"unit": "This meter records in km."}


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-10, max_value=2e9, allow_nan=False),
            st.integers(min_value=-3600 * 24 * 400, max_value=3600),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_property_accepted_readings_are_never_future_nor_below_last(
    attempts: list[tuple[float, int, bool]],
) -> None:
    """Whatever is submitted, the accepted readings are never in the future, never
    dated before the previous one, and never below the previous one unless marked
    as a meter replacement."""
    meter = _meter()
    accepted: list[tuple[float, dt.datetime, bool]] = []
    for value, seconds, replacement in attempts:
        read_at = NOW + dt.timedelta(seconds=seconds)
        try:
            v = check_reading(
                meter, value=value, read_at=read_at, now=NOW, is_replacement=replacement,
                max_age_days=366,
            )
        except InvalidInputError:
            continue
        accepted.append((v, read_at, replacement))
        meter = Meter(
            id=1, tenant_id=1, asset_id=1, scope_path="/org:1/", name="odo", unit="km",
            last_value=v, last_read_at=read_at,
        )
    for (v0, t0, _), (v1, t1, replaced) in itertools.pairwise(accepted):
        assert t1 >= t0
        assert replaced or v1 >= v0
    assert all(t <= NOW and 0 <= v <= 1e9 for v, t, _ in accepted)


# Schedule, call-offs, quotes -----------------------------------------------------------


def test_split_schedule() -> None:
    """Overdue before today, upcoming to the horizon, only the allowed kinds."""

    def item(i: int, kind: str, due: dt.date | None) -> MaintenanceItem:
        return MaintenanceItem(
            id=i, tenant_id=1, asset_id=1, scope_path="/org:1/", kind=kind, code=str(i),
            due_on=due,
        )

    today = dt.date(2026, 1, 10)
    items = [
        item(1, "pm", dt.date(2026, 1, 9)),
        item(2, "pm", today),
        item(3, "sa", dt.date(2026, 1, 11)),
        item(4, "pm", dt.date(2026, 3, 1)),
        item(5, "pm", None),
    ]
    s = split_schedule(items, today=today, horizon_days=30, kinds=frozenset({"pm"}))
    assert [i.id for i in s.overdue] == [1]
    assert [i.id for i in s.upcoming] == [2]


@given(
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=1, max_value=25),
)
def test_property_call_off_never_exceeds_what_is_out(
    out: int, called: int, returned: int, quantity: int
) -> None:
    """A call-off is accepted exactly when 1 <= quantity <= what is still out."""
    item = RentalItem(
        id=1, tenant_id=1, scope_id=1, scope_path="/org:1/", contract_number="C",
        item_number="I", quantity_out=out, quantity_called_off=called,
        quantity_returned=returned,
    )
    left = remaining_quantity(item)
    assert left == max(0, out - called - returned)
    try:
        check_call_off(item, quantity)
    except AlreadyUsedError:
        assert left == 0
    except InvalidInputError:
        assert quantity > left > 0
    else:
        assert 1 <= quantity <= left


def test_pickup_dates() -> None:
    """Pickup from today to the horizon."""
    today = dt.date(2026, 1, 1)
    check_pickup_date(today, today, 5)
    for bad in (dt.date(2025, 12, 31), dt.date(2026, 1, 7)):
        with pytest.raises(InvalidInputError):
            check_pickup_date(bad, today, 5)


def test_quote_decidability() -> None:
    """Only sent quotes and proposals without a final decision can be decided."""
    check_quote_decidable("quote", "Awaiting acceptance", [])
    check_quote_decidable("proposal", "sent", [])
    for kind, status in (("invoice", "sent"), ("quote", "draft"), ("quote", "accepted")):
        with pytest.raises(ConflictError):
            check_quote_decidable(kind, status, [])

    def decision(kind: str) -> QuoteDecision:
        return QuoteDecision(
            id=1, tenant_id=1, document_id=1, scope_path="/org:1/", decision=kind, decided_at=NOW
        )

    check_quote_decidable("quote", "sent", [decision("changes_requested")])
    with pytest.raises(AlreadyUsedError):
        check_quote_decidable("quote", "sent", [decision("approved")])
