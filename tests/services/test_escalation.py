"""No escalation through invitations: a customer gives only the access they hold.

Every test runs on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit import perms
from portalkit._services.policy import load_tenant_policy
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.demo import DEMO_TENANT, load_demo
from portalkit.domain.filters import Eq
from portalkit.domain.policy import Target
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.scopes import ALLOWED_PARENTS, ScopeKind, ScopeNode
from portalkit.errors import PermissionDeniedError
from portalkit.ports import Storage

SECRET = "escalation-test-secret-key-0123456789-abcdef"
PASSWORD = "a long and fine passphrase 42"
HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
CATALOGUE = sorted(perms.names())
_slugs = itertools.count()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter, empty and migrated."""
    if request.param == "memory":
        return MemoryStorage()
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result


@attrs.frozen
class Setup:
    portal: portalkit.Portal
    mailer: MemoryMailer


def make_portal(storage: Storage) -> Setup:
    mailer = MemoryMailer()
    clock = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc))
    config = portalkit.PortalConfig(hasher=HASHER, mailer=mailer)
    return Setup(portalkit.Portal(storage, secret_key=SECRET, clock=clock, config=config), mailer)


def as_user(tenant_id: int, user_id: int) -> Principal:
    return Principal(tenant_id=tenant_id, kind=PrincipalKind.USER, user_id=user_id)


def token_of(mailer: MemoryMailer) -> str:
    body = mailer.outbox[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"\?token=(\S+)", body)
    assert match
    return match.group(1)


def stored(storage: Storage, tenant_id: int, what: str, *spec: Any) -> list[Any]:
    with storage.unit_of_work(read_only=True) as uow:
        return list(getattr(uow, what).find(tenant_id, *spec))


# The demo reproduction ----------------------------------------------------------------


@attrs.frozen
class Demo:
    setup: Setup
    tenant_id: int
    ivy: Principal
    staff: Principal
    city: ScopeNode
    green: ScopeNode


@pytest.fixture
def demo(storage: Storage) -> Demo:
    """The demo tenant plus Ivy, a City Fleet customer who may only send invitations."""
    setup = make_portal(storage)
    load_demo(setup.portal)
    with setup.portal.admin(DEMO_TENANT) as admin:
        admin.define_role("inviter", [perms.INVITATION_SEND])
        city = admin.scope_by_key("CUST-1001")
        green = admin.scope_by_key("CUST-1002")
        ivy = admin.create_user("ivy@cityfleet.example", "Ivy Inviter")
        admin.grant(ivy, "inviter", scope=city)
        staff = admin.uow.users.get_by_email(admin.tenant.id, "admin@northwind.example")
        assert staff is not None
        tid = admin.tenant.id
    return Demo(setup, tid, as_user(tid, ivy.id), as_user(tid, staff.id), city, green)


def test_customer_with_only_invitation_send_cannot_invite_as_staff(demo: Demo) -> None:
    """The reported bug: role ``staff`` is refused, nothing is stored or sent, the refusal
    is audited and its message names nothing of anyone."""
    service = demo.setup.portal.invitations
    contact = {"email": "mallory@cityfleet.example", "name": "Mallory"}
    for call in (service.send, service.send_one):
        with pytest.raises(PermissionDeniedError) as caught:
            call(demo.ivy, [contact] if call is service.send else contact,  # type: ignore[operator]
                 scope_id=demo.city.id, role="staff")
        message = str(caught.value).lower()
        for leak in ("mallory", "city fleet", "statement", "staff", "northwind", "@"):
            assert leak not in message
    assert stored(demo.setup.portal.storage, demo.tenant_id, "invitations") == []
    assert demo.setup.mailer.outbox == []
    denied = stored(
        demo.setup.portal.storage, demo.tenant_id, "audit", Eq("outcome", "denied")
    )
    assert [(a.action, a.actor_user_id, a.detail) for a in denied] == [
        ("invitation.send", demo.ivy.user_id, {"reason": "escalation"})
    ] * 2
    assert all("mallory" not in repr(a) for a in denied)


