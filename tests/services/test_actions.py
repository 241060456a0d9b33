"""Customer actions on every storage adapter: stored with their event and audit entry,
validated, scoped, idempotent."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit._services.actions import ActionSync, rewrite_scope_prefix
from portalkit._services.audit import AuditTrail
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.actions import ActionSettings, SlotOffer
from portalkit.domain.filters import Eq
from portalkit.domain.i18n import Msg
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.errors import (
    AlreadyUsedError,
    ConflictError,
    InvalidInputError,
    InvalidRowError,
    NotFoundError,
    PermissionDeniedError,
)
from tests.services.action_world import NOW, UTC, World, build_world, next_monday_at

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The action world on each storage adapter."""
    return build_world(portal)


def _count(world: World, what: str, tenant_id: int | None = None) -> int:
    with world.portal.storage.unit_of_work() as uow:
        tid = tenant_id or world.tenant_id
        if what == "outbox":
            return uow.outbox.count(tid)
        if what == "audit":
            return uow.audit.count(tid)
        if what == "jobs":
            return uow.jobs.count(tid)
        return int(getattr(uow.actions, what).count(tid))


def _events(world: World) -> list[str]:
    with world.portal.storage.unit_of_work() as uow:
        return [e.topic for e in uow.outbox.find(world.tenant_id)]


# Service and job requests -------------------------------------------------------------


def test_job_request_becomes_unscheduled_job_with_default_status(world: World) -> None:
    """A job request at an own site creates the request, an unscheduled job with the
    tenant's default status, one event and one audit entry, in one transaction."""
    world.records.set_settings(world.tenant_id, ActionSettings(default_job_status="new"))
    request = world.requests.request_job(
        world.ann,
        site=world.site.id,
        asset=world.asset.id,
        job_type="Service",
        description="Brakes squeak",
        client_key="203.0.113.5",
    )
    assert request.status == "new"
    assert request.kind == "job"
    assert request.scope_path == world.site.path
    with world.portal.storage.unit_of_work() as uow:
        job = uow.jobs.get(world.tenant_id, request.job_id or 0)
        events = uow.outbox.find(world.tenant_id)
    assert job is not None
    assert job.status == "new"
    assert job.scheduled_on is None
    assert job.external_key == f"portalkit-request:{request.id}"
    assert [e.topic for e in events] == ["job.requested"]
    assert events[0].payload["request_id"] == request.id
    assert events[0].payload["job_external_key"] == job.external_key
    entries = AuditTrail(world.portal.storage).query(world.tenant_id, action="job.request")
    assert len(entries.entries) == 1
    assert entries.entries[0].client_key == "203.0.113.5"
    assert entries.entries[0].actor_user_id == world.ann.user_id


def test_service_request_on_asset(world: World) -> None:
    """Request Service on an asset stores an unscheduled request at the asset's scope."""
    request = world.requests.request_service(
        world.ann, asset=world.asset.id, description="Oil leak"
    )
    assert request.kind == "service"
    assert request.asset_id == world.asset.id
    assert request.scope_path == world.asset.scope_path
    assert _events(world) == ["service_request.created"]
    assert [r.id for r in world.requests.list(world.ann)] == [request.id]
    assert world.requests.list(world.ann, asset=world.asset_elsewhere.id) == []


def test_site_or_asset_outside_scope_is_not_found_and_audited(world: World) -> None:
    """A foreign site or asset is NotFound (like a missing one); nothing is stored,
    and the denial is in the audit trail."""
    with pytest.raises(NotFoundError):
        world.requests.request_job(world.ann, site=world.foreign_site.id, description="x")
    with pytest.raises(NotFoundError):
        world.requests.request_job(world.ann, site=999_999, description="x")
    with pytest.raises(NotFoundError):
        world.requests.request_job(
            world.ann, site=world.site.id, asset=world.foreign_asset.id, description="x"
        )
    with pytest.raises(NotFoundError):
        world.requests.request_service(world.ann, asset=world.foreign_asset.id, description="x")
    assert _count(world, "requests") == 0
    assert _count(world, "outbox") == 0
    denied = AuditTrail(world.portal.storage).query(world.tenant_id, outcome="denied")
    assert len(denied.entries) == 4


def test_principal_of_unknown_tenant_is_not_found(world: World) -> None:
    """A principal whose tenant does not exist gets NotFound (no audit row to attach)."""
    stranger = Principal(tenant_id=987_654, kind=PrincipalKind.USER, user_id=1)
    with pytest.raises(NotFoundError):
        world.requests.request_job(stranger, site=world.site.id, description="x")


