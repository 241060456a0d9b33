"""Tests for portalkit._services.messages: posting, inbox, read state, on every storage."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

import portalkit
from portalkit._services.messages import MessageService
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.errors import ConfigurationError, InvalidInputError, NotFoundError
from portalkit.ports import Storage
from tests.services.documents_world import count_statements

SECRET = "messages-test-secret-key-0123456789-abcdefgh"
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


@attrs.frozen
class World:
    """A tenant with users in groups: ann (drivers), bob (managers), cy (none), dee (no perm)."""

    service: MessageService
    clock: ManualClock
    tenant_id: int
    ann: Principal
    bob: Principal
    cy: Principal
    dee: Principal
    drivers: int
    managers: int
    portal: portalkit.Portal


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> World:
    """The world on each storage adapter."""
    storage: Storage = (
        MemoryStorage()
        if request.param == "memory"
        else request.getfixturevalue(f"{request.param}_storage")
    )
    clock = ManualClock(T0)
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=clock)
    tenant = portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("reader", ["message.view"])
        drivers = admin.add_group("Drivers")
        managers = admin.add_group("Managers")
        users = {}
        for name in ("ann", "bob", "cy", "dee"):
            users[name] = admin.create_user(f"{name}@example.com", name.title())
        for name in ("ann", "bob", "cy"):
            admin.grant(users[name], "reader", scope=org)
        admin.add_to_group(drivers, users["ann"])
        admin.add_to_group(managers, users["bob"])
        admin.add_to_group(drivers, users["dee"])

    def who(name: str) -> Principal:
        return Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=users[name].id)

    return World(
        service=MessageService(storage, clock=clock),
        clock=clock,
        tenant_id=tenant.id,
        ann=who("ann"),
        bob=who("bob"),
        cy=who("cy"),
        dee=who("dee"),
        drivers=drivers.id,
        managers=managers.id,
        portal=portal,
    )


def titles(world: World, principal: Principal) -> list[str]:
    """The titles in the principal's inbox, in order."""
    return [view.message.title for view in world.service.inbox(principal)]


def test_everyone_and_group_messages_reach_the_right_users(world: World) -> None:
    """A global message reaches every reader; a group message only its members."""
    world.service.post(world.tenant_id, title="To all", body="Hello everyone")
    world.clock.advance(minutes=1)
    world.service.post(world.tenant_id, title="Drivers", body="Fuel", groups=["Drivers"])
    world.clock.advance(minutes=1)
    world.service.post(world.tenant_id, title="Managers", body="KPIs", groups=[world.managers])
    assert titles(world, world.ann) == ["Drivers", "To all"]
    assert titles(world, world.bob) == ["Managers", "To all"]
    assert titles(world, world.cy) == ["To all"]


def test_users_without_permission_and_guests_have_no_inbox(world: World) -> None:
    """No message.view, a guest or a share link: an empty inbox."""
    world.service.post(world.tenant_id, title="To all", body="Hello")
    assert titles(world, world.dee) == []
    guest = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.GUEST)
    assert world.service.inbox(guest) == []


def test_time_window(world: World) -> None:
    """A message shows only between its start and end."""
    world.service.post(
        world.tenant_id,
        title="Later",
        body="Soon",
        starts_at=T0 + dt.timedelta(hours=1),
        ends_at=T0 + dt.timedelta(hours=2),
    )
    assert titles(world, world.ann) == []
    world.clock.advance(hours=1)
    assert titles(world, world.ann) == ["Later"]
    world.clock.advance(hours=1)
    assert titles(world, world.ann) == []
    assert [m.title for m in world.service.all(world.tenant_id)] == ["Later"]
    assert world.service.all(world.tenant_id, live_only=True) == []


def test_read_state_is_per_user(world: World) -> None:
    """Marking read affects only that user; marking twice keeps the first time."""
    posted = world.service.post(world.tenant_id, title="To all", body="Hello")
    assert world.service.unread_count(world.ann) == 1
    world.clock.advance(minutes=5)
    view = world.service.mark_read(world.ann, posted.id)
    assert view.read
    assert view.read_at == T0 + dt.timedelta(minutes=5)
    world.clock.advance(minutes=5)
    again = world.service.mark_read(world.ann, posted.id)
    assert again.read_at == view.read_at
    assert world.service.unread_count(world.ann) == 0
    assert world.service.unread_count(world.bob) == 1
    assert [v.read for v in world.service.inbox(world.ann)] == [True]


def test_mark_read_of_a_message_not_for_you_is_not_found(world: World) -> None:
    """A message for another group, unknown, or out of window looks like no message."""
    managers_only = world.service.post(world.tenant_id, title="M", body="x", groups=["Managers"])
    with pytest.raises(NotFoundError):
        world.service.mark_read(world.ann, managers_only.id)
    with pytest.raises(NotFoundError):
        world.service.mark_read(world.ann, 999_999)
    with pytest.raises(NotFoundError):
        world.service.mark_read(world.dee, managers_only.id)


