"""The access policy engine: decisions, reasons, filters, sections, account switching."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portalkit import perms
from portalkit.domain.filters import FALSE, Or, ScopeUnder, evaluate
from portalkit.domain.policy import (
    ASSET_PAGE,
    Decision,
    NoAccess,
    Policy,
    Reason,
    Section,
    Sections,
    Target,
    organization_id,
)
from portalkit.domain.principals import (
    Grant,
    Group,
    Membership,
    Principal,
    PrincipalKind,
    Role,
    User,
)
from portalkit.domain.scopes import ScopeKind, ScopeNode, child_path
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import PermissionDeniedError

T = 1
OTHER_T = 2


# A small world ---------------------------------------------------------------------


@attrs.define
class World:
    """Rows of one or two tenants, as a storage adapter would return them."""

    settings: TenantSettings = attrs.field(factory=TenantSettings)
    nodes: list[ScopeNode] = attrs.field(factory=list)
    users: list[User] = attrs.field(factory=list)
    roles: list[Role] = attrs.field(factory=list)
    groups: list[Group] = attrs.field(factory=list)
    memberships: list[Membership] = attrs.field(factory=list)
    grants: list[Grant] = attrs.field(factory=list)
    ids: Any = attrs.field(factory=lambda: itertools.count(1))

    def node(self, parent: ScopeNode | None, kind: ScopeKind = ScopeKind.SITE,
             tenant: int = T) -> ScopeNode:
        i = next(self.ids)
        if parent is None:
            kind = ScopeKind.ORGANIZATION
        n = ScopeNode(i, tenant, kind, f"n{i}", child_path(parent.path if parent else None,
                                                           kind, i),
                      parent.id if parent else None)
        self.nodes.append(n)
        return n

    def user(self, active: bool = True, tenant: int = T) -> User:
        i = next(self.ids)
        u = User(id=i, tenant_id=tenant, email=f"u{i}@x.example", name=f"U{i}",
                 is_active=active)
        self.users.append(u)
        return u

    def role(self, *names: str, tenant: int = T) -> Role:
        i = next(self.ids)
        r = Role(id=i, tenant_id=tenant, name=f"role{i}", permissions=frozenset(names))
        self.roles.append(r)
        return r

    def group(self, *members: User, kpi: Iterable[str] = ()) -> Group:
        i = next(self.ids)
        g = Group(id=i, tenant_id=T, name=f"g{i}", kpi_keys=frozenset(kpi))
        self.groups.append(g)
        for m in members:
            self.memberships.append(
                Membership(id=next(self.ids), tenant_id=T, group_id=g.id, user_id=m.id))
        return g

    def grant(self, holder: User | Group, role: Role, node: ScopeNode,
              tenant: int = T) -> Grant:
        g = Grant(id=next(self.ids), tenant_id=tenant, role_id=role.id, scope_id=node.id,
                  scope_path=node.path,
                  user_id=holder.id if isinstance(holder, User) else None,
                  group_id=holder.id if isinstance(holder, Group) else None)
        self.grants.append(g)
        return g

    def policy(self, tenant: int = T, **changes: Any) -> Policy:
        return Policy.build(
            tenant_id=tenant,
            settings=attrs.evolve(self.settings, **changes),
            users=self.users, roles=self.roles, grants=self.grants,
            organizations=[n for n in self.nodes if n.parent_id is None],
            groups=self.groups, memberships=self.memberships,
        )


def who(user: User | None = None, *, guest: bool = False, org: str | None = None,
        tenant: int = T) -> Principal:
    if guest:
        return Principal(tenant_id=tenant, kind=PrincipalKind.GUEST, active_organization=org)
    assert user is not None
    return Principal(tenant_id=tenant, kind=PrincipalKind.USER, user_id=user.id,
                     active_organization=org)


def at(node: ScopeNode) -> Target:
    return Target.of(node)


@pytest.fixture
def fleet() -> dict[str, Any]:
    """Seed 000's shape: two organizations, divisions and sites, a portal user."""
    w = World()
    org = w.node(None)
    div = w.node(org, ScopeKind.DIVISION)
    site = w.node(div)
    other_site = w.node(w.node(org, ScopeKind.DIVISION))
    org2 = w.node(None)
    site2 = w.node(org2)
    ann = w.user()
    viewer = w.role(perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW)
    w.grant(ann, viewer, div)
    return {"w": w, "org": org, "div": div, "site": site, "other_site": other_site,
            "org2": org2, "site2": site2, "ann": ann, "viewer": viewer}


# Decisions -------------------------------------------------------------------------


def test_grant_covers_subtree_only(fleet: dict[str, Any]) -> None:
    """A grant at a division allows its sites, not its siblings or its organization."""
    p = fleet["w"].policy()
    ann = who(fleet["ann"])
    d = p.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert d.allowed
    assert d.reason is Reason.ALLOWED
    assert d.scope_path == fleet["div"].path
    assert d.role == fleet["viewer"].name
    assert p.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["div"])).allowed
    for node in ("org", "other_site", "site2"):
        d = p.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet[node]))
        assert not d.allowed
        assert d.reason is Reason.NO_GRANT


def test_deny_by_default_without_grants() -> None:
    """With no grants at all, nothing is allowed to anyone."""
    w = World()
    site = w.node(w.node(None))
    u = w.user()
    p = w.policy()
    for name in perms.names():
        assert p.decide(who(u), name, at(site)).reason is Reason.NO_GRANT


def test_action_not_in_role_is_denied(fleet: dict[str, Any]) -> None:
    """Holding a grant does not allow actions its role lacks."""
    d = fleet["w"].policy().decide(who(fleet["ann"]), perms.INVOICE_VIEW, at(fleet["site"]))
    assert d.reason is Reason.NO_GRANT


def test_unknown_action_denied(fleet: dict[str, Any]) -> None:
    """An action outside the catalogue is denied with its own reason."""
    d = fleet["w"].policy().decide(who(fleet["ann"]), "asset.teleport", at(fleet["site"]))
    assert d.reason is Reason.UNKNOWN_ACTION


def test_disabled_user_denied_whatever_the_grants(fleet: dict[str, Any]) -> None:
    """A disabled user is denied even where grants would allow."""
    w = fleet["w"]
    w.users[:] = [attrs.evolve(u, is_active=False) for u in w.users]
    d = w.policy().decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert d.reason is Reason.USER_DISABLED


