"""Customer self-administration (issue 23, part 2): ``req.people``.

Every test runs on memory, SQLite and PostgreSQL; the concurrency test on
PostgreSQL with threads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit import perms
from portalkit._services.policy import load_policy
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.filters import Eq
from portalkit.domain.policy import Target
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portalkit.ports import Storage

SECRET = "people-test-secret-key-0123456789-abcdefgh"
PASSWORD = "a long and fine passphrase 42"
HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
ADMIN = [perms.PEOPLE_MANAGE, perms.INVITATION_SEND, perms.ASSET_VIEW, perms.MESSAGE_VIEW]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter, empty and migrated."""
    if request.param == "memory":
        return MemoryStorage()
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result


@attrs.frozen
class World:
    portal: portalkit.Portal
    mailer: MemoryMailer
    tenant_id: int
    city: ScopeNode
    depot: ScopeNode
    harbour: ScopeNode
    users: dict[str, User]

    def principal(self, name: str) -> Principal:
        return Principal(tenant_id=self.tenant_id, kind=PrincipalKind.USER,
                         user_id=self.users[name].id)

    def cookie(self, name: str) -> str:
        with self.portal.request("acme") as req:
            return req.sign_in(self.users[name].email, PASSWORD).session

    def grant_of(self, name: str, role: str | None = None) -> int:
        with self.portal.admin("acme") as admin:
            grants = admin.uow.grants.find(self.tenant_id, Eq("user_id", self.users[name].id))
            for grant in grants:
                if role is None or admin.uow.roles.get(self.tenant_id, grant.role_id).name == role:  # type: ignore[union-attr]
                    return grant.id
        raise AssertionError(f"{name} has no grant of {role}")

    def mail_to(self, name: str) -> list[str]:
        address = self.users[name].email
        return [
            f"{m['Subject']}\n{m.get_body(('plain',)).get_content()}"  # type: ignore[union-attr]
            for m in self.mailer.outbox if address in str(m["To"])
        ]


def make_world(storage: Storage, *, locale: str = "en", passwords: bool = True) -> World:
    mailer = MemoryMailer()
    config = portalkit.PortalConfig(hasher=HASHER, mailer=mailer)
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock(NOW), config=config)
    tenant = portal.create_tenant("acme", "Acme Fleet Services", settings=portalkit.TenantSettings(
        base_url="https://portal.acme.example", locale=locale,
    ))
    users: dict[str, User] = {}
    with portal.admin("acme") as admin:
        city = admin.add_organization("City Fleet")
        depot = admin.add_scope(city, kind="division", name="Depot 4")
        harbour = admin.add_organization("Harbour Co")
        admin.define_role("admin", ADMIN)
        admin.define_role("fleet", [perms.ASSET_VIEW])
        admin.define_role("accounts", [perms.STATEMENT_VIEW])
        for name, role, scope, staff in (
            ("mia", "admin", city, False),  # the administrator of City Fleet
            ("bo", "admin", city, False),  # a second one
            ("ann", "fleet", city, False),
            ("dan", "admin", depot, False),  # an administrator of one division
            ("zed", "fleet", harbour, False),  # another organization's user
            ("eve", "admin", harbour, False),
            ("sam", "fleet", city, True),  # staff, with a grant in City Fleet
        ):
            user = admin.create_user(f"{name}@example.com", name.capitalize(), is_staff=staff)
            admin.grant(user, role, scope=scope)
            users[name] = admin.set_password(user, PASSWORD) if passwords else user
    return World(portal, mailer, tenant.id, city, depot, harbour, users)


@pytest.fixture
def world(storage: Storage) -> World:
    return make_world(storage)


def run(world: World, cookie: str, action: Callable[[Any], Any]) -> Any:
    with world.portal.request("acme", session=cookie) as req:
        return action(req.people)


# Listing ---------------------------------------------------------------------------------


def test_an_administrator_lists_their_organizations_users_with_last_sign_in(world: World) -> None:
    mia = world.cookie("mia")
    world.cookie("ann")
    found = run(world, mia, lambda people: people.list())
    assert [c.name for c in found] == ["Ann", "Bo", "Dan", "Mia"]  # no Zed, Eve, staff Sam
    by_name = {c.name: c for c in found}
    assert by_name["Mia"].is_you
    assert not by_name["Ann"].is_you
    assert by_name["Ann"].last_sign_in == NOW
    assert by_name["Bo"].last_sign_in is None
    assert [(a.role, a.scope_name) for a in by_name["Ann"].access] == [("fleet", "City Fleet")]


def test_a_division_administrator_sees_and_manages_only_their_division(world: World) -> None:
    dan = world.cookie("dan")
    assert [c.name for c in run(world, dan, lambda people: people.list())] == ["Dan"]
    with pytest.raises(NotFoundError):  # Ann's grant is at the organization, above Dan
        run(world, dan, lambda people: people.remove_access(world.grant_of("ann")))


