"""The action services reuse a request's policy (``policy=``), on every storage adapter.

A request that loaded its principal's policy once passes it to every action
read and write: the answers are the same as without it, a policy of another
tenant is refused, and the statements a read costs are counted so that a
regression (the policy, the tenant or the settings read again) fails here.
"""

from __future__ import annotations

import datetime as dt

import pytest

import portalkit
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from tests.services.action_world import World, build_world, next_monday_at
from tests.services.documents_world import count_statements


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The action world on each storage adapter, with meters, PMs, rentals and a decision."""
    w = build_world(portal)
    tid, aid = w.tenant_id, w.asset.id
    meter = w.records.add_meter(tid, aid, name="odometer", unit="km")
    w.meters.record(w.ann, meter=meter.id, value=100)
    w.records.add_maintenance_item(tid, aid, kind="pm", code="PM-A", due_on=dt.date(2026, 1, 20))
    w.records.add_rental_item(
        tid, w.site, contract_number="C-1", item_number="SCAF-10", quantity_out=3
    )
    w.requests.request_service(w.ann, asset=aid, description="Oil leak")
    w.appointments.book(w.ann, asset=aid, starts_at=next_monday_at(9))
    w.quotes.approve(w.ann, w.quote.id, signer_name="Ann Lee", signature="Ann Lee")
    return w


def _policy(world: World, principal: Principal) -> Policy:
    return world.portal.policy.policy_for(principal)


def _reads(world: World, who: Principal, policy: Policy | None) -> list[object]:
    """Every action read of the asset page and the account pages, with or without *policy*."""
    asset = world.asset
    meter = world.meters.meters(who, asset, policy=policy)[0]
    return [
        world.requests.list(who, asset=asset.id, policy=policy),
        world.appointments.list(who, asset=asset.id, policy=policy),
        world.appointments.available(
            who, asset, start=next_monday_at(8), end=next_monday_at(16), policy=policy
        ),
        world.meters.meters(who, asset, policy=policy),
        world.meters.readings(who, meter, policy=policy),
        world.maintenance.schedule(who, asset, policy=policy),
        world.rentals.items_out(who, policy=policy),
        world.quotes.decisions(who, world.quote.id, policy=policy),
    ]


def test_reads_with_the_request_policy_equal_reads_without(world: World) -> None:
    """Each read answers the same whether the policy is passed or loaded again."""
    assert _reads(world, world.ann, _policy(world, world.ann)) == _reads(world, world.ann, None)


def test_writes_with_the_request_policy(world: World) -> None:
    """Writes with policy= store, emit and audit as without; denials are unchanged."""
    ann = _policy(world, world.ann)
    request = world.requests.request_service(
        world.ann, asset=world.asset.id, description="Mirror", policy=ann
    )
    assert request.scope_path == world.asset.scope_path
    booked = world.appointments.book(
        world.ann, asset=world.asset.id, starts_at=next_monday_at(10), policy=ann
    )
    world.appointments.cancel(world.ann, booked.id, policy=ann)
    world.rentals.call_off(
        world.ann, items={world.rentals.items_out(world.ann)[0].id: 1},
        pickup_on="2026-01-02", policy=ann,
    )
    with world.portal.storage.unit_of_work() as uow:
        topics = [e.topic for e in uow.outbox.find(world.tenant_id)]
        tenant_slugs = {e.payload["tenant"] for e in uow.outbox.find(world.tenant_id)}
    assert topics[-3:] == [
        "appointment.booked", "appointment.cancelled", "rental.call_off_requested"
    ]
    assert tenant_slugs == {"acme"}
    vic = _policy(world, world.vic)
    with pytest.raises(PermissionDeniedError):
        world.requests.request_service(world.vic, asset=world.asset.id, description="x", policy=vic)
    with pytest.raises(NotFoundError):
        world.meters.meters(world.ann, world.foreign_asset.id, policy=ann)


def test_a_policy_of_another_tenant_is_refused(world: World) -> None:
    """Passing another tenant's policy is a programming error: ConfigurationError, no write."""
    other = build_world(world.portal, slug="other")
    foreign = _policy(other, other.ann)
    with pytest.raises(ConfigurationError):
        world.requests.list(world.ann, policy=foreign)
    with pytest.raises(ConfigurationError):
        world.requests.request_service(
            world.ann, asset=world.asset.id, description="x", policy=foreign
        )
    assert len(world.requests.list(world.ann)) == 1


