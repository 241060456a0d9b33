"""Customer-side writes are rate limited per principal and per client (issue 20, 7).

150 guest job requests from one client used to be stored, all of them. Every
submitting use case (service and job requests, appointments, meter readings,
call-off, quote decisions) now counts against ``LimitsConfig.action_principal``
and ``LimitsConfig.action_client`` in the storage's throttle, which every
worker shares.
"""

from __future__ import annotations

import datetime as dt

import pytest

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.config import LimitsConfig, PortalConfig
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.errors import ThrottledError
from portalkit.ports import Storage
from tests.services.action_world import World, build_world
from tests.services.conftest import SECRET


def _world(request: pytest.FixtureRequest, limits: LimitsConfig) -> World:
    kind = request.param
    if kind == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{kind}_storage")
    portal = portalkit.Portal(
        storage, secret_key=SECRET, clock=ManualClock(), config=PortalConfig(limits=limits)
    )
    return build_world(portal)


STORAGES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORAGES)
def world(request: pytest.FixtureRequest) -> World:
    """The action world with the default limits."""
    return _world(request, LimitsConfig())


@pytest.fixture(params=STORAGES)
def small(request: pytest.FixtureRequest) -> World:
    """The action world with a limit of 3 per principal and 5 per client, per hour."""
    hour = dt.timedelta(hours=1)
    return _world(
        request,
        LimitsConfig(
            action_principal=ThrottleRule(limit=3, window=hour, backoff_max=hour),
            action_client=ThrottleRule(limit=5, window=hour, backoff_max=hour),
        ),
    )


def _stored(world: World) -> int:
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        return int(uow.actions.requests.count(world.tenant_id))


def test_150_guest_requests_from_one_client_store_100(world: World) -> None:
    """The reported attack: one client's flood stops at the default 100 per hour."""
    with world.portal.admin("acme") as admin:
        admin.update_settings(login_required=False, guest_user_id=world.ann.user_id)
    refused = 0
    waits: list[float] = []
    for i in range(150):
        with world.portal.request("acme", client="203.0.113.9") as req:
            try:
                req.requests.request_job(site=world.site.id, description=f"flood {i}")
            except ThrottledError as error:
                waits.append(error.retry_after)
                refused += 1
    assert (_stored(world), refused) == (100, 50)
    assert min(waits) > 0
    # Another visitor is not blocked by the first one's flood.
    with world.portal.request("acme", client="198.51.100.7") as req:
        req.requests.request_job(site=world.site.id, description="a real request")
    assert _stored(world) == 101


def test_a_principal_is_limited_across_clients_and_use_cases(small: World) -> None:
    """Three writes per principal, whatever the client and the kind of write."""
    ann = small.ann
    small.portal.requests.request_job(ann, site=small.site.id, description="1", client_key="a")
    small.portal.requests.request_service(
        ann, asset=small.asset.id, description="2", client_key="b"
    )
    small.portal.requests.request_job(ann, site=small.site.id, description="3")
    with pytest.raises(ThrottledError):
        small.portal.requests.request_job(ann, site=small.site.id, description="4", client_key="c")
    with pytest.raises(ThrottledError):
        small.portal.meters.record(ann, meter=1, value=1)
    assert _stored(small) == 3
    clock = small.portal.clock
    assert isinstance(clock, ManualClock)
    clock.advance(hours=2)
    small.portal.requests.request_job(ann, site=small.site.id, description="5")
    assert _stored(small) == 4


def test_a_client_is_limited_across_principals(small: World) -> None:
    """Five writes per client, whoever is signed in there."""
    guest = Principal(tenant_id=small.tenant_id, kind=PrincipalKind.GUEST)
    with small.portal.admin("acme") as admin:
        admin.update_settings(login_required=False, guest_user_id=small.ann.user_id)
    for i in range(3):
        small.portal.requests.request_job(
            small.ann, site=small.site.id, description=f"a{i}", client_key="shared"
        )
    for i in range(2):
        small.portal.requests.request_job(
            guest, site=small.site.id, description=f"g{i}", client_key="shared"
        )
    with pytest.raises(ThrottledError):
        small.portal.requests.request_job(
            guest, site=small.site.id, description="g2", client_key="shared"
        )
    assert _stored(small) == 5