def test_customer_may_give_what_they_hold_where_they_hold_it(demo: Demo) -> None:
    """With lookup_only at City Fleet, Ivy may give lookup_only there, not at Green Acres,
    and not a role holding more (site_contact)."""
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.grant(demo.ivy.user_id, "lookup_only", scope=demo.city)  # type: ignore[arg-type]
    service = demo.setup.portal.invitations
    report = service.send(
        demo.ivy, [{"email": "new@cityfleet.example", "name": "New"}],
        scope_id=demo.city.id, role="lookup_only",
    )
    assert report.sent == 1
    with pytest.raises(PermissionDeniedError):  # not at another organization
        service.send(demo.ivy, [{"email": "x@example.com", "name": "X"}],
                     scope_id=demo.green.id, role="lookup_only")
    with pytest.raises(PermissionDeniedError):  # not more than held
        service.send(demo.ivy, [{"email": "x@example.com", "name": "X"}],
                     scope_id=demo.city.id, role="site_contact")


def test_a_group_is_judged_by_what_it_grants(demo: Demo) -> None:
    """The demo's "Fleet managers" group holds lookup_only at City Fleet and KPI tiles:
    Ivy may not hand it out; with those grants herself and the group's KPI view, she may."""
    service = demo.setup.portal.invitations
    contact = [{"email": "g@cityfleet.example", "name": "G"}]
    with pytest.raises(PermissionDeniedError):
        service.send(demo.ivy, contact, group="Fleet managers")
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.grant(demo.ivy.user_id, "lookup_only", scope=demo.city)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError):  # the group's KPI tiles are not hers
        service.send(demo.ivy, contact, group="Fleet managers")
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.add_to_group(admin.uow.groups.get_by_name(admin.tenant.id, "Fleet managers"),
                           demo.ivy.user_id)  # type: ignore[arg-type]
        admin.define_role("kpi", [perms.KPI_VIEW])
        admin.grant(demo.ivy.user_id, "kpi", scope=demo.city)  # type: ignore[arg-type]
    assert service.send(demo.ivy, contact, group="Fleet managers").sent == 1


def test_staff_may_grant_anything(demo: Demo) -> None:
    """An active is_staff sender (or the staff API) gives any role; the account gets it."""
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.define_role("everything", CATALOGUE)
        nora = admin.create_user("nora2@northwind.example", "Nora Two", is_staff=True)
        admin.grant(nora, "inviter", scope=demo.green)
    service = demo.setup.portal.invitations
    report = service.send(
        as_user(demo.tenant_id, nora.id), [{"email": "boss@greenacres.example", "name": "B"}],
        scope_id=demo.green.id, role="everything",
    )
    assert report.sent == 1
    user = service.accept(demo.tenant_id, token_of(demo.setup.mailer), PASSWORD, PASSWORD).user
    grants = stored(demo.setup.portal.storage, demo.tenant_id, "grants", Eq("user_id", user.id))
    assert [g.scope_path for g in grants] == [demo.green.path]


def test_accept_rechecks_the_sender_and_still_creates_the_account(demo: Demo) -> None:
    """The sender lost the role before the invitee accepted: the account is created
    without it, the refusal is audited, the event says so, the invitee sees no difference."""
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        held = admin.grant(demo.ivy.user_id, "lookup_only", scope=demo.city)  # type: ignore[arg-type]
    service = demo.setup.portal.invitations
    service.send(demo.ivy, [{"email": "late@cityfleet.example", "name": "Late"}],
                 scope_id=demo.city.id, role="lookup_only")
    token = token_of(demo.setup.mailer)
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.revoke(held)
    signed_up = service.accept(demo.tenant_id, token, PASSWORD, PASSWORD)
    user = signed_up.user
    portal_storage = demo.setup.portal.storage
    assert stored(portal_storage, demo.tenant_id, "grants", Eq("user_id", user.id)) == []
    (entry,) = stored(portal_storage, demo.tenant_id, "audit", Eq("action", "invitation.grant"))
    assert (entry.outcome, entry.actor_user_id) == ("denied", demo.ivy.user_id)
    (event,) = stored(portal_storage, demo.tenant_id, "outbox",
                      Eq("topic", "invitation.accepted"))
    assert event.payload["access_refused"] is True
    created = stored(portal_storage, demo.tenant_id, "audit", Eq("action", "account.create"))
    assert created[-1].target == f"user:{user.id}"
    assert created[-1].detail["via"] == "invitation"