def test_without_people_manage_every_method_is_refused(world: World) -> None:
    ann = world.cookie("ann")
    for action in (
        lambda people: people.list(),
        lambda people: people.disable(world.users["bo"].id),
        lambda people: people.change_role(world.grant_of("bo"), "fleet"),
        lambda people: people.invite({"email": "x@example.com", "name": "X"},
                                     scope_id=world.city.id, role="fleet"),
    ):
        with pytest.raises(PermissionDeniedError):
            run(world, ann, action)
    with world.portal.request("acme") as req, pytest.raises(PermissionDeniedError):
        req.people.list()  # a guest


# Inviting: the invitation flow, with its no-escalation rule ------------------------------


def test_inviting_goes_through_the_invitation_flow(world: World) -> None:
    mia = world.cookie("mia")
    outcome = run(world, mia, lambda people: people.invite(
        {"email": "new@example.com", "name": "New Colleague"}, scope_id=world.depot.id,
        role="fleet"))
    assert outcome.sent
    assert outcome.invitation.scope_id == world.depot.id
    assert "token=" in world.mailer.outbox[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # A page shows the refusal inside its request, which then commits the audit entry.
    with world.portal.request("acme", session=mia) as req, pytest.raises(
        PermissionDeniedError, match="only give the access you hold"
    ):
        req.people.invite({"email": "eve2@example.com", "name": "Eve"},
                          scope_id=world.city.id, role="accounts")
    assert world.portal.audit.query(world.tenant_id, action="invitation.send",
                                    outcome="denied").entries


def test_a_scope_of_another_organization_is_answered_like_no_scope(world: World) -> None:
    mia = world.cookie("mia")
    errors = []
    for scope_id in (world.harbour.id, 999_999):
        with pytest.raises(InvalidInputError) as caught:
            run(world, mia, lambda people, s=scope_id: people.invite(
                {"email": "x@example.com", "name": "X"}, scope_id=s, role="fleet"))
        errors.append((caught.value.message, caught.value.fields))
    assert errors[0] == errors[1]
    assert world.mailer.outbox == []


def test_assignable_roles_are_those_within_the_administrators_permissions(world: World) -> None:
    mia = world.cookie("mia")
    roles = run(world, mia, lambda people: people.assignable_roles(world.depot.id))
    assert [r.name for r in roles] == ["admin", "fleet"]  # not "accounts"


# Changing a role, removing access --------------------------------------------------------


def test_changing_a_colleagues_role_is_audited_and_mailed(world: World) -> None:
    mia = world.cookie("mia")
    grant = run(world, mia, lambda people: people.change_role(world.grant_of("ann"), "admin"))
    assert grant.user_id == world.users["ann"].id
    assert grant.scope_id == world.city.id
    ann = world.cookie("ann")
    assert next(c.name for c in run(world, ann, lambda people: people.list())) == "Ann"
    [entry] = world.portal.audit.query(world.tenant_id, action="people.role_change").entries
    assert entry.actor_user_id == world.users["mia"].id
    assert entry.target == f"user:{world.users['ann'].id}"
    assert entry.detail["role"] == "admin"
    assert entry.detail["was"] == "fleet"
    [mail] = world.mail_to("ann")
    assert "your access has changed" in mail
    assert "Mia changed your role at City Fleet to admin." in mail


def test_a_role_above_ones_own_is_refused_and_nothing_changes(world: World) -> None:
    mia = world.cookie("mia")
    grant_id = world.grant_of("ann")
    with world.portal.request("acme", session=mia) as req, pytest.raises(
        PermissionDeniedError, match="only give the access you hold"
    ):
        req.people.change_role(grant_id, "accounts")
    assert world.grant_of("ann", "fleet") == grant_id
    assert world.mail_to("ann") == []
    [entry] = world.portal.audit.query(world.tenant_id, action="people.change").entries
    assert entry.outcome == "denied"
    assert entry.detail == {"reason": "escalation"}


def test_a_grant_above_ones_own_cannot_be_removed_either(world: World) -> None:
    with world.portal.admin("acme") as admin:
        admin.grant(world.users["ann"], "accounts", scope=world.city)
    mia = world.cookie("mia")
    for action in (
        lambda people: people.remove_access(world.grant_of("ann", "accounts")),
        lambda people: people.change_role(world.grant_of("ann", "accounts"), "fleet"),
    ):
        with world.portal.request("acme", session=mia) as req, pytest.raises(
            PermissionDeniedError, match="access you do not manage"
        ):
            action(req.people)
    assert world.grant_of("ann", "accounts")
    entries = world.portal.audit.query(world.tenant_id, action="people.change").entries
    assert [e.detail["reason"] for e in entries] == ["beyond_reach", "beyond_reach"]


def test_removing_access_at_a_scope(world: World) -> None:
    mia = world.cookie("mia")
    run(world, mia, lambda people: people.remove_access(world.grant_of("ann")))
    assert "Ann" not in [c.name for c in run(world, mia, lambda people: people.list())]
    assert "Mia removed your access at City Fleet." in world.mail_to("ann")[0]
    assert world.portal.audit.query(world.tenant_id, action="people.access_remove").entries


def test_unknown_and_other_organizations_ids_give_the_same_answer(world: World) -> None:
    mia = world.cookie("mia")
    answers = set()
    for grant_id in (world.grant_of("zed"), world.grant_of("sam"), 999_999):
        for action in ("remove_access", "change_role"):
            with pytest.raises(NotFoundError) as caught:
                run(world, mia, lambda people, g=grant_id, a=action: (
                    people.remove_access(g) if a == "remove_access"
                    else people.change_role(g, "fleet")))
            answers.add((type(caught.value), caught.value.message))
    for user_id in (world.users["zed"].id, world.users["eve"].id, world.users["sam"].id, 999_999):
        for action in ("disable", "enable"):
            with pytest.raises(NotFoundError) as caught:
                run(world, mia, lambda people, u=user_id, a=action: getattr(people, a)(u))
            answers.add((type(caught.value), caught.value.message))
    assert answers == {(NotFoundError, "Not found.")}
    assert world.mailer.outbox == []


def test_nobody_changes_their_own_access(world: World) -> None:
    mia = world.cookie("mia")
    for action in (
        lambda people: people.remove_access(world.grant_of("mia")),
        lambda people: people.change_role(world.grant_of("mia"), "fleet"),
        lambda people: people.disable(world.users["mia"].id),
    ):
        with pytest.raises(PermissionDeniedError, match="your own access"):
            run(world, mia, action)
    assert world.grant_of("mia", "admin")


def test_an_organization_keeps_an_administrator(world: World) -> None:
    """Bo, demoted by Mia, can no longer demote her: City Fleet keeps one administrator."""
    mia, bo = world.cookie("mia"), world.cookie("bo")
    run(world, mia, lambda people: people.change_role(world.grant_of("bo"), "fleet"))
    with pytest.raises(PermissionDeniedError):
        run(world, bo, lambda people: people.change_role(world.grant_of("mia"), "fleet"))
    assert world.grant_of("mia", "admin")


# Disabling -------------------------------------------------------------------------------


def test_disabling_ends_the_colleagues_sessions_and_enabling_lets_them_back(world: World) -> None:
    mia, ann = world.cookie("mia"), world.cookie("ann")
    run(world, mia, lambda people: people.disable(world.users["ann"].id))
    with world.portal.request("acme", session=ann) as req:
        assert not req.signed_in
        assert req.clear_session
    with world.portal.request("acme") as req, pytest.raises(portalkit.errors.AuthenticationError):
        req.sign_in("ann@example.com", PASSWORD)
    listed = {c.name: c for c in run(world, mia, lambda people: people.list())}
    assert not listed["Ann"].is_active
    assert "Mia disabled your Customer Portal account" in world.mail_to("ann")[0]
    run(world, mia, lambda people: people.enable(world.users["ann"].id))
    assert world.cookie("ann")
    actions = [e.action for e in world.portal.audit.query(world.tenant_id).entries]
    assert "people.disable" in actions
    assert "people.enable" in actions
    assert "Mia enabled your Customer Portal account again" in world.mail_to("ann")[1]


def test_a_colleague_with_access_elsewhere_cannot_be_disabled(world: World) -> None:
    with world.portal.admin("acme") as admin:
        admin.grant(world.users["ann"], "fleet", scope=world.harbour)
    mia = world.cookie("mia")
    with pytest.raises(PermissionDeniedError, match="access you do not manage") as caught:
        run(world, mia, lambda people: people.disable(world.users["ann"].id))
    assert "Harbour" not in caught.value.message
    assert world.cookie("ann")


def test_the_mail_is_in_the_tenants_language(storage: Storage) -> None:
    world = make_world(storage, locale="es")
    mia = world.cookie("mia")
    run(world, mia, lambda people: people.change_role(world.grant_of("ann"), "admin"))
    [mail] = world.mail_to("ann")
    assert "su acceso ha cambiado" in mail
    assert "Mia ha cambiado su rol en City Fleet" in mail


# The invariant, for any configuration ----------------------------------------------------

ADMIN_NEEDS = frozenset({perms.PEOPLE_MANAGE, perms.INVITATION_SEND})
_roles = st.lists(st.sampled_from(sorted(perms.names())), max_size=6).map(frozenset)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actor_roles=st.lists(st.tuples(_roles, st.sampled_from(["city", "depot", "harbour"])),
                         min_size=1, max_size=3),
    data=st.data(),
    at=st.sampled_from(["city", "depot", "harbour"]),
    how=st.sampled_from(["change_role", "invite"]),
)
def test_a_self_administrator_never_gives_a_permission_they_lack_there(
    actor_roles: list[tuple[frozenset[str], str]], data: st.DataObject, at: str, how: str,
) -> None:
    held = sorted(frozenset().union(*(p for p, _ in actor_roles)) | ADMIN_NEEDS)
    # Mostly what the actor holds somewhere, sometimes anything: both outcomes are common.
    offered: frozenset[str] = data.draw(st.one_of(
        st.lists(st.sampled_from(held), max_size=4).map(frozenset), _roles,
    ))
    world = make_world(MemoryStorage(), passwords=False)
    scopes = {"city": world.city, "depot": world.depot, "harbour": world.harbour}
    counter = itertools.count()
    with world.portal.admin("acme") as admin:
        kit = admin.create_user("kit@example.com", "Kit")
        for permissions, where in actor_roles:
            name = f"actor{next(counter)}"
            admin.define_role(name, sorted(permissions | ADMIN_NEEDS))
            admin.grant(kit, name, scope=scopes[where])
        admin.define_role("offered", sorted(offered))
        target = admin.create_user("tia@example.com", "Tia")
        tias = admin.grant(target, "fleet", scope=scopes[at])
    actor = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.USER, user_id=kit.id)
    people = world.portal.people
    try:
        if how == "change_role":
            people.change_role(actor, tias.id, "offered")
        else:
            people.invite(actor, {"email": "new@example.com", "name": "New"},
                          scope_id=scopes[at].id, role="offered")
    except (PermissionDeniedError, NotFoundError, InvalidInputError):
        event("refused")
        return
    event("given")
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        policy = load_policy(uow, actor)
    target_path = Target(tenant_id=world.tenant_id, scope_path=scopes[at].path)
    assert all(policy.is_allowed(actor, p, target_path) for p in offered)