def test_unknown_user_denied(fleet: dict[str, Any]) -> None:
    """A principal naming a user the tenant does not have is denied."""
    ghost = Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=99999)
    d = fleet["w"].policy().decide(ghost, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert d.reason is Reason.UNKNOWN_USER


def test_unserved_organization_denied(fleet: dict[str, Any]) -> None:
    """An organization the portal does not serve is invisible whatever the grants say."""
    p = fleet["w"].policy(served_organization_ids=frozenset({fleet["org2"].id}))
    d = p.decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert d.reason is Reason.ORGANIZATION_NOT_SERVED
    assert p.filter_for(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW) == FALSE


def test_switched_off_feature_denied(fleet: dict[str, Any]) -> None:
    """A feature key in disabled_features denies its permissions."""
    p = fleet["w"].policy(disabled_features=frozenset({"asset"}))
    ann = who(fleet["ann"])
    assert p.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"])).reason is (
        Reason.FEATURE_DISABLED)
    assert p.decide(ann, perms.SERVICE_REQUEST_VIEW, at(fleet["site"])).allowed


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"portal_enabled": False}, Reason.PORTAL_DISABLED),
     ({"licensed": False}, Reason.NOT_LICENSED),
     ({"portal_enabled": False, "licensed": False}, Reason.PORTAL_DISABLED)],
)
def test_disabled_or_unlicensed_portal_denies_everything(
    fleet: dict[str, Any], changes: dict[str, bool], reason: Reason
) -> None:
    """A portal switched off or without a licence allows nothing."""
    p = fleet["w"].policy(**changes)
    assert p.decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW,
                    at(fleet["site"])).reason is reason
    assert p.filter_for(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW) == FALSE
    assert p.organizations(who(fleet["ann"])) == ()


def test_other_tenant_never_allowed(fleet: dict[str, Any]) -> None:
    """A resource or principal of another tenant is denied, even with a matching path."""
    p = fleet["w"].policy()
    site = fleet["site"]
    foreign = Target(OTHER_T, site.path)
    assert p.decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW, foreign).reason is (
        Reason.OTHER_TENANT)
    outsider = who(fleet["ann"], tenant=OTHER_T)
    assert p.decide(outsider, perms.ASSET_IDENTIFICATION_VIEW, at(site)).reason is (
        Reason.OTHER_TENANT)
    assert p.filter_for(outsider, perms.ASSET_IDENTIFICATION_VIEW) == FALSE


def test_grant_to_another_tenants_scope_is_ignored() -> None:
    """A grant whose path lies in another tenant's organization allows nothing."""
    w = World()
    foreign_org = w.node(None, tenant=OTHER_T)
    w.node(None)
    u = w.user()
    r = w.role(perms.ASSET_VIEW)
    w.grant(u, r, foreign_org)
    p = w.policy()
    assert not p.decide(who(u), perms.ASSET_VIEW, Target(T, foreign_org.path)).allowed
    assert any("outside this tenant" in problem for problem in p.problems)


def test_resource_without_scope_denied(fleet: dict[str, Any]) -> None:
    """A resource with no (or a malformed) scope path is denied, never allowed."""
    p = fleet["w"].policy()
    for path in (None, "", "org:1", "/nowhere/"):
        d = p.decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW,
                     Target(T, path))  # type: ignore[arg-type]
        assert d.reason is Reason.NO_SCOPE


@pytest.mark.parametrize("sites", [1, 30], ids=["scanned", "walked"])
def test_malformed_path_below_a_grant_is_denied(sites: int) -> None:
    """A path that merely starts with a granted one but is no scope path is no_scope,
    whether the user's grants are scanned or walked by ancestor."""
    w = World()
    org = w.node(None)
    u = w.user()
    role = w.role(perms.ASSET_VIEW)
    for _ in range(sites):
        w.grant(u, role, w.node(org))
    w.grant(u, role, org)
    p = w.policy()
    assert p.decide(who(u), perms.ASSET_VIEW, at(org)).allowed
    for path in (org.path + "bogus/", org.path + "site:x/", org.path + "site:1"):
        assert p.decide(who(u), perms.ASSET_VIEW, Target(T, path)).reason is Reason.NO_SCOPE


def test_share_principal_holds_no_grants(fleet: dict[str, Any]) -> None:
    """Share-link principals are decided by the share service, never by grants."""
    share = Principal(tenant_id=T, kind=PrincipalKind.SHARE, user_id=fleet["ann"].id)
    d = fleet["w"].policy().decide(share, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert d.reason is Reason.NOT_A_USER


def test_denials_are_shared_singletons(fleet: dict[str, Any]) -> None:
    """Common denials are preallocated objects; allowed decisions are shared per grant."""
    p = fleet["w"].policy()
    ann = who(fleet["ann"])
    a = p.decide(ann, perms.INVOICE_VIEW, at(fleet["site"]))
    b = p.decide(ann, perms.PM_VIEW, at(fleet["org"]))
    assert a is b
    x = p.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    y = p.decide(ann, perms.SERVICE_REQUEST_VIEW, at(fleet["div"]))
    assert x is y


def test_require_raises_permission_denied(fleet: dict[str, Any]) -> None:
    """require() returns the allowed decision or raises PermissionDeniedError."""
    p = fleet["w"].policy()
    ann = who(fleet["ann"])
    assert p.require(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"])).allowed
    with pytest.raises(PermissionDeniedError):
        p.require(ann, perms.INVOICE_VIEW, at(fleet["site"]))
    assert p.is_allowed(ann, perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))


# Requirements (seed 000: appointments also need Manage Person) ---------------------


def test_appointments_need_manage_person() -> None:
    """Appointment permissions are allowed only where person.manage is held too."""
    w = World()
    org = w.node(None)
    div = w.node(org, ScopeKind.DIVISION)
    site = w.node(div)
    other = w.node(w.node(org, ScopeKind.DIVISION))
    u = w.user()
    w.grant(u, w.role(perms.APPOINTMENT_VIEW, perms.APPOINTMENT_CANCEL), org)
    p = w.policy()
    d = p.decide(who(u), perms.APPOINTMENT_VIEW, at(site))
    assert d.reason is Reason.REQUIREMENT_MISSING
    w.grant(u, w.role(perms.PERSON_MANAGE), div)
    p = w.policy()
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(site)).allowed
    assert p.decide(who(u), perms.APPOINTMENT_CANCEL, at(div)).allowed
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(other)).reason is (
        Reason.REQUIREMENT_MISSING)
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(org)).reason is (
        Reason.REQUIREMENT_MISSING)
    assert p.filter_for(who(u), perms.APPOINTMENT_VIEW) == ScopeUnder(div.path)
    assert "also needs" in p.explain(who(u), perms.APPOINTMENT_VIEW, at(other))