def test_resend_after_the_sender_lost_access_is_refused(demo: Demo) -> None:
    """Resending vouches again: refused (and audited) once the sender lacks the role."""
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        held = admin.grant(demo.ivy.user_id, "lookup_only", scope=demo.city)  # type: ignore[arg-type]
    service = demo.setup.portal.invitations
    service.send(demo.ivy, [{"email": "r@cityfleet.example", "name": "R"}],
                 scope_id=demo.city.id, role="lookup_only")
    (invitation,) = stored(demo.setup.portal.storage, demo.tenant_id, "invitations")
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.revoke(held)
    sent_before = len(demo.setup.mailer.outbox)
    with pytest.raises(PermissionDeniedError):
        service.resend(demo.ivy, invitation.id)
    assert len(demo.setup.mailer.outbox) == sent_before
    (again,) = stored(demo.setup.portal.storage, demo.tenant_id, "invitations")
    assert again.nonce == invitation.nonce
    denied = stored(demo.setup.portal.storage, demo.tenant_id, "audit", Eq("outcome", "denied"))
    assert [a.target for a in denied] == [f"invitation:{invitation.id}"]


# The property ------------------------------------------------------------------------

permission_sets = st.frozensets(st.sampled_from(CATALOGUE), max_size=6)
#: A tree: each node after the organization names its parent among the earlier ones.
_KINDS = st.sampled_from(["organization", "division", "site"])
trees = st.lists(st.tuples(st.integers(0, 20), _KINDS), max_size=4)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    tree = draw(trees)
    n_nodes = 1 + len(tree)
    roles = draw(st.lists(permission_sets, min_size=1, max_size=4))
    node = st.integers(0, n_nodes - 1)
    role = st.integers(0, len(roles) - 1)
    return {
        "tree": tree,
        "roles": roles,
        "actor_grants": draw(st.lists(st.tuples(role, node), max_size=3)),
        "actor_in_group": draw(st.booleans()),
        "group_grants": draw(st.lists(st.tuples(role, node), max_size=2)),
        "group_kpis": draw(st.frozensets(st.sampled_from(["a", "b"]))),
        "offer": draw(st.one_of(st.none(), st.tuples(role, node))),
        "with_group": draw(st.booleans()),
    }


@pytest.fixture
def shared(storage: Storage) -> Setup:
    """One portal on the storage; each example gets a tenant of its own."""
    return make_portal(storage)