def test_a_policy_does_not_widen_access(world: World) -> None:
    """Vic's policy gives Vic's answers even when asked for the asset page's reads."""
    vic = _policy(world, world.vic)
    assert world.requests.list(world.vic, policy=vic) == world.requests.list(world.vic)
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        world.meters.meters(world.vic, world.asset, policy=vic)


# Statement counts (SQL storage) ------------------------------------------------------
#: Statements of each read when the request's policy is passed: the records
#: themselves, plus the asset re-read where the action is checked on it, plus
#: the tenant's action settings where they are used. No policy, no tenant.
READ_STATEMENTS = {
    "requests.list": 1,
    "appointments.list": 1,
    "appointments.available": 3,  # asset, settings, booked slots
    "meters.meters": 2,  # asset, meters
    "meters.readings": 3,  # meter, asset, readings
    "maintenance.schedule": 3,  # asset, items, settings
    "rentals.items_out": 1,
    "quotes.decisions": 2,  # document, decisions
}


def test_statements_per_read_with_the_request_policy(world: World) -> None:
    """Each action read with policy= costs exactly the statements listed (SQL only)."""
    if getattr(world.portal.storage, "engine", None) is None:
        pytest.skip("statement counts apply to SQL storage")
    ann, who, asset = _policy(world, world.ann), world.ann, world.asset
    meter = world.meters.meters(who, asset)[0]
    calls = {
        "requests.list": lambda: world.requests.list(who, asset=asset.id, policy=ann),
        "appointments.list": lambda: world.appointments.list(who, asset=asset.id, policy=ann),
        "appointments.available": lambda: world.appointments.available(
            who, asset, start=next_monday_at(8), end=next_monday_at(16), policy=ann
        ),
        "meters.meters": lambda: world.meters.meters(who, asset, policy=ann),
        "meters.readings": lambda: world.meters.readings(who, meter, policy=ann),
        "maintenance.schedule": lambda: world.maintenance.schedule(who, asset, policy=ann),
        "rentals.items_out": lambda: world.rentals.items_out(who, policy=ann),
        "quotes.decisions": lambda: world.quotes.decisions(who, world.quote.id, policy=ann),
    }
    counted = {}
    for name, call in calls.items():
        with count_statements(world.portal) as statements:
            call()
        counted[name] = len(statements)
    assert counted == READ_STATEMENTS


def test_without_a_policy_a_read_loads_it_once(world: World) -> None:
    """Without policy= a list loads the policy once in its own unit (no repeated tenant)."""
    if getattr(world.portal.storage, "engine", None) is None:
        pytest.skip("statement counts apply to SQL storage")
    with count_statements(world.portal) as loaded:
        world.requests.list(world.ann)
    policy = _policy(world, world.ann)
    with count_statements(world.portal) as given:
        world.requests.list(world.ann, policy=policy)
    tenant_reads = [s for s in loaded if "FROM portalkit_tenants" in s]
    assert len(given) == 1
    assert len(tenant_reads) <= 2  # the existence check and the policy's own
    assert "portalkit_action_settings" not in " ".join(loaded)


def test_a_write_with_the_request_policy_reads_no_policy_rows(world: World) -> None:
    """A service request with policy= reads no grant, role or membership (SQL only)."""
    if getattr(world.portal.storage, "engine", None) is None:
        pytest.skip("statement counts apply to SQL storage")
    ann = _policy(world, world.ann)
    with count_statements(world.portal) as statements:
        world.requests.request_service(
            world.ann, asset=world.asset.id, description="x", idempotency_key="k1", policy=ann
        )
    text = " ".join(statements)
    for table in ("portalkit_grants", "portalkit_roles", "portalkit_memberships"):
        assert table not in text
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(writes) <= 9, writes