def test_visible_site_without_permission_is_denied(world: World) -> None:
    """Vic can see the site but may not request jobs there: PermissionDenied."""
    with pytest.raises(PermissionDeniedError):
        world.requests.request_job(world.vic, site=world.site.id, description="x")


def test_request_validation(world: World) -> None:
    """Organizations are not sites, assets must be at the chosen site, job types
    follow the tenant's list, and descriptions have a limit: field-level errors."""
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_job(world.ann, site=world.org.id, description="x")
    assert set(info.value.fields) == {"site"}
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_job(
            world.ann, site=world.site.id, asset=world.asset_elsewhere.id, description="x"
        )
    assert set(info.value.fields) == {"asset"}
    world.records.set_settings(
        world.tenant_id, ActionSettings(job_types={"Service", "Repair"}, description_max_length=10)
    )
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_job(world.ann, site=world.site.id, job_type="Party")
    assert set(info.value.fields) == {"job_type"}
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_job(world.ann, site=world.site.id, description="x" * 11)
    assert info.value.fields == {"description": "Use 10 characters or fewer."}
    assert isinstance(info.value.fields["description"], Msg)
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_service(world.ann, asset=world.asset.id, description="  ")
    assert set(info.value.fields) == {"description"}
    assert _count(world, "requests") == 0
    assert _count(world, "jobs") == 0


def test_mass_assignment_is_refused(world: World) -> None:
    """Status, organization, tenant or foreign ids in a payload are refused field by
    field, and nothing is stored."""
    payload = {
        "site": str(world.site.id),
        "description": "x",
        "status": "done",
        "organization_id": world.other_org.id,
        "tenant_id": 1,
        "requested_by": 1,
    }
    with pytest.raises(InvalidInputError) as info:
        world.requests.request_job(world.ann, payload)
    assert set(info.value.fields) == {"status", "organization_id", "tenant_id", "requested_by"}
    assert _count(world, "requests") == 0
    with pytest.raises(InvalidInputError):
        world.appointments.book(
            world.ann, asset=world.asset.id, starts_at=next_monday_at(9), slot_id=1
        )
    with pytest.raises(InvalidInputError):
        world.rentals.call_off(world.ann, items={1: 1}, pickup_on="2026-01-02", scope_path="/")
    assert _count(world, "outbox") == 0


def test_form_strings_are_parsed(world: World) -> None:
    """A form payload of strings works like typed keyword arguments."""
    request = world.requests.request_job(
        world.ann, {"site": str(world.site.id), "asset": "", "description": " Leak "}
    )
    assert request.description == "Leak"
    assert request.asset_id is None


def test_idempotency_key_makes_double_submit_create_one_request(world: World) -> None:
    """The same key and input twice give the same request, one job, one event;
    the same key with other input is a conflict; another user's key is separate."""
    first = world.requests.request_job(
        world.ann, site=world.site.id, description="x", idempotency_key="k-1"
    )
    again = world.requests.request_job(
        world.ann, site=world.site.id, description="x", idempotency_key="k-1"
    )
    assert again == first
    assert _count(world, "requests") == 1
    assert _count(world, "jobs") == 1
    assert _events(world) == ["job.requested"]
    with pytest.raises(ConflictError):
        world.requests.request_job(
            world.ann, site=world.site.id, description="y", idempotency_key="k-1"
        )
    with pytest.raises(InvalidInputError):
        world.requests.request_job(
            world.ann, site=world.site.id, description="x", idempotency_key="bad key!"
        )


def test_old_idempotency_keys_are_purged(world: World) -> None:
    """Keys older than the cut-off are forgotten; newer ones still deduplicate."""
    world.requests.request_job(world.ann, site=world.site.id, description="x", idempotency_key="a")
    world.clock.advance(days=2)
    world.requests.request_job(world.ann, site=world.site.id, description="x", idempotency_key="b")
    cutoff = world.clock.now() - dt.timedelta(days=1)
    assert world.records.purge_idempotency_keys(world.tenant_id, before=cutoff) == 1
    world.requests.request_job(world.ann, site=world.site.id, description="x", idempotency_key="b")
    assert _count(world, "requests") == 2
    with pytest.raises(InvalidInputError):
        world.records.purge_idempotency_keys(world.tenant_id, before=dt.datetime(2026, 1, 1))