def test_edit_and_remove(world: World) -> None:
    """Editing changes the audience at once; removing deletes the message and its reads."""
    posted = world.service.post(world.tenant_id, title="To all", body="Hello")
    world.service.mark_read(world.cy, posted.id)
    world.service.edit(world.tenant_id, posted.id, groups=["Drivers"], title="Drivers now")
    assert titles(world, world.ann) == ["Drivers now"]
    assert titles(world, world.cy) == []
    world.service.edit(world.tenant_id, posted.id, to_everyone=True)
    assert titles(world, world.cy) == ["Drivers now"]
    assert world.service.remove(world.tenant_id, posted.id)
    assert titles(world, world.cy) == []
    assert not world.service.remove(world.tenant_id, posted.id)
    with pytest.raises(NotFoundError):
        world.service.edit(world.tenant_id, posted.id, title="x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title": "", "body": "x"},
        {"title": "x", "body": "x", "groups": []},
        {"title": "x", "body": "x", "groups": ["Nobody"]},
        {"title": "x", "body": "x", "ends_at": T0 - dt.timedelta(days=1)},
    ],
)
def test_bad_messages_are_refused(world: World, kwargs: dict[str, object]) -> None:
    """Empty title, empty or unknown groups, an end before the start: InvalidInputError."""
    with pytest.raises(InvalidInputError):
        world.service.post(world.tenant_id, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        world.service.edit(world.tenant_id, 1, colour="red")


# The request's policy (policy=) and the one-statement unread count --------------
def test_the_request_policy_gives_the_same_answers(world: World) -> None:
    """inbox, unread_count and mark_read answer alike with and without policy=."""
    world.service.post(world.tenant_id, title="To all", body="Hello")
    world.clock.advance(minutes=1)
    drivers = world.service.post(world.tenant_id, title="Drivers", body="Fuel", groups=["Drivers"])
    world.clock.advance(minutes=1)
    for who in (world.ann, world.bob, world.cy, world.dee):
        policy = world.portal.policy.policy_for(who)
        assert world.service.inbox(who, policy=policy) == world.service.inbox(who)
        assert world.service.unread_count(who, policy=policy) == world.service.unread_count(who)
    ann = world.portal.policy.policy_for(world.ann)
    assert world.service.unread_count(world.ann, policy=ann) == 2
    world.service.mark_read(world.ann, drivers.id, policy=ann)
    assert world.service.unread_count(world.ann, policy=ann) == 1
    bob = world.portal.policy.policy_for(world.bob)
    with pytest.raises(NotFoundError):
        world.service.mark_read(world.bob, drivers.id, policy=bob)
    guest = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.GUEST)
    assert world.service.unread_count(guest, policy=world.portal.policy.policy_for(guest)) == 0


def test_a_policy_of_another_tenant_is_refused(world: World) -> None:
    """Another tenant's policy is a programming error: ConfigurationError."""
    other = world.portal.create_tenant("other", "Other")
    stranger = Principal(tenant_id=other.id, kind=PrincipalKind.GUEST)
    foreign = world.portal.policy.policy_for(stranger)
    with pytest.raises(ConfigurationError):
        world.service.unread_count(world.ann, policy=foreign)
    with pytest.raises(ConfigurationError):
        world.service.inbox(world.ann, policy=foreign)


def test_unread_count_with_the_request_policy_is_one_statement(world: World) -> None:
    """With policy=, the header's unread count is ONE statement, whatever the inbox size."""
    if getattr(world.portal.storage, "engine", None) is None:
        pytest.skip("statement counts apply to SQL storage")
    for n in range(5):
        world.service.post(world.tenant_id, title=f"All {n}", body="x")
        world.service.post(world.tenant_id, title=f"Drivers {n}", body="x", groups=["Drivers"])
    for who, expected in ((world.ann, 10), (world.cy, 5)):  # ann is a driver; cy in no group
        policy = world.portal.policy.policy_for(who)
        with count_statements(world.portal) as statements:
            assert world.service.unread_count(who, policy=policy) == expected
        assert len(statements) == 1, statements


def test_a_custom_permission_check_is_still_asked(world: World) -> None:
    """A host's own permission check decides even when a policy is passed."""
    asked: list[str] = []

    def nobody(uow: object, principal: Principal, permission: str, path: str | None) -> bool:
        asked.append(permission)
        return False

    service = MessageService(world.portal.storage, clock=world.clock, permission_check=nobody)
    world.service.post(world.tenant_id, title="To all", body="Hello")
    policy = world.portal.policy.policy_for(world.ann)
    assert service.unread_count(world.ann, policy=policy) == 0
    assert service.inbox(world.ann, policy=policy) == []
    assert asked == ["message.view", "message.view"]