def test_requirement_feature_switch_applies() -> None:
    """Switching off a required permission's feature switches off what needs it."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.APPOINTMENT_VIEW, perms.PERSON_MANAGE), org)
    p = w.policy(disabled_features=frozenset({"person"}))
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(org)).reason is Reason.FEATURE_DISABLED


# Groups, guests, KPI ------------------------------------------------------------------


def test_group_grants_apply_to_members_only() -> None:
    """A group's grants apply to its active members (seed 001's user groups)."""
    w = World()
    org = w.node(None)
    site = w.node(org)
    member, outsider = w.user(), w.user()
    g = w.group(member, kpi=["first_time_fix_calls"])
    w.grant(g, w.role(perms.JOB_VIEW, perms.KPI_VIEW), org)
    p = w.policy()
    d = p.decide(who(member), perms.JOB_VIEW, at(site))
    assert d.allowed
    assert d.group_id == g.id
    assert "through group" in p.explain(who(member), perms.JOB_VIEW, at(site))
    assert not p.decide(who(outsider), perms.JOB_VIEW, at(site)).allowed
    assert p.kpi_keys(who(member)) == {"first_time_fix_calls"}
    assert p.kpi_keys(who(outsider)) == frozenset()
    assert p.groups_of(who(member)) == (g.id,)


def test_kpi_keys_need_kpi_view() -> None:
    """A group's KPI keys are shown only to members allowed kpi.view somewhere."""
    w = World()
    org = w.node(None)
    u = w.user()
    g = w.group(u, kpi=["equipment_in_service"])
    w.grant(g, w.role(perms.JOB_VIEW), org)
    assert w.policy().kpi_keys(who(u)) == frozenset()


def test_guest_gets_exactly_the_guest_users_grants(fleet: dict[str, Any]) -> None:
    """Without login, a guest acts as the configured guest user; with login, as nobody."""
    w = fleet["w"]
    open_portal = w.policy(login_required=False, guest_user_id=fleet["ann"].id)
    guest = who(guest=True)
    site = at(fleet["site"])
    assert open_portal.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, site).allowed
    assert not open_portal.decide(guest, perms.INVOICE_VIEW, site).allowed
    closed = w.policy(login_required=True, guest_user_id=fleet["ann"].id)
    assert closed.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, site).reason is (
        Reason.LOGIN_REQUIRED)
    assert closed.filter_for(guest, perms.ASSET_IDENTIFICATION_VIEW) == FALSE
    no_guest = w.policy(login_required=False, guest_user_id=None)
    assert no_guest.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, site).reason is (
        Reason.LOGIN_REQUIRED)


# Filters ---------------------------------------------------------------------------


def test_filter_combines_covering_paths_minimally() -> None:
    """filter_for ORs one ScopeUnder per covering grant path, dropping covered ones."""
    w = World()
    org, org2 = w.node(None), w.node(None)
    div = w.node(org, ScopeKind.DIVISION)
    site = w.node(div)
    s2 = w.node(org2)
    u = w.user()
    r = w.role(perms.JOB_VIEW)
    for node in (div, site, s2):
        w.grant(u, r, node)
    spec = w.policy().filter_for(who(u), perms.JOB_VIEW)
    assert spec == Or((ScopeUnder(div.path), ScopeUnder(s2.path)))
    narrowed = w.policy().filter_for(who(u, org=org2.path), perms.JOB_VIEW)
    assert narrowed == ScopeUnder(s2.path)
    assert w.policy().filter_for(who(u), perms.INVOICE_VIEW) == FALSE
    assert w.policy().filter_for(who(u), "no.such") == FALSE
    by_path = w.policy().filter_for(who(u), perms.JOB_VIEW, field="path")
    assert isinstance(by_path, Or)
    assert all(p.field == "path" for p in by_path.parts)


def test_many_grants_for_one_action_are_walked() -> None:
    """A user with more granted paths than the scan limit is decided by ancestor walk."""
    w = World()
    org = w.node(None)
    divs = [w.node(org, ScopeKind.DIVISION) for _ in range(12)]
    sites = [w.node(d) for d in divs]
    u = w.user()
    r = w.role(perms.ASSET_VIEW)
    for s in sites[:10]:
        w.grant(u, r, s)
    p = w.policy()
    assert all(p.decide(who(u), perms.ASSET_VIEW, at(s)).allowed for s in sites[:10])
    assert not any(p.decide(who(u), perms.ASSET_VIEW, at(s)).allowed for s in sites[10:])
    assert p.decide(who(u), perms.ASSET_VIEW, at(divs[0])).reason is Reason.NO_GRANT
    assert p.decide(who(u, org="/org:999/"), perms.ASSET_VIEW, at(sites[0])).reason is (
        Reason.OTHER_ORGANIZATION)
    spec = p.filter_for(who(u), perms.ASSET_VIEW)
    assert isinstance(spec, Or)
    assert len(spec.parts) == 10


# Sections (seed 000's asset page) ------------------------------------------------------


def test_sections_follow_permissions() -> None:
    """Each section shows only with its permissions; appointments need Manage Person."""
    w = World()
    org = w.node(None)
    site = w.node(org)
    u = w.user()
    w.grant(u, w.role(perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_EDIT,
                      perms.APPOINTMENT_VIEW, perms.APPOINTMENT_CANCEL, perms.PM_VIEW), org)
    result = w.policy().sections(who(u), at(site))
    assert isinstance(result, Sections)
    assert result.keys == ("identification", "request_service")
    w.grant(u, w.role(perms.PERSON_MANAGE, perms.SA_VIEW), site)
    result = w.policy().sections(who(u), at(site))
    assert isinstance(result, Sections)
    assert result.keys == ("identification", "appointments", "request_service",
                           "maintenance_schedule")
    appointments = result.items[1]
    assert appointments.key == "appointments"
    assert appointments.actions == {perms.APPOINTMENT_CANCEL}