def test_concurrent_double_submit_creates_one_request(world: World) -> None:
    """Eight threads submitting with one key create exactly one request (every
    thread gets it back)."""
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            r = world.requests.request_job(
                world.ann, site=world.site.id, description="race", idempotency_key="dbl"
            )
            results.append(r.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert _count(world, "requests") == 1
    assert _count(world, "outbox") == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    submits=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"])),
        min_size=1,
        max_size=8,
    )
)
def test_property_idempotent_submits(submits: list[tuple[str, str]]) -> None:
    """Whatever the sequence of (key, description) submits, each key yields one request
    (its first input), and a reuse with other input is refused."""
    portal = portalkit.Portal(MemoryStorage(), secret_key=SECRET, clock=ManualClock())
    world = build_world(portal)
    first_input: dict[str, str] = {}
    ids: dict[str, int] = {}
    for key, description in submits:
        if key in first_input and first_input[key] != description:
            with pytest.raises(ConflictError):
                world.requests.request_job(
                    world.ann, site=world.site.id, description=description, idempotency_key=key
                )
            continue
        r = world.requests.request_job(
            world.ann, site=world.site.id, description=description, idempotency_key=key
        )
        first_input.setdefault(key, description)
        assert ids.setdefault(key, r.id) == r.id
    assert _count(world, "requests") == len(first_input)
    assert _count(world, "outbox") == len(first_input)


# Appointments -------------------------------------------------------------------------


def test_available_slots_come_from_business_hours_and_never_the_past(world: World) -> None:
    """Slots follow business hours (Mon-Fri 8-17 UTC by default) and start after now."""
    slots = world.appointments.available(
        world.ann, world.asset.id, end=dt.datetime(2026, 1, 6, tzinfo=UTC)
    )
    assert slots[0].starts_at == dt.datetime(2026, 1, 1, 10, tzinfo=UTC)  # 9:00 is now
    assert all(s.starts_at > NOW for s in slots)
    assert {s.starts_at.weekday() for s in slots} == {0, 3, 4}  # Thu, Fri, Mon
    assert len(slots) == 7 + 9 + 9


def test_book_move_cancel_and_view(world: World) -> None:
    """Booking, moving and cancelling each store the appointment and emit an event;
    a cancelled place is free again; the viewer sees but cannot change."""
    booked = world.appointments.book(
        world.ann, asset=world.asset.id, starts_at=next_monday_at(9), notes="Front tyre"
    )
    assert booked.status == "booked"
    assert [a.id for a in world.appointments.list(world.vic)] == [booked.id]
    with pytest.raises(PermissionDeniedError):
        world.appointments.cancel(world.vic, booked.id)
    with pytest.raises(PermissionDeniedError):
        world.appointments.book(world.vic, asset=world.asset.id, starts_at=next_monday_at(11))
    moved = world.appointments.reschedule(world.ann, booked.id, starts_at=next_monday_at(10))
    assert moved.starts_at == next_monday_at(10)
    cancelled = world.appointments.cancel(world.ann, booked.id)
    assert cancelled.status == "cancelled"
    assert world.appointments.list(world.ann) == []
    with pytest.raises(ConflictError):
        world.appointments.cancel(world.ann, booked.id)
    free = {s.starts_at for s in world.appointments.available(world.ann, world.asset.id)}
    assert next_monday_at(9) in free
    assert next_monday_at(10) in free
    assert _events(world) == ["appointment.booked", "appointment.changed", "appointment.cancelled"]


def test_last_free_slot_cannot_be_booked_twice(world: World) -> None:
    """With capacity 1 the second booking of a slot is a ConflictError; nothing stored."""
    world.appointments.book(world.ann, asset=world.asset.id, starts_at=next_monday_at(9))
    with pytest.raises(ConflictError):
        world.appointments.book(
            world.ann, asset=world.asset_elsewhere.id, starts_at=next_monday_at(9)
        )
    assert _count(world, "appointments") == 1
    assert _count(world, "outbox") == 1


def test_nothing_in_the_past_or_off_the_calendar(world: World) -> None:
    """Past, too-far and unoffered times are field errors on starts_at; past
    appointments cannot be changed."""
    for when in (
        dt.datetime(2025, 12, 29, 9, tzinfo=UTC),
        NOW,
        dt.datetime(2027, 1, 4, 9, tzinfo=UTC),
        dt.datetime(2026, 1, 3, 9, tzinfo=UTC),  # a Saturday
        dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC),  # not a slot start
        "not a date",
    ):
        with pytest.raises(InvalidInputError) as info:
            world.appointments.book(world.ann, asset=world.asset.id, starts_at=when)
        assert set(info.value.fields) == {"starts_at"}
    booked = world.appointments.book(world.ann, asset=world.asset.id, starts_at=next_monday_at(9))
    world.clock.set(next_monday_at(12))
    with pytest.raises(ConflictError):
        world.appointments.cancel(world.ann, booked.id)
    assert world.appointments.list(world.ann) == []
    assert [a.id for a in world.appointments.list(world.ann, include_past=True)] == [booked.id]