# Concurrency -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_administrators_demoting_each_other_at_once_keep_one(
    postgres_storage: Storage,
) -> None:
    race_two_administrators(postgres_storage)


def race_two_administrators(storage: Storage) -> None:
    """Mia and Bo demote each other from two threads, five times: one wins each time."""
    world = make_world(storage)
    cookies = {name: world.cookie(name) for name in ("mia", "bo")}
    grants = {name: world.grant_of(name, "admin") for name in ("mia", "bo")}
    for _round in range(5):
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def demote(
            actor: str, other: str, barrier: threading.Barrier = barrier,
            outcomes: dict[str, str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                with world.portal.request("acme", session=cookies[actor]) as req:
                    req.people.change_role(grants[other], "fleet")
                outcomes[actor] = "done"
            except PermissionDeniedError:
                outcomes[actor] = "refused"

        threads = [threading.Thread(target=demote, args=pair)
                   for pair in (("mia", "bo"), ("bo", "mia"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == ["done", "refused"]
        [winner] = [name for name, outcome in outcomes.items() if outcome == "done"]
        loser = "bo" if winner == "mia" else "mia"
        assert world.grant_of(winner, "admin")
        # Put the loser back, for the next round.
        with world.portal.admin("acme") as admin:
            admin.revoke(world.grant_of(loser, "fleet"))
            grants[loser] = admin.grant(world.users[loser], "admin", scope=world.city).id


@pytest.mark.parametrize("call", [
    ("disable", "abc"), ("disable", True), ("disable", None), ("enable", 10**30),
    ("disable", -1), ("change_role", 10**30, "fleet"), ("change_role", "ann", None),
    ("change_role", "ann", "x" * 10_000), ("remove_access", 1.5), ("assignable_roles", "x"),
])
def test_bad_input_is_a_typed_error(world: World, call: tuple[Any, ...]) -> None:
    mia = world.cookie("mia")
    if call[1] == "ann":
        call = (call[0], world.grant_of("ann"), *call[2:])
    with pytest.raises((InvalidInputError, NotFoundError)):
        run(world, mia, lambda people: getattr(people, call[0])(*call[1:]))
    assert world.mailer.outbox == []


def test_the_tenants_guest_user_is_nobodys_colleague(world: World) -> None:
    with world.portal.admin("acme") as admin:
        guest = admin.create_user("guest@example.com", "Guest Visitor")
        admin.grant(guest, "fleet", scope=world.city)
        admin.update_settings(guest_user_id=guest.id)
    mia = world.cookie("mia")
    assert "Guest Visitor" not in [c.name for c in run(world, mia, lambda people: people.list())]
    with pytest.raises(NotFoundError):
        run(world, mia, lambda people: people.disable(guest.id))