def test_no_informational_section_is_no_access() -> None:
    """Without Identification, Service Requests or Pending Repairs: the no-access screen."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.SERVICE_REQUEST_EDIT, perms.METER_READING_EDIT), org)
    assert w.policy().sections(who(u), at(org)) == NoAccess(Reason.NO_GRANT)
    assert w.policy(licensed=False).sections(who(u), at(org)) == NoAccess(Reason.NOT_LICENSED)
    assert len(ASSET_PAGE) == 7


# Accounts: one login, many organizations ---------------------------------------------


def test_organizations_narrow_and_switch() -> None:
    """A user with grants in two organizations lists, narrows to and deep-links between them."""
    w = World()
    org1, org2, org3 = w.node(None), w.node(None), w.node(None)
    s1, s2, s3 = w.node(org1), w.node(org2), w.node(org3)
    u = w.user()
    r = w.role(perms.JOB_VIEW)
    w.grant(u, r, s1)
    w.grant(u, r, org2)
    p = w.policy()
    me = who(u)
    assert p.organizations(me) == tuple(sorted((org1.path, org2.path)))
    assert p.organization_ids(me) == tuple(
        o.id for o in sorted((org1, org2), key=lambda o: o.path)
    )
    assert p.organization_ids(who(guest=True)) == ()
    narrowed = p.narrow(me, org1)
    assert narrowed.active_organization == org1.path
    assert p.narrow(me, org2.id).active_organization == org2.path
    assert p.narrow(me, s2.path).active_organization == org2.path
    assert p.narrow(narrowed, None).active_organization is None
    for bad in (org3, org3.id, "garbage"):
        with pytest.raises(PermissionDeniedError):
            p.narrow(me, bad)  # type: ignore[arg-type]
    assert p.decide(narrowed, perms.JOB_VIEW, at(s2)).reason is Reason.OTHER_ORGANIZATION
    assert "narrowed" in p.explain(narrowed, perms.JOB_VIEW, at(s2))
    switched = p.switch_for(narrowed, perms.JOB_VIEW, at(s2))
    assert switched is not None
    assert switched.active_organization == org2.path
    assert p.switch_for(narrowed, perms.JOB_VIEW, at(s1)) is narrowed
    assert p.switch_for(narrowed, perms.JOB_VIEW, at(s3)) is None
    assert p.switch_for(me, perms.JOB_VIEW, at(s3)) is None
    assert p.organizations(who(guest=True)) == ()


def test_explain_mentions_reason_and_grant(fleet: dict[str, Any]) -> None:
    """explain() names the covering grant when allowed and the reason code when denied."""
    p = fleet["w"].policy()
    text = p.explain(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW, at(fleet["site"]))
    assert text.startswith("Allowed")
    assert fleet["div"].path in text
    assert "directly" in text
    text = p.explain(who(fleet["ann"]), perms.INVOICE_VIEW, at(fleet["site"]))
    assert text.startswith("Denied (no_grant)")
    for reason in Reason:
        assert reason.value == reason.value.lower()


def test_allowed_actions_and_problems(fleet: dict[str, Any]) -> None:
    """allowed_actions lists what the principal may do; bad rows are reported, not used."""
    w = fleet["w"]
    p = w.policy()
    assert p.allowed_actions(who(fleet["ann"]), at(fleet["site"])) == {
        perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW}
    w.roles.append(Role(id=777, tenant_id=T, name="bad", permissions=frozenset({"x.y"})))
    w.grants.append(Grant(id=778, tenant_id=T, role_id=999, scope_id=0,
                          scope_path=fleet["org"].path, user_id=fleet["ann"].id))
    w.grants.append(Grant(id=779, tenant_id=T, role_id=fleet["viewer"].id, scope_id=0,
                          scope_path="nope", user_id=fleet["ann"].id))
    w.grants.append(Grant(id=780, tenant_id=T, role_id=fleet["viewer"].id, scope_id=0,
                          scope_path=fleet["org"].path))
    w.memberships.append(Membership(id=781, tenant_id=T, group_id=4242, user_id=1))
    problems = " | ".join(w.policy().problems)
    for needle in ("unknown permissions", "unknown role", "no valid scope",
                   "exactly one user or group", "unknown user or group"):
        assert needle in problems
    assert not w.policy().decide(who(fleet["ann"]), perms.ASSET_IDENTIFICATION_VIEW,
                                 at(fleet["org"])).allowed


def test_organization_id() -> None:
    """organization_id reads the organization's node id from a path."""
    assert organization_id("/org:12/div:3/") == 12


# Property tests: the engine equals a brute-force oracle -------------------------------

ACTIONS = (
    perms.ASSET_IDENTIFICATION_VIEW, perms.APPOINTMENT_VIEW, perms.PERSON_MANAGE,
    perms.INVOICE_VIEW, perms.CALL_OFF_RENT_REQUEST, perms.ITEMS_OUT_VIEW,
)
QUESTIONS = (*ACTIONS, "not.in_catalogue")
FEATURES = ("asset", "appointment", "person", "invoice", "items_out")
_KINDS = (ScopeKind.PARENT_GROUP, ScopeKind.DIVISION, ScopeKind.SITE, ScopeKind.SHOP)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, list[Principal], list[Target]]:
    """Random scope forests, users, roles, groups, grants and settings over two tenants.

    Ids start at 1 (dense: the policy indexes its users by a list) or far
    from 0 (sparse: by a dict), so that both of its tables are checked.
    """
    w = World(ids=itertools.count(draw(st.sampled_from((1, 1_000_000)))))
    for tenant in (T, T, OTHER_T):
        for _ in range(draw(st.integers(0 if tenant == T else 1, 2))):
            w.node(None, tenant=tenant)
    for _ in range(draw(st.integers(0, 8))):
        parent = draw(st.sampled_from(w.nodes))
        w.node(parent, draw(st.sampled_from(_KINDS)), tenant=parent.tenant_id)
    mostly_mine = st.sampled_from((T, T, T, T, OTHER_T))
    for _ in range(draw(st.integers(1, 4))):
        w.user(active=draw(st.sampled_from((True, True, True, False))), tenant=draw(mostly_mine))
    for _ in range(draw(st.integers(1, 3))):
        names = draw(st.frozensets(st.sampled_from((*ACTIONS, "bogus.perm")), min_size=1,
                                   max_size=5))
        w.role(*names, tenant=draw(mostly_mine))
    for _ in range(draw(st.integers(0, 2))):
        members = draw(st.lists(st.sampled_from(w.users), max_size=3, unique=True))
        w.group(*members, kpi=draw(st.frozensets(st.sampled_from(("k1", "k2")))))
    mine = [n for n in w.nodes if n.tenant_id == T]
    if mine and draw(st.booleans()):  # a user who can do everything somewhere, often
        w.grant(w.user(), w.role(*ACTIONS), draw(st.sampled_from(mine)))
    holders: list[User | Group] = [*w.users, *w.groups]
    for _ in range(draw(st.integers(0, 12))):
        w.grant(draw(st.sampled_from(holders)), draw(st.sampled_from(w.roles)),
                draw(st.sampled_from(w.nodes)), tenant=draw(mostly_mine))
    orgs = [n for n in w.nodes if n.parent_id is None]
    served = draw(st.none() | st.frozensets(st.sampled_from([n.id for n in orgs])))
    w.settings = TenantSettings(
        portal_enabled=draw(st.sampled_from((True, True, True, True, False))),
        licensed=draw(st.sampled_from((True, True, True, True, False))),
        login_required=draw(st.booleans()),
        guest_user_id=draw(st.none() | st.sampled_from([u.id for u in w.users])),
        served_organization_ids=served,
        disabled_features=draw(st.sampled_from((frozenset(), frozenset())) | st.frozensets(
            st.sampled_from(FEATURES), max_size=2)),
    )
    principals = []
    for u in w.users:
        for org in (None, draw(st.sampled_from(orgs)).path):
            principals.append(Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=u.id,
                                        active_organization=org))
    principals.append(Principal(tenant_id=T, kind=PrincipalKind.GUEST))
    principals.append(Principal(tenant_id=OTHER_T, kind=PrincipalKind.GUEST))
    principals.append(Principal(tenant_id=T, kind=PrincipalKind.SHARE, user_id=w.users[0].id))
    principals.append(Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=None))
    principals.append(_smuggled(True))  # not an id, though True == 1 and hashes like it
    targets = [Target(n.tenant_id, n.path) for n in w.nodes]
    targets.append(Target(T, draw(st.sampled_from(w.nodes)).path))  # a foreign path
    return w, principals, targets