def test_host_availability_port(portal: portalkit.Portal) -> None:
    """A host calendar replaces business hours: its offers, locations and capacities."""

    class Calendar:
        def offers(
            self, tenant_id: int, scope_path: str, start: dt.datetime, end: dt.datetime
        ) -> list[SlotOffer]:
            at = dt.datetime(2026, 1, 2, 7, 15, tzinfo=UTC)
            offer = SlotOffer(
                starts_at=at, ends_at=at + dt.timedelta(minutes=45), capacity=2, location="bay-1"
            )
            return [offer] if start <= at < end else []

    world = build_world(portal, availability=Calendar())
    slots = world.appointments.available(world.ann, world.asset.id)
    assert [(s.location, s.free) for s in slots] == [("bay-1", 2)]
    at = slots[0].starts_at
    world.appointments.book(world.ann, asset=world.asset.id, starts_at=at, location="bay-1")
    world.appointments.book(
        world.ann, asset=world.asset.id, starts_at=at.isoformat(), location="bay-1"
    )
    with pytest.raises(ConflictError):
        world.appointments.book(world.ann, asset=world.asset.id, starts_at=at, location="bay-1")
    with pytest.raises(InvalidInputError):
        world.appointments.book(world.ann, asset=world.asset.id, starts_at=at)


# Meter readings -----------------------------------------------------------------------


def test_meter_readings(world: World) -> None:
    """Readings: not in the future, not below the last unless a replacement, in the
    meter's unit (miles convert to km; hours do not)."""
    meter = world.records.add_meter(world.tenant_id, world.asset.id, name="odometer", unit="km")
    assert [m.id for m in world.meters.meters(world.ann, world.asset.id)] == [meter.id]
    first = world.meters.record(world.ann, meter=meter.id, value="1200.5")
    assert first.value == 1200.5
    assert first.read_at == NOW
    world.clock.advance(hours=1)
    with pytest.raises(InvalidInputError) as info:
        world.meters.record(world.ann, meter=meter.id, value=1000)
    assert set(info.value.fields) == {"value"}
    with pytest.raises(InvalidInputError) as info:
        world.meters.record(
            world.ann, meter=meter.id, value=1300, read_at=NOW + dt.timedelta(hours=2)
        )
    assert set(info.value.fields) == {"read_at"}
    with pytest.raises(InvalidInputError) as info:
        world.meters.record(world.ann, meter=meter.id, value=1300, unit="hours")
    assert set(info.value.fields) == {"unit"}
    miles = world.meters.record(world.ann, meter=meter.id, value=1000, unit="mi")
    assert miles.value == pytest.approx(1609.344)
    replaced = world.meters.record(world.ann, meter=meter.id, value=5, is_replacement="yes")
    assert replaced.is_replacement
    readings = world.meters.readings(world.ann, meter.id)
    assert [r.value for r in readings] == [5, pytest.approx(1609.344), 1200.5]
    assert _events(world) == ["meter_reading.recorded"] * 3
    with pytest.raises(PermissionDeniedError):
        world.meters.record(world.vic, meter=meter.id, value=6)