def _build_tree(admin: Any, tree: list[tuple[int, str]]) -> list[ScopeNode]:
    nodes = [admin.add_organization("Org")]
    for parent, kind in tree:
        if kind == "organization":
            nodes.append(admin.add_organization(f"Org {len(nodes)}"))
            continue
        under = nodes[parent % len(nodes)]
        if under.kind not in ALLOWED_PARENTS[ScopeKind(kind)]:
            under = nodes[0]
        nodes.append(admin.add_scope(under, kind=kind, name=f"{kind} {len(nodes)}"))
    return nodes


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds())
def test_nothing_a_customer_invites_can_do_what_the_customer_cannot(
    shared: Setup, world: dict[str, Any]
) -> None:
    """Random roles (catalogue subsets), scope trees and grants: whatever account a
    customer's invitation creates, the policy engine allows it nothing the customer
    is not allowed (every permission at every node), nor a KPI tile the customer lacks;
    and a refusal is only ever for access the customer does not hold."""
    portal = shared.portal
    slug = f"t{next(_slugs)}"
    tenant = portal.create_tenant(slug, "Tenant")
    with portal.admin(slug) as admin:
        admin.update_settings(base_url="https://portal.example", sender_email="p@example.com")
        nodes = _build_tree(admin, world["tree"])
        for i, permissions in enumerate(world["roles"]):
            admin.define_role(f"r{i}", permissions)
        admin.define_role("inviter", [perms.INVITATION_SEND])
        actor = admin.create_user("actor@example.com", "Actor")
        for org in (n for n in nodes if n.parent_id is None):  # may invite anywhere
            admin.grant(actor, "inviter", scope=org)
        for r, n in world["actor_grants"]:
            admin.grant(actor, f"r{r}", scope=nodes[n])
        group = admin.add_group("G", kpi_keys=world["group_kpis"])
        for r, n in world["group_grants"]:
            admin.grant(group, f"r{r}", scope=nodes[n])
        if world["actor_in_group"]:
            admin.add_to_group(group, actor)
    options: dict[str, Any] = {}
    if world["offer"] is not None:
        r, n = world["offer"]
        options.update(role=f"r{r}", scope_id=nodes[n].id)
    if world["with_group"]:
        options["group"] = "G"
    sender = as_user(tenant.id, actor.id)
    outbox = len(shared.mailer.outbox)
    try:
        portal.invitations.send(sender, [{"email": "new@example.com", "name": "New"}], **options)
    except PermissionDeniedError:
        refused = True
    else:
        refused = False
    with portal.storage.unit_of_work(read_only=True) as uow:
        before = load_tenant_policy(uow, tenant.id)
    offers = []
    if world["offer"] is not None:
        r, n = world["offer"]
        offers.append((world["roles"][r], nodes[n].path))
    if world["with_group"]:
        offers += [(world["roles"][r], nodes[n].path) for r, n in world["group_grants"]]
    holds = all(
        before.is_allowed(sender, p, Target(tenant.id, path)) for ps, path in offers for p in ps
    ) and (not world["with_group"] or world["group_kpis"] <= before.kpi_keys(sender))
    assert refused is not holds  # refused exactly when something offered is not held
    event("refused" if refused else "sent")
    if refused:
        assert len(shared.mailer.outbox) == outbox
        assert stored(portal.storage, tenant.id, "invitations") == []
        return
    new_user = portal.invitations.accept(tenant.id, token_of(shared.mailer), PASSWORD,
                                         PASSWORD).user
    invitee = as_user(tenant.id, new_user.id)
    with portal.storage.unit_of_work(read_only=True) as uow:
        policy = load_tenant_policy(uow, tenant.id)
    for node_ in nodes:
        target = Target(tenant.id, node_.path)
        for permission in CATALOGUE:
            if policy.is_allowed(invitee, permission, target):
                assert policy.is_allowed(sender, permission, target), (permission, node_.path)
    assert policy.kpi_keys(invitee) <= policy.kpi_keys(sender)


def test_accept_judges_the_role_as_it_is_now(demo: Demo) -> None:
    """Ivy may give lookup_only (site_contact holds all of it); staff then add statement
    viewing to lookup_only: the invitee signs up without the role."""
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        admin.grant(demo.ivy.user_id, "site_contact", scope=demo.city)  # type: ignore[arg-type]
    service = demo.setup.portal.invitations
    service.send(demo.ivy, [{"email": "grow@cityfleet.example", "name": "Grow"}],
                 scope_id=demo.city.id, role="lookup_only")
    with demo.setup.portal.admin(DEMO_TENANT) as admin:
        grown = [*admin.role("lookup_only").permissions, perms.STATEMENT_VIEW]
        admin.define_role("lookup_only", grown)
    user = service.accept(demo.tenant_id, token_of(demo.setup.mailer), PASSWORD, PASSWORD).user
    assert stored(demo.setup.portal.storage, demo.tenant_id, "grants", Eq("user_id", user.id)) == []