def oracle(w: World, principal: Principal, action: str, target: Target) -> Reason:
    """The rule, written plainly from the rows (no compilation, no shortcuts)."""
    s = w.settings
    if principal.tenant_id != T or target.tenant_id != T:
        return Reason.OTHER_TENANT
    if not s.portal_enabled:
        return Reason.PORTAL_DISABLED
    if not s.licensed:
        return Reason.NOT_LICENSED
    if action not in perms.default_registry:
        return Reason.UNKNOWN_ACTION
    if perms.default_registry.features_of(action) & s.disabled_features:
        return Reason.FEATURE_DISABLED
    if principal.kind is PrincipalKind.GUEST:
        if s.login_required or s.guest_user_id is None:
            return Reason.LOGIN_REQUIRED
        uid = s.guest_user_id
    elif (principal.kind is PrincipalKind.USER and isinstance(principal.user_id, int)
          and not isinstance(principal.user_id, bool)):
        uid = principal.user_id
    else:
        return Reason.NOT_A_USER
    user = next((u for u in w.users if u.id == uid and u.tenant_id == T), None)
    if user is None:
        return Reason.UNKNOWN_USER
    if not user.is_active:
        return Reason.USER_DISABLED
    path = target.scope_path
    tenant_orgs = {n.id for n in w.nodes if n.parent_id is None and n.tenant_id == T}
    served = s.served_organization_ids

    def is_served(p: str) -> bool:
        return served is None or organization_id(p) in served

    if not is_served(path):
        return Reason.ORGANIZATION_NOT_SERVED
    if principal.active_organization and not path.startswith(principal.active_organization):
        return Reason.OTHER_ORGANIZATION
    tenant_groups = {g.id for g in w.groups if g.tenant_id == T}
    my_groups = {m.group_id for m in w.memberships
                 if m.tenant_id == T and m.user_id == uid and m.group_id in tenant_groups}

    def holds(perm: str) -> bool:
        for g in w.grants:
            role = next((r for r in w.roles if r.id == g.role_id and r.tenant_id == T), None)
            if (g.tenant_id == T and role is not None and perm in role.permissions
                    and (g.user_id is None) != (g.group_id is None)
                    and (g.user_id == uid or g.group_id in my_groups)
                    and organization_id(g.scope_path) in tenant_orgs
                    and is_served(g.scope_path) and path.startswith(g.scope_path)):
                return True
        return False

    if not holds(action):
        return Reason.NO_GRANT
    if not all(holds(r) for r in perms.requirements(action)):
        return Reason.REQUIREMENT_MISSING
    return Reason.ALLOWED


def _questions(principals: Sequence[Principal], targets: Sequence[Target]) -> Iterable[
        tuple[Principal, str, Target]]:
    return itertools.product(principals, QUESTIONS, targets)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_decide_equals_brute_force_oracle(
    world: tuple[World, list[Principal], list[Target]]
) -> None:
    """Every decision (allowed and reason) equals the plainly written rule."""
    w, principals, targets = world
    p = w.policy()
    for principal, action, target in _questions(principals, targets):
        d = p.decide(principal, action, target)
        expected = oracle(w, principal, action, target)
        assert d.reason is expected, (principal, action, target)
        assert d.allowed == (expected is Reason.ALLOWED)
        assert isinstance(d, Decision)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_filter_for_returns_exactly_what_decide_allows(
    world: tuple[World, list[Principal], list[Target]]
) -> None:
    """filter_for, evaluated on the tenant's records, selects exactly the allowed ones."""
    w, principals, targets = world
    p = w.policy()
    mine = [t for t in targets if t.tenant_id == T]
    for principal in principals:
        for action in QUESTIONS:
            spec = p.filter_for(principal, action)
            for t in mine:
                assert evaluate(spec, t) == p.decide(principal, action, t).allowed


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_never_another_tenant_or_unserved_organization(
    world: tuple[World, list[Principal], list[Target]]
) -> None:
    """No principal is ever allowed a resource of another tenant or an unserved organization."""
    w, principals, targets = world
    p = w.policy()
    served = w.settings.served_organization_ids
    for principal, action, target in _questions(principals, targets):
        if p.decide(principal, action, target).allowed:
            assert target.tenant_id == T
            assert principal.tenant_id == T
            assert served is None or organization_id(target.scope_path) in served
            assert any(n.path == target.scope_path and n.tenant_id == T for n in w.nodes)


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_deny_by_default_without_grants_property(
    world: tuple[World, list[Principal], list[Target]]
) -> None:
    """Whatever the settings and tree, with no grants nothing is allowed."""
    w, principals, targets = world
    w.grants.clear()
    p = w.policy()
    for principal, action, target in _questions(principals, targets):
        assert not p.decide(principal, action, target).allowed


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_switch_for_only_to_allowed_organizations(
    world: tuple[World, list[Principal], list[Target]]
) -> None:
    """A deep link switches only into an organization the principal can act in."""
    w, principals, targets = world
    p = w.policy()
    for principal, action, target in _questions(principals, targets):
        switched = p.switch_for(principal, action, target)
        if switched is None:
            wide = (
                principal if principal.active_organization is None
                else attrs.evolve(principal, active_organization=None)
            )
            assert not p.decide(wide, action, target).allowed
        else:
            assert p.decide(switched, action, target).allowed
            if switched.active_organization is not None:
                assert switched.active_organization in p.organizations(switched)