def test_an_implausible_reading_is_refused_and_nothing_is_stored(world: World) -> None:
    """The reported jump (12,600 km to 99,999,999 km) is refused by the tenant's limit."""
    meter = world.records.add_meter(world.tenant_id, world.asset.id, name="odometer", unit="km")
    world.meters.record(world.ann, meter=meter.id, value=12_600)
    world.clock.advance(hours=1)
    with pytest.raises(InvalidInputError) as info:
        world.meters.record(world.ann, meter=meter.id, value=99_999_999)
    assert "at most 15100 km" in str(info.value.fields["value"])
    assert [r.value for r in world.meters.readings(world.ann, meter.id)] == [12_600]
    world.records.set_settings(world.tenant_id, ActionSettings(reading_max_per_day={"km": 100}))
    with pytest.raises(InvalidInputError) as info:
        world.meters.record(world.ann, meter=meter.id, value=12_701)
    assert "at most 12700 km" in str(info.value.fields["value"])
    assert world.meters.record(world.ann, meter=meter.id, value=12_700).value == 12_700


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=-5, max_value=5000, allow_nan=False),
            st.integers(min_value=-7200, max_value=600),
            st.booleans(),
            st.integers(min_value=0, max_value=3600),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_property_stored_readings_obey_the_rules(
    steps: list[tuple[float, int, bool, int]],
) -> None:
    """Whatever customers submit, the stored readings of a meter (in order) are never
    in the future when recorded, never dated before the previous one, and never
    below it unless marked as a meter replacement."""
    portal = portalkit.Portal(MemoryStorage(), secret_key=SECRET, clock=ManualClock())
    world = build_world(portal)
    meter = world.records.add_meter(world.tenant_id, world.asset.id, name="odo", unit="km")
    for value, offset, replacement, advance in steps:
        world.clock.advance(seconds=advance)
        read_at = world.clock.now() + dt.timedelta(seconds=offset)
        try:
            world.meters.record(
                world.ann, meter=meter.id, value=value, read_at=read_at,
                is_replacement=replacement,
            )
        except InvalidInputError:
            continue
    with portal.storage.unit_of_work() as uow:
        readings = uow.actions.readings.find(world.tenant_id, order_by=("id",))
    for r in readings:
        assert r.read_at <= r.created_at
        assert r.value >= 0
    for before, after in itertools.pairwise(readings):
        assert after.read_at >= before.read_at
        assert after.is_replacement or after.value >= before.value
    assert _count(world, "outbox") == len(readings)


def test_meter_of_foreign_asset_is_not_found(world: World) -> None:
    """A meter on an asset outside the principal's scope is NotFound."""
    meter = world.records.add_meter(
        world.tenant_id, world.foreign_asset.id, name="hours", unit="h"
    )
    with pytest.raises(NotFoundError):
        world.meters.record(world.ann, meter=meter.id, value=1)
    with pytest.raises(NotFoundError):
        world.meters.meters(world.ann, world.foreign_asset.id)


# Maintenance schedule -----------------------------------------------------------------


def test_maintenance_schedule_by_permission(world: World) -> None:
    """Upcoming and overdue PMs and SAs; the viewer (PMs View only) sees only PMs;
    a foreign asset is NotFound."""
    add = world.records.add_maintenance_item
    tid, aid = world.tenant_id, world.asset.id
    add(tid, aid, kind="pm", code="PM-A", due_on=dt.date(2025, 12, 1))
    add(tid, aid, kind="pm", code="PM-B", due_on=dt.date(2026, 1, 20))
    add(tid, aid, kind="sa", code="SA-1", due_on=dt.date(2026, 1, 2))
    add(tid, aid, kind="sa", code="SA-far", due_on=dt.date(2027, 1, 2))
    schedule = world.maintenance.schedule(world.ann, aid)
    assert [i.code for i in schedule.overdue] == ["PM-A"]
    assert [i.code for i in schedule.upcoming] == ["SA-1", "PM-B"]
    viewer = world.maintenance.schedule(world.vic, aid)
    assert viewer.kinds == {"pm"}
    assert [i.code for i in viewer.upcoming] == ["PM-B"]
    with pytest.raises(NotFoundError):
        world.maintenance.schedule(world.ann, world.foreign_asset.id)
    with pytest.raises(InvalidInputError):
        add(tid, aid, kind="xx", code="?", due_on=None)


# Call off rent ------------------------------------------------------------------------


def test_call_off_rent(world: World) -> None:
    """Partial call-offs of items out; more than is left is a field error; a fully
    called-off or returned item is refused; pickup dates are checked."""
    add = world.records.add_rental_item
    tid = world.tenant_id
    scaffold = add(tid, world.org, contract_number="C-1", item_number="SCAF", quantity_out=10)
    pump = add(tid, world.site, contract_number="C-1", item_number="PUMP", quantity_out=1)
    returned = add(
        tid, world.site, contract_number="C-2", item_number="GEN", quantity_out=2,
        quantity_returned=2,
    )
    foreign = add(tid, world.foreign_site, contract_number="X", item_number="X", quantity_out=1)
    assert [i.id for i in world.rentals.items_out(world.ann)] == [pump.id, scaffold.id]
    lines = world.rentals.call_off(
        world.ann, items={scaffold.id: 4, pump.id: 1}, pickup_on="2026-01-05", notes="Gate B"
    )
    assert [(c.rental_item_id, c.quantity) for c in lines] == [(scaffold.id, 4), (pump.id, 1)]
    assert len({c.request_ref for c in lines}) == 1
    with world.portal.storage.unit_of_work() as uow:
        event = uow.outbox.find(tid)[0]
    assert event.topic == "rental.call_off_requested"
    assert [line["quantity"] for line in event.payload["lines"]] == [4, 1]
    with pytest.raises(InvalidInputError) as info:
        world.rentals.call_off(world.ann, items=[(scaffold.id, 7)], pickup_on=dt.date(2026, 1, 5))
    assert info.value.fields == {"quantity": "Only 6 can still be called off."}
    with pytest.raises(AlreadyUsedError):
        world.rentals.call_off(world.ann, items={pump.id: 1}, pickup_on="2026-01-05")
    with pytest.raises(AlreadyUsedError):
        world.rentals.call_off(world.ann, items={returned.id: 1}, pickup_on="2026-01-05")
    with pytest.raises(NotFoundError):
        world.rentals.call_off(world.ann, items={foreign.id: 1}, pickup_on="2026-01-05")
    for bad in ("2025-12-31", "2027-12-31", "tomorrow"):
        with pytest.raises(InvalidInputError) as info:
            world.rentals.call_off(world.ann, items={scaffold.id: 1}, pickup_on=bad)
        assert set(info.value.fields) == {"pickup_on"}
    with pytest.raises(InvalidInputError):
        world.rentals.call_off(world.ann, items={}, pickup_on="2026-01-05")
    with pytest.raises(InvalidInputError):
        world.rentals.call_off(world.ann, items={scaffold.id: 0}, pickup_on="2026-01-05")
    with pytest.raises(PermissionDeniedError):
        world.rentals.call_off(world.vic, items={scaffold.id: 1}, pickup_on="2026-01-05")
    assert [i.id for i in world.rentals.items_out(world.ann)] == [scaffold.id]
    assert _count(world, "call_offs") == 2


# Quote decisions ----------------------------------------------------------------------


def test_quote_approval_with_signature(world: World) -> None:
    """Approve a sent quote with typed signature and name; time and client key are
    recorded; a second decision is refused; the host gets an event."""
    decision = world.quotes.approve(
        world.ann, world.quote.id, signer_name="Ann Lee", signature="Ann Lee", client_key="10.0.0.1"
    )
    assert decision.decision == "approved"
    assert decision.decided_at == NOW
    assert decision.client_key == "10.0.0.1"
    with pytest.raises(AlreadyUsedError):
        world.quotes.decline(world.ann, world.quote.id, reason="Changed my mind")
    assert _events(world) == ["quote.approved"]
    assert [d.id for d in world.quotes.decisions(world.vic, world.quote.id)] == [decision.id]


def test_quote_rules(world: World) -> None:
    """Drafts and foreign quotes are NotFound; the viewer may not decide; a reason or
    message is required; change requests leave the quote open."""
    with pytest.raises(NotFoundError):
        world.quotes.approve(world.ann, world.draft_quote.id, signer_name="A", signature="A")
    with pytest.raises(NotFoundError):
        world.quotes.approve(world.ann, world.foreign_quote.id, signer_name="A", signature="A")
    with pytest.raises(PermissionDeniedError):
        world.quotes.approve(world.vic, world.quote.id, signer_name="V", signature="V")
    with pytest.raises(InvalidInputError) as info:
        world.quotes.approve(world.ann, world.quote.id, signer_name="", signature=" ")
    assert set(info.value.fields) == {"signer_name", "signature"}
    with pytest.raises(InvalidInputError) as info:
        world.quotes.decline(world.ann, world.quote.id, reason="")
    assert set(info.value.fields) == {"reason"}
    world.quotes.request_changes(world.ann, world.quote.id, message="Add a second pump")
    world.quotes.request_changes(world.ann, world.quote.id, message="And a hose")
    declined = world.quotes.decline(world.ann, world.quote.id, reason="Too expensive")
    assert declined.message == "Too expensive"
    assert _events(world) == ["quote.changes_requested"] * 2 + ["quote.declined"]


def test_quotes_switched_off_are_not_found(world: World) -> None:
    """With the tenant's quote feature off, quotes cannot be seen, so not decided."""
    with world.portal.admin("acme") as admin:
        admin.update_settings(disabled_features={"quote"})
    with pytest.raises(NotFoundError):
        world.quotes.approve(world.ann, world.quote.id, signer_name="A", signature="A")
    with pytest.raises(NotFoundError):
        world.quotes.decisions(world.ann, world.quote.id)


def test_quote_not_in_a_decidable_state(world: World) -> None:
    """An accepted or invoiced quote can no longer be decided on."""
    with world.portal.admin("acme") as admin:
        done = admin.add_document(kind="quote", status="accepted", number="Q-3", scope=world.site)
    with pytest.raises(ConflictError):
        world.quotes.approve(world.ann, done.id, signer_name="A", signature="A")