def test_explain_requirements_and_switched_off_features() -> None:
    """explain() names held requirements when allowed and the switched-off feature when not."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.APPOINTMENT_VIEW, perms.PERSON_MANAGE), org)
    text = w.policy().explain(who(u), perms.APPOINTMENT_VIEW, at(org))
    assert "requirements ['person.manage'] are held" in text
    text = w.policy(disabled_features=frozenset({"person"})).explain(
        who(u), perms.APPOINTMENT_VIEW, at(org))
    assert text.startswith("Denied (feature_disabled)")
    assert "person" in text


def test_long_grant_lists_report_missing_requirements() -> None:
    """With many granted paths, a path lacking a requirement still says requirement_missing."""
    w = World()
    org = w.node(None)
    sites = [w.node(w.node(org, ScopeKind.DIVISION)) for _ in range(12)]
    u = w.user()
    r = w.role(perms.APPOINTMENT_VIEW)
    for s in sites:
        w.grant(u, r, s)
    w.grant(u, w.role(perms.PERSON_MANAGE), sites[0])
    p = w.policy()
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(sites[0])).allowed
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, at(sites[5])).reason is (
        Reason.REQUIREMENT_MISSING)
    assert p.decide(who(u), perms.APPOINTMENT_VIEW, Target(T, None)).reason is (  # type: ignore[arg-type]
        Reason.NO_SCOPE)


@pytest.mark.parametrize("first_id", [1, 10**9], ids=["small ids", "large ids"])
def test_every_entry_of_a_user_is_scanned(first_id: int) -> None:
    """A user with grants in four organizations: each is found, whichever comes first."""
    w = World(ids=itertools.count(first_id))
    orgs = [w.node(None) for _ in range(4)]
    sites = [w.node(w.node(org, ScopeKind.DIVISION)) for org in orgs]
    outside = w.node(w.node(None))
    ann = w.user()
    roles = [w.role(perms.ASSET_VIEW), w.role(perms.PM_VIEW), w.role(perms.SA_VIEW),
             w.role(perms.INVOICE_VIEW)]
    grants = [w.grant(ann, role, org) for role, org in zip(roles, orgs, strict=True)]
    p = w.policy()
    for grant, role, site in zip(grants, roles, sites, strict=True):
        (action,) = role.permissions
        d = p.decide(who(ann), action, at(site))
        assert (d.allowed, d.grant_id) == (True, grant.id)
        assert p.decide(who(ann), action, at(outside)).reason is Reason.NO_GRANT
        for other in sites:
            if other is not site:
                assert p.decide(who(ann), action, at(other)).reason is Reason.NO_GRANT


class UserId(int):
    """A host's own id type."""


def _smuggled(user_id: object) -> Principal:
    """A principal with a user id its constructor refuses (set past the check)."""
    principal = Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=None)
    object.__setattr__(principal, "user_id", user_id)
    return principal


def test_true_is_not_user_1() -> None:
    """A smuggled user id True (== 1, same hash) gets nothing of user 1's grants."""
    w = World(ids=itertools.count(1))
    one = w.user()
    assert one.id == 1
    node = w.node(None)
    w.grant(one, w.role(perms.ASSET_VIEW), node)
    p = w.policy()
    assert p.decide(who(one), perms.ASSET_VIEW, at(node)).allowed
    assert p.decide(_smuggled(True), perms.ASSET_VIEW, at(node)).reason is Reason.NOT_A_USER


@pytest.mark.parametrize("user_id", [True, False, "1", 1.0])
def test_principal_refuses_a_user_id_that_is_not_an_int(user_id: object) -> None:
    with pytest.raises(TypeError, match="user_id must be an int or None"):
        Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=user_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("first_id", [1, 10**9], ids=["small ids", "large ids"])
def test_a_bool_is_not_a_user_id_but_an_int_subclass_is(first_id: int) -> None:
    """True == 1, but a principal whose user id is True (were it to get past the
    constructor) holds nobody's grants; an int subclass (a host's id type) is
    the id it equals."""
    w = World(ids=itertools.count(first_id))
    node = w.node(None)
    ann = w.user()
    w.grant(ann, w.role(perms.ASSET_VIEW), node)
    p = w.policy()
    assert p.decide(who(ann), perms.ASSET_VIEW, at(node)).allowed
    for fake in (True, False, None, "1", 1.0):
        principal = _smuggled(fake)
        assert p.decide(principal, perms.ASSET_VIEW, at(node)).reason is Reason.NOT_A_USER
        assert p.granted_paths(principal, perms.ASSET_VIEW) == []
    own = Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=UserId(ann.id))
    assert p.decide(own, perms.ASSET_VIEW, at(node)).allowed
    assert p.granted_paths(own, perms.ASSET_VIEW) == [node.path]


# Rules pinned for mutation testing ----------------------------------------------------


def _long_list_user(w: World, org: ScopeNode) -> User:
    """A user granted asset.view at 30 sites: decided by the ancestor walk."""
    u = w.user()
    r = w.role(perms.ASSET_VIEW)
    for _ in range(30):
        w.grant(u, r, w.node(org))
    return u


def test_ancestor_walk_still_checks_the_scope() -> None:
    """For a user with many grants, a bad or unserved scope is told as such, not no_grant."""
    w = World()
    org = w.node(None)
    u = _long_list_user(w, org)
    p = w.policy(served_organization_ids=frozenset({org.id}))
    assert p.decide(who(u), perms.ASSET_VIEW, Target(T, "/org:999/")).reason is (
        Reason.ORGANIZATION_NOT_SERVED)
    assert p.decide(who(u), perms.ASSET_VIEW, Target(T, "garbage")).reason is Reason.NO_SCOPE