# Transactions ---------------------------------------------------------------------------


def test_every_action_is_stored_with_its_event(world: World) -> None:
    """Each successful action adds exactly one outbox event and one success audit
    entry; failed ones add neither."""
    trail = AuditTrail(world.portal.storage)
    before = len(trail.query(world.tenant_id, outcome="success").entries)  # account.create …
    meter = world.records.add_meter(world.tenant_id, world.asset.id, name="odo", unit="km")
    world.requests.request_service(world.ann, asset=world.asset.id, description="x")
    world.appointments.book(world.ann, asset=world.asset.id, starts_at=next_monday_at(9))
    world.meters.record(world.ann, meter=meter.id, value=1)
    with pytest.raises(InvalidInputError):
        world.meters.record(world.ann, meter=meter.id, value=0)
    world.quotes.request_changes(world.ann, world.quote.id, message="m")
    assert _count(world, "outbox") == 4
    assert len(trail.query(world.tenant_id, outcome="success").entries) == before + 4
    with world.portal.storage.unit_of_work() as uow:
        assert uow.actions.readings.count(world.tenant_id, Eq("value", 0.0)) == 0


# Concurrency ----------------------------------------------------------------------------


def _race(n: int, attempt: Callable[[], object]) -> tuple[int, list[BaseException]]:
    """Run *attempt* in *n* threads released together; (successes, errors)."""
    barrier = threading.Barrier(n)
    wins: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            wins.append(attempt())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(wins), errors


def test_last_free_slot_has_exactly_one_winner(world: World) -> None:
    """Eight threads book the last place of one slot at once (on PostgreSQL: eight
    connections): exactly one wins, the others get ConflictError, one event."""
    wins, errors = _race(
        8,
        lambda: world.appointments.book(
            world.ann, asset=world.asset.id, starts_at=next_monday_at(9)
        ),
    )
    assert wins == 1
    assert len(errors) == 7
    assert all(type(e) is ConflictError for e in errors), errors
    assert _count(world, "appointments") == 1
    assert _count(world, "outbox") == 1
    with world.portal.storage.unit_of_work() as uow:
        [slot] = uow.actions.slots.find(world.tenant_id)
    assert (slot.booked, slot.capacity) == (1, 1)


def test_capacity_is_never_exceeded(world: World) -> None:
    """With three places per slot, eight concurrent bookings give three winners."""
    world.records.set_settings(world.tenant_id, ActionSettings(slot_capacity=3))
    wins, errors = _race(
        8,
        lambda: world.appointments.book(
            world.ann, asset=world.asset.id, starts_at=next_monday_at(9)
        ),
    )
    assert wins == 3
    assert all(type(e) is ConflictError for e in errors), errors
    assert _count(world, "appointments") == 3


def test_concurrent_call_offs_never_exceed_the_quantity_out(world: World) -> None:
    """Eight concurrent call-offs of 1 of an item with 2 out: two win."""
    item = world.records.add_rental_item(
        world.tenant_id, world.site, contract_number="C", item_number="I", quantity_out=2
    )
    wins, errors = _race(
        8,
        lambda: world.rentals.call_off(world.ann, items={item.id: 1}, pickup_on="2026-01-05"),
    )
    assert wins == 2
    assert all(isinstance(e, (AlreadyUsedError, InvalidInputError)) for e in errors), errors
    assert _count(world, "call_offs") == 2


def test_concurrent_final_quote_decisions_have_one_winner(world: World) -> None:
    """Approve and decline racing on one quote: exactly one final decision is stored."""
    wins, errors = _race(
        6,
        lambda: world.quotes.approve(world.ann, world.quote.id, signer_name="A", signature="A"),
    )
    assert wins == 1
    assert all(isinstance(e, AlreadyUsedError) for e in errors), errors
    assert _count(world, "quote_decisions") == 1


def test_action_records_follow_a_moved_scope(world: World) -> None:
    """Moving a node (admin.move_scope) moves the scope paths of its action records."""
    request = world.requests.request_job(world.ann, site=world.site.id, description="x")
    meter = world.records.add_meter(world.tenant_id, world.asset.id, name="odo", unit="km")
    old = world.site.path
    with world.portal.admin("acme") as admin:
        division = admin.add_scope(world.org, kind="division", name="North")
        moved = admin.move_scope(world.site, division)
        # Nothing is left below the old path for a second rewrite to find.
        assert rewrite_scope_prefix(admin.uow, world.tenant_id, old, moved.path) == 0
    with world.portal.storage.unit_of_work() as uow:
        stored = uow.actions.requests.get(world.tenant_id, request.id)
        stored_meter = uow.actions.meters.get(world.tenant_id, meter.id)
    assert stored is not None
    assert stored_meter is not None
    assert stored.scope_path == moved.path
    assert stored_meter.scope_path.startswith(moved.path)