@pytest.mark.parametrize(
    ("changes", "principal_kind", "target_path", "text"),
    [
        ({"portal_enabled": False}, "user", None,
         "Denied (portal_disabled): the portal is switched off for this tenant."),
        ({"licensed": False}, "user", None,
         "Denied (not_licensed): the portal is not licensed for this tenant."),
        ({}, "guest", None,
         "Denied (login_required): a login is required (or no guest user is configured)."),
        ({}, "share", None, "Denied (not_a_user): only users (and guests) hold grants."),
        ({}, "user", "garbage", "Denied (no_scope): the resource has no valid scope."),
        ({"served_organization_ids": frozenset({424242})}, "user", None,
         "Denied (organization_not_served): the portal does not serve this organization."),
    ],
)
def test_explain_tells_each_denial_in_words(
    changes: dict[str, Any], principal_kind: str, target_path: str | None, text: str
) -> None:
    """Each denial reason has its own sentence, after the reason code."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.ASSET_VIEW), org)
    principal = Principal(tenant_id=T, kind=PrincipalKind(principal_kind),
                          user_id=u.id if principal_kind == "user" else None)
    target = Target(T, target_path or org.path)
    assert w.policy(**changes).explain(principal, perms.ASSET_VIEW, target) == text


def test_explain_other_tenant_unknown_user_and_disabled_user() -> None:
    """The tenant, unknown-user and disabled-user sentences name who was asked about."""
    w = World()
    org = w.node(None)
    off = w.user(active=False)
    p = w.policy()
    assert p.explain(who(off), perms.ASSET_VIEW, Target(OTHER_T, org.path)) == (
        "Denied (other_tenant): the principal or the resource belongs to another tenant.")
    assert p.explain(who(off), perms.ASSET_VIEW, at(org)) == (
        f"Denied (user_disabled): user {off.id} is disabled.")
    stranger = Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=999)
    assert p.explain(stranger, perms.ASSET_VIEW, at(org)) == (
        "Denied (unknown_user): user 999 is not a user of this tenant.")


def test_explain_names_the_guest_user_and_the_path() -> None:
    """A guest is "the guest (user N)"; the text names the resource's path."""
    w = World()
    org = w.node(None)
    site = w.node(org)
    guest = w.user()
    p = w.policy(login_required=False, guest_user_id=guest.id)
    assert p.explain(who(guest=True), perms.ASSET_VIEW, at(site)) == (
        f"Denied (no_grant): no role held by the guest (user {guest.id}) (directly or "
        f"through a group) includes 'asset.view' at {site.path} or any scope above it.")


def test_explain_an_allowed_decision_in_full() -> None:
    """Allowed: who, the role, how it is held, the grant, its path and the resource's path."""
    w = World()
    org = w.node(None)
    site = w.node(org)
    u = w.user()
    role = w.role(perms.APPOINTMENT_VIEW, perms.PERSON_MANAGE)
    grant = w.grant(w.group(u), role, org)
    assert w.policy().explain(who(u), perms.APPOINTMENT_VIEW, at(site)) == (
        f"Allowed: user {u.id} holds role {role.name!r} through group {grant.group_id} "
        f"(grant {grant.id}) at {org.path}, which covers {site.path}; the role includes "
        "'appointment.view'. The requirements ['person.manage'] are held there too.")
    direct = w.grant(u, w.role(perms.ASSET_VIEW), org)
    assert w.policy().explain(who(u), perms.ASSET_VIEW, at(site)).startswith(
        f"Allowed: user {u.id} holds role 'role{direct.role_id}' directly (grant {direct.id})")


def test_explain_a_missing_requirement_and_only_the_switched_off_feature() -> None:
    """The requirement text lists the requirements; the feature text only the feature off."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.APPOINTMENT_VIEW), org)
    assert w.policy().explain(who(u), perms.APPOINTMENT_VIEW, at(org)) == (
        f"Denied (requirement_missing): user {u.id} holds 'appointment.view' at {org.path} "
        "or above, but 'appointment.view' also needs ['person.manage'] at a scope covering "
        "it, which is not held.")
    p = w.policy(disabled_features=frozenset({"person", "unrelated"}))
    assert p.explain(who(u), perms.APPOINTMENT_VIEW, at(org)) == (
        "Denied (feature_disabled): the feature ['person'] of 'appointment.view' "
        "is switched off for this portal.")


def test_groups_of_and_kpi_keys_union_of_the_users_groups() -> None:
    """KPI keys are the union over all the user's groups; groups_of lists them, () for none."""
    w = World()
    org = w.node(None)
    u, loner = w.user(), w.user()
    g1 = w.group(u, kpi=["a"])
    g2 = w.group(u, kpi=["b"])
    w.group(u)
    w.grant(u, w.role(perms.KPI_VIEW), org)
    w.grant(loner, w.role(perms.KPI_VIEW), org)
    p = w.policy()
    assert p.kpi_keys(who(u)) == {"a", "b"}
    assert p.kpi_keys(who(loner)) == frozenset()
    assert p.groups_of(who(u))[:2] == (g1.id, g2.id)
    assert p.groups_of(who(loner)) == ()
    assert p.groups_of(who(guest=True)) == ()


def test_no_access_reason_comes_from_the_first_informational_section() -> None:
    """A denied non-informational section before it does not give the no-access reason."""
    w = World()
    org = w.node(None)
    u = w.user()
    page = (
        Section("extra", "Extra", ("no.such.action",)),
        Section("identification", "Identification", (perms.ASSET_IDENTIFICATION_VIEW,),
                informational=True),
    )
    assert w.policy().sections(who(u), at(org), page) == NoAccess(Reason.NO_GRANT)


def test_explain_a_resource_without_a_scope_path() -> None:
    """Anything without a scope path is explained as having no valid scope."""
    w = World()
    u = w.user()

    class Bare:
        tenant_id = T

    assert w.policy().explain(who(u), perms.ASSET_VIEW, Bare()) == (  # type: ignore[arg-type]
        "Denied (no_scope): the resource has no valid scope.")


def test_ancestor_walk_allows_in_a_served_organization() -> None:
    """With served organizations set, a user with many grants is still allowed there."""
    w = World()
    org = w.node(None)
    u = _long_list_user(w, org)
    site = w.nodes[-1]
    p = w.policy(served_organization_ids=frozenset({org.id}))
    assert p.decide(who(u), perms.ASSET_VIEW, at(site)).allowed
    assert p.decide(who(u), perms.ASSET_VIEW, at(org)).reason is Reason.NO_GRANT