def test_guest_mode_acts_with_the_guest_users_grants(world: World) -> None:
    """Without a login (seed 000's "Is a login required? = No") a guest acts with the
    configured guest user's grants; with a login required the guest finds nothing."""
    guest = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.GUEST)
    with pytest.raises(NotFoundError):
        world.requests.request_job(guest, site=world.site.id, description="x")
    with world.portal.admin("acme") as admin:
        admin.update_settings(login_required=False, guest_user_id=world.ann.user_id)
    request = world.requests.request_job(
        guest, site=world.site.id, description="x", idempotency_key="g-1"
    )
    assert request.requested_by is None
    assert world.requests.request_job(
        guest, site=world.site.id, description="x", idempotency_key="g-1"
    ) == request
    with pytest.raises(NotFoundError):
        world.requests.request_job(guest, site=world.foreign_site.id, description="x")


def test_nightly_sync_of_host_data(world: World) -> None:
    """Meters, PMs/SAs and items on rent are upserted by the host's keys; a bad row
    names its number and stores nothing; a meter row without a reading keeps the
    stored last reading."""
    sync = ActionSync(world.portal.storage)
    tid = world.tenant_id
    with world.portal.admin("acme") as admin:
        site = admin.add_scope(world.org, kind="site", name="Yard 2", external_key="yard-2")
    counts = sync.upsert_rental_items(
        tid,
        [
            {"external_key": "r-1", "scope": "yard-2", "contract_number": "C-9",
             "item_number": "LIFT", "quantity_out": "3", "out_since": "2025-12-01"},
            {"external_key": "r-2", "scope": "yard-2", "contract_number": "C-9",
             "item_number": "PUMP", "quantity_out": 1},
        ],
    )
    assert (counts.inserted, counts.updated) == (2, 0)
    lifts = [i for i in world.rentals.items_out(world.ann) if i.item_number == "LIFT"]
    assert lifts[0].scope_path == site.path
    assert lifts[0].quantity_out == 3
    counts = sync.upsert_rental_items(
        tid,
        [{"external_key": "r-1", "scope": "yard-2", "contract_number": "C-9",
          "item_number": "LIFT", "quantity_out": 3, "quantity_returned": 3}],
    )
    assert (counts.inserted, counts.updated) == (0, 1)
    assert [i.item_number for i in world.rentals.items_out(world.ann)] == ["PUMP"]
    with pytest.raises(InvalidRowError) as info:
        sync.upsert_rental_items(
            tid,
            [
                {"external_key": "r-3", "scope": "yard-2", "contract_number": "C",
                 "item_number": "X", "quantity_out": 1},
                {"external_key": "r-4", "scope": "nowhere", "contract_number": "C",
                 "item_number": "Y", "quantity_out": 1},
            ],
        )
    assert info.value.row == 2
    assert _count(world, "rentals") == 2
    with pytest.raises(InvalidRowError):
        sync.upsert_rental_items(tid, [{"external_key": "r-5", "status": "x"}])

    sync.upsert_meters(tid, [{"external_key": "m-1", "asset": "a100", "name": "odo", "unit": "km"}])
    [meter] = world.meters.meters(world.ann, world.asset.id)
    world.meters.record(world.ann, meter=meter.id, value=50)
    sync.upsert_meters(
        tid, [{"external_key": "m-1", "asset": "a100", "name": "odometer", "unit": "km"}]
    )
    [meter] = world.meters.meters(world.ann, world.asset.id)
    assert (meter.name, meter.last_value) == ("odometer", 50)

    sync.upsert_maintenance_items(
        tid,
        [{"external_key": "pm-1", "asset": "a100", "kind": "PM", "code": "PM-A",
          "due_on": "2026-01-15"}],
    )
    assert [i.code for i in world.maintenance.schedule(world.ann, world.asset.id).upcoming] == [
        "PM-A"
    ]
    with pytest.raises(InvalidRowError):
        sync.upsert_maintenance_items(
            tid, [{"external_key": "pm-2", "asset": "a100", "kind": "xx", "code": "?"}]
        )