def test_answers_for_lists_are_computed_once() -> None:
    """filter_for and organizations return the same object for the same question."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.ASSET_VIEW), org)
    p = w.policy()
    assert p.filter_for(who(u), perms.ASSET_VIEW) is p.filter_for(who(u), perms.ASSET_VIEW)
    assert p.filter_for(who(u), perms.JOB_VIEW) is p.filter_for(who(u), perms.JOB_VIEW)
    assert p.organizations(who(u)) is p.organizations(who(u))


def test_organizations_of_another_tenants_principal_are_none() -> None:
    """A principal of another tenant acts in none of this tenant's organizations."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.ASSET_VIEW), w.node(w.node(org, ScopeKind.DIVISION)))
    p = w.policy()
    assert p.organizations(who(u)) == (org.path,)
    assert p.organizations(who(u, tenant=OTHER_T)) == ()
    assert p.organizations(who(u)) == (org.path,)


def test_a_resource_without_a_tenant_is_another_tenants() -> None:
    """Anything without a tenant id is denied as belonging to another tenant."""
    w = World()
    org = w.node(None)
    u = w.user()
    w.grant(u, w.role(perms.ASSET_VIEW), org)

    class Bare:
        scope_path = org.path

    assert w.policy().decide(who(u), perms.ASSET_VIEW, Bare()).reason is (  # type: ignore[arg-type]
        Reason.OTHER_TENANT)


def test_a_user_with_many_grants_lists_nothing_for_an_action_not_granted() -> None:
    """With many grants for one action, another action has no paths and no organizations."""
    w = World()
    org = w.node(None)
    u = _long_list_user(w, org)
    p = w.policy()
    assert p.granted_paths(who(u), perms.JOB_VIEW) == []
    assert p.decide(who(u), perms.JOB_VIEW, at(org)).reason is Reason.NO_GRANT
    assert p.organizations(who(u)) == (org.path,)


def test_no_access_tells_the_first_informational_denial() -> None:
    """Of two denied informational sections, the first one's reason is told."""
    w = World()
    org = w.node(None)
    u = w.user()
    page = (
        Section("a", "A", ("no.such.action",), informational=True),
        Section("b", "B", (perms.ASSET_IDENTIFICATION_VIEW,), informational=True),
    )
    assert w.policy().sections(who(u), at(org), page) == NoAccess(Reason.UNKNOWN_ACTION)


def test_rows_that_cannot_take_effect_do_not_stop_the_ones_after_them() -> None:
    """Ignored grants, memberships and actionless users come first; later rows still count."""
    w = World()
    org = w.node(None)
    ann, bob = w.user(), w.user()
    nothing = w.role()  # no permission at all: ann compiles to no entries
    w.grant(ann, nothing, org)
    w.grants += [
        Grant(id=1, tenant_id=T, role_id=nothing.id, scope_id=0, scope_path="nope",
              user_id=bob.id),
        Grant(id=2, tenant_id=T, role_id=nothing.id, scope_id=0, scope_path="/org:999/",
              user_id=bob.id),
        Grant(id=3, tenant_id=T, role_id=4242, scope_id=0, scope_path=org.path,
              user_id=bob.id),
        Grant(id=4, tenant_id=T, role_id=nothing.id, scope_id=0, scope_path=org.path,
              user_id=bob.id, group_id=5),
    ]
    w.memberships += [
        Membership(id=5, tenant_id=OTHER_T, group_id=6, user_id=bob.id),
        Membership(id=6, tenant_id=T, group_id=4242, user_id=bob.id),
    ]
    group = w.group(bob)
    w.grant(group, w.role(perms.ASSET_VIEW), org)
    p = w.policy()
    assert p.decide(who(bob), perms.ASSET_VIEW, at(org)).allowed
    assert p.groups_of(who(bob)) == (group.id,)
    assert len(p.problems) == 5


def test_problems_name_only_what_is_wrong() -> None:
    """Unknown permissions are listed by name; grants in unserved organizations are no problem."""
    w = World()
    org, unserved = w.node(None), w.node(None)
    u = w.user()
    w.roles.append(Role(id=900, tenant_id=T, name="bad",
                        permissions=frozenset({"x.y", perms.ASSET_VIEW})))
    w.grant(u, w.role(perms.ASSET_VIEW), unserved)
    w.grants.append(Grant(id=901, tenant_id=T, role_id=900, scope_id=0,
                          scope_path="/org:999/", user_id=u.id))
    p = w.policy(served_organization_ids=frozenset({org.id, 999}))
    assert p.problems == (
        "role 'bad' holds unknown permissions ['x.y']",
        "grant 901 is at a scope outside this tenant",
    )


def _one_grant_each(*user_ids: int) -> Policy:
    """A policy where each of these user ids holds asset.view at one organization."""
    w = World()
    org = w.node(None)
    role = w.role(perms.ASSET_VIEW)
    for uid in user_ids:
        w.users.append(User(id=uid, tenant_id=T, email=f"u{uid}@x.example", name="U"))
        w.grant(User(id=uid, tenant_id=T, email="", name=""), role, org)
    return w.policy()


@pytest.mark.parametrize("uid", [0, -1])
def test_user_ids_zero_and_negative_are_ids_like_any_other(uid: int) -> None:
    """User 0 and a negative id are decided by their own grants."""
    p = _one_grant_each(uid, 5)
    for user_id in (uid, 5):
        principal = Principal(tenant_id=T, kind=PrincipalKind.USER, user_id=user_id)
        assert p.decide(principal, perms.ASSET_VIEW, Target(T, "/org:1/")).allowed


def test_more_than_8_granted_paths_are_walked_instead_of_scanned() -> None:
    """A user is walked by ancestor from _SCAN_LIMIT + 1 granted paths on."""
    for sites, walked in ((8, False), (9, True)):
        w = World()
        org = w.node(None)
        u = w.user()
        role = w.role(perms.ASSET_VIEW)
        for _ in range(sites):
            w.grant(u, role, w.node(org))
        p = w.policy()
        assert (u.id in p._long) is walked
        assert p.decide(who(u), perms.ASSET_VIEW, at(w.nodes[-1])).allowed


def test_decide_is_documented_like_the_method() -> None:
    """The compiled decide keeps Policy.decide's docstring (help() and the docs show it)."""
    assert _one_grant_each(1).decide.__doc__ == Policy.decide.__doc__
