"""The policy service: current rows on every call, validation at configuration time,
and the SQL pushdown of ``filter_for`` on every storage adapter."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit import perms
from portalkit._services.policy import (
    PolicyService,
    check_tenant,
    load_policy,
    load_tenant_policy,
    validate_grant,
    validate_membership,
    validate_permissions,
    validate_scoped,
    validate_settings,
)
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.assets import normalize_identifier
from portalkit.domain.policy import ASSET_PAGE, NoAccess, Reason, Sections, Target
from portalkit.domain.principals import (
    Grant,
    Group,
    Membership,
    Principal,
    PrincipalKind,
    Role,
    User,
)
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UnknownPermissionError,
    UnknownScopeError,
)
from portalkit.ports import Storage


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def storage(request: pytest.FixtureRequest) -> Storage:
    """An empty, migrated storage on each adapter."""
    if request.param == "memory":
        return MemoryStorage()
    found: Storage = request.getfixturevalue(f"{request.param}_storage")
    return found


_counter = itertools.count(1)


class Builder:
    """Writes policy rows through the ports, one committed unit of work per call."""

    def __init__(self, storage: Storage, slug: str = "acme") -> None:
        self.storage = storage
        with storage.unit_of_work() as uow:
            self.tenant = uow.tenants.add(
                Tenant(id=0, slug=f"{slug}{next(_counter)}", name=slug)
            )
            uow.commit()
        self.tid = self.tenant.id

    def uow(self) -> Any:
        return self.storage.unit_of_work()

    def scope(self, parent: ScopeNode | None, kind: ScopeKind = ScopeKind.SITE) -> ScopeNode:
        with self.uow() as uow:
            node = uow.scopes.create(
                tenant_id=self.tid,
                kind=ScopeKind.ORGANIZATION if parent is None else kind,
                name="n", parent=parent,
            )
            uow.commit()
        return node  # type: ignore[no-any-return]

    def user(self, email: str, active: bool = True) -> User:
        with self.uow() as uow:
            user = uow.users.add(User(id=0, tenant_id=self.tid, email=email, name=email,
                                      is_active=active))
            uow.commit()
        return user  # type: ignore[no-any-return]

    def role(self, name: str, *permissions: str) -> Role:
        with self.uow() as uow:
            role = uow.roles.add(Role(id=0, tenant_id=self.tid, name=name,
                                      permissions=frozenset(permissions)))
            uow.commit()
        return role  # type: ignore[no-any-return]

    def group(self, name: str, *members: User, kpi: tuple[str, ...] = ()) -> Group:
        with self.uow() as uow:
            group = uow.groups.add(Group(id=0, tenant_id=self.tid, name=name,
                                         kpi_keys=frozenset(kpi)))
            for m in members:
                uow.memberships.add(Membership(id=0, tenant_id=self.tid, group_id=group.id,
                                               user_id=m.id))
            uow.commit()
        return group  # type: ignore[no-any-return]

    def grant(self, holder: User | Group, role: Role, node: ScopeNode) -> Grant:
        grant = Grant(id=0, tenant_id=self.tid, role_id=role.id, scope_id=node.id,
                      scope_path=node.path,
                      user_id=holder.id if isinstance(holder, User) else None,
                      group_id=holder.id if isinstance(holder, Group) else None)
        with self.uow() as uow:
            validate_grant(uow, grant)
            stored = uow.grants.add(grant)
            uow.commit()
        return stored  # type: ignore[no-any-return]

    def asset(self, number: str, node: ScopeNode) -> Asset:
        with self.uow() as uow:
            asset = uow.assets.add(Asset(id=0, tenant_id=self.tid, scope_id=node.id,
                                         scope_path=node.path, number=number,
                                         number_key=normalize_identifier(number)))
            uow.commit()
        return asset  # type: ignore[no-any-return]

    def settings(self, **changes: Any) -> TenantSettings:
        with self.uow() as uow:
            tenant = uow.tenants.get(self.tid)
            new = attrs.evolve(tenant.settings, **changes)
            validate_settings(uow, self.tid, new)
            uow.tenants.update(attrs.evolve(tenant, settings=new))
            uow.commit()
        return new

    def principal(self, user: User | None = None, org: str | None = None) -> Principal:
        if user is None:
            return Principal(tenant_id=self.tid, kind=PrincipalKind.GUEST)
        return Principal(tenant_id=self.tid, kind=PrincipalKind.USER, user_id=user.id,
                         active_organization=org)


@pytest.fixture
def acme(storage: Storage) -> dict[str, Any]:
    """A tenant with two organizations, a division, sites, assets and a portal user."""
    b = Builder(storage)
    org = b.scope(None)
    div = b.scope(org, ScopeKind.DIVISION)
    site = b.scope(div)
    org2 = b.scope(None)
    site2 = b.scope(org2)
    ann = b.user("ann@acme.example")
    viewer = b.role("viewer", perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW)
    grant = b.grant(ann, viewer, div)
    assets = [b.asset(f"A-{i}", node) for i, node in enumerate((org, div, site, site2))]
    return {"b": b, "org": org, "div": div, "site": site, "org2": org2, "site2": site2,
            "ann": ann, "viewer": viewer, "grant": grant, "assets": assets,
            "service": PolicyService(storage)}


def test_decides_from_storage(acme: dict[str, Any]) -> None:
    """The service reads the rows and decides: the grant covers its subtree only."""
    svc: PolicyService = acme["service"]
    ann = acme["b"].principal(acme["ann"])
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, acme["assets"][2]).allowed
    assert not svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, acme["assets"][0]).allowed
    assert svc.require(ann, perms.SERVICE_REQUEST_VIEW, acme["assets"][1]).allowed
    with pytest.raises(PermissionDeniedError):
        svc.require(ann, perms.SERVICE_REQUEST_VIEW, acme["assets"][3])
    assert "Allowed" in svc.explain(ann, perms.ASSET_IDENTIFICATION_VIEW, acme["assets"][2])


def test_revoke_applies_on_the_very_next_call(acme: dict[str, Any]) -> None:
    """Deleting a grant in another unit of work denies on the next call; no stale cache."""
    svc: PolicyService = acme["service"]
    ann = acme["b"].principal(acme["ann"])
    asset = acme["assets"][2]
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).allowed
    with acme["b"].uow() as uow:
        assert uow.grants.delete(acme["b"].tid, acme["grant"].id)
        uow.commit()
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is Reason.NO_GRANT


def test_disabling_a_user_applies_on_the_very_next_call(acme: dict[str, Any]) -> None:
    """A user disabled through another service instance is denied on the next call."""
    first, second = acme["service"], PolicyService(acme["b"].storage)
    ann = acme["b"].principal(acme["ann"])
    asset = acme["assets"][2]
    assert first.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).allowed
    with acme["b"].uow() as uow:
        uow.users.update(attrs.evolve(acme["ann"], is_active=False))
        uow.commit()
    assert first.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.USER_DISABLED)
    assert second.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.USER_DISABLED)


def test_settings_changes_apply_at_once(acme: dict[str, Any]) -> None:
    """Switching a feature off, unserving an organization or unlicensing applies at once."""
    svc: PolicyService = acme["service"]
    b: Builder = acme["b"]
    ann = b.principal(acme["ann"])
    asset = acme["assets"][2]
    b.settings(disabled_features=frozenset({"asset"}))
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.FEATURE_DISABLED)
    b.settings(disabled_features=frozenset(), served_organization_ids=frozenset({
        acme["org2"].id}))
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.ORGANIZATION_NOT_SERVED)
    b.settings(served_organization_ids=None, licensed=False)
    assert svc.decide(ann, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.NOT_LICENSED)


def test_group_grants_and_kpi_keys(acme: dict[str, Any]) -> None:
    """Grants held through a group apply to members; their KPI keys are listed."""
    b: Builder = acme["b"]
    bob = b.user("bob@acme.example")
    group = b.group("fleet managers", bob, kpi=("equipment_in_service",))
    b.grant(group, b.role("jobs", perms.JOB_VIEW, perms.KPI_VIEW), acme["org2"])
    svc: PolicyService = acme["service"]
    bob_p = b.principal(bob)
    d = svc.decide(bob_p, perms.JOB_VIEW, Target(b.tid, acme["site2"].path))
    assert d.allowed
    assert d.group_id == group.id
    assert svc.kpi_keys(bob_p) == {"equipment_in_service"}
    assert svc.organizations(bob_p) == (acme["org2"].path,)


def test_guest_mode(acme: dict[str, Any]) -> None:
    """Without login a guest gets the guest user's grants; with login, nothing."""
    b: Builder = acme["b"]
    svc: PolicyService = acme["service"]
    guest = b.principal()
    asset = acme["assets"][2]
    assert svc.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, asset).reason is (
        Reason.LOGIN_REQUIRED)
    b.settings(login_required=False, guest_user_id=acme["ann"].id)
    assert svc.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, asset).allowed
    assert not svc.decide(guest, perms.INVOICE_VIEW, asset).allowed
    b.settings(login_required=True)
    assert not svc.decide(guest, perms.ASSET_IDENTIFICATION_VIEW, asset).allowed


def test_sections_and_accounts(acme: dict[str, Any]) -> None:
    """sections(), narrowing and deep-link switching through the service."""
    b: Builder = acme["b"]
    svc: PolicyService = acme["service"]
    ann = b.principal(acme["ann"])
    result = svc.sections(ann, acme["assets"][2])
    assert isinstance(result, Sections)
    assert result.keys == ("identification", "outstanding_service_requests")
    assert svc.sections(ann, acme["assets"][3]) == NoAccess(Reason.NO_GRANT)
    only_first = svc.sections(ann, acme["assets"][2], page=ASSET_PAGE[:1])
    assert isinstance(only_first, Sections)
    assert only_first.keys == ("identification",)
    b.grant(acme["ann"], acme["viewer"], acme["site2"])
    assert svc.organizations(ann) == tuple(sorted((acme["org"].path, acme["org2"].path)))
    narrowed = svc.narrow(ann, acme["org"])
    asset2 = acme["assets"][3]
    assert not svc.decide(narrowed, perms.ASSET_IDENTIFICATION_VIEW, asset2).allowed
    switched = svc.switch_for(narrowed, perms.ASSET_IDENTIFICATION_VIEW, asset2)
    assert switched is not None
    assert switched.active_organization == acme["org2"].path
    with pytest.raises(PermissionDeniedError):
        svc.narrow(ann, 987654)


def test_load_policy_for_several_principals_and_whole_tenant(acme: dict[str, Any]) -> None:
    """One load can serve several principals; the tenant-wide load decides the same."""
    b: Builder = acme["b"]
    carl = b.user("carl@acme.example")
    b.grant(carl, acme["viewer"], acme["org2"])
    ann, carl_p = b.principal(acme["ann"]), b.principal(carl)
    with b.uow() as uow:
        both = load_policy(uow, ann, carl_p)
        whole = load_tenant_policy(uow, b.tid)
        with pytest.raises(NotFoundError):
            load_tenant_policy(uow, 987654)
        stranger = load_policy(uow, Principal(tenant_id=987654, kind=PrincipalKind.USER,
                                              user_id=carl.id))
    for asset in acme["assets"]:
        for p in (ann, carl_p):
            assert both.decide(p, perms.ASSET_IDENTIFICATION_VIEW, asset) == whole.decide(
                p, perms.ASSET_IDENTIFICATION_VIEW, asset)
    assert not stranger.decide(carl_p, perms.ASSET_IDENTIFICATION_VIEW,
                               acme["assets"][3]).allowed


def test_filter_for_is_pushed_into_find(acme: dict[str, Any]) -> None:
    """uow.assets.find with the policy's filter returns exactly the allowed assets."""
    b: Builder = acme["b"]
    ann = b.principal(acme["ann"])
    spec = acme["service"].filter_for(ann, perms.ASSET_IDENTIFICATION_VIEW)
    with b.uow() as uow:
        found = uow.assets.find(b.tid, spec)
    assert [a.number for a in found] == ["A-1", "A-2"]


# Validation at configuration time ----------------------------------------------------


def test_validate_permissions() -> None:
    """Unknown permission names are refused with UnknownPermissionError."""
    assert validate_permissions([perms.JOB_VIEW]) == {perms.JOB_VIEW}
    with pytest.raises(UnknownPermissionError):
        validate_permissions([perms.JOB_VIEW, "job.explode"])


def test_validate_grant(acme: dict[str, Any]) -> None:
    """Grants need one holder, a role, and a scope of their own tenant."""
    b: Builder = acme["b"]
    other = Builder(b.storage, "other")
    foreign_org = other.scope(None)
    base = Grant(id=0, tenant_id=b.tid, role_id=acme["viewer"].id, scope_id=acme["org"].id,
                 scope_path=acme["org"].path, user_id=acme["ann"].id)
    with b.uow() as uow:
        assert validate_grant(uow, base) == acme["org"]
        with pytest.raises(UnknownScopeError):
            validate_grant(uow, attrs.evolve(base, scope_id=foreign_org.id,
                                             scope_path=foreign_org.path))
        with pytest.raises(InvalidInputError):
            validate_grant(uow, attrs.evolve(base, scope_path=acme["org2"].path))
        with pytest.raises(InvalidInputError):
            validate_grant(uow, attrs.evolve(base, group_id=1))
        with pytest.raises(InvalidInputError):
            validate_grant(uow, attrs.evolve(base, user_id=None))
        with pytest.raises(NotFoundError):
            validate_grant(uow, attrs.evolve(base, role_id=987654))
        with pytest.raises(NotFoundError):
            validate_grant(uow, attrs.evolve(base, user_id=987654))
        with pytest.raises(NotFoundError):
            validate_grant(uow, attrs.evolve(base, user_id=None, group_id=987654))


def test_validate_membership_and_scoped(acme: dict[str, Any]) -> None:
    """Memberships join a user and group of the tenant; records need a scope of it."""
    b: Builder = acme["b"]
    group = b.group("g")
    other = Builder(b.storage, "other")
    foreign = other.scope(None)
    with b.uow() as uow:
        validate_membership(uow, Membership(id=0, tenant_id=b.tid, group_id=group.id,
                                            user_id=acme["ann"].id))
        with pytest.raises(NotFoundError):
            validate_membership(uow, Membership(id=0, tenant_id=b.tid, group_id=group.id,
                                                user_id=987654))
        with pytest.raises(NotFoundError):
            validate_membership(uow, Membership(id=0, tenant_id=b.tid, group_id=987654,
                                                user_id=acme["ann"].id))
        assert validate_scoped(uow, b.tid, acme["site"].id, acme["site"].path) == acme["site"]
        with pytest.raises(InvalidInputError) as info:
            validate_scoped(uow, b.tid, None)
        assert "scope" in info.value.fields
        with pytest.raises(UnknownScopeError):
            validate_scoped(uow, b.tid, foreign.id)


def test_validate_settings(acme: dict[str, Any]) -> None:
    """Guest mode needs an active guest user; served organizations must be this tenant's."""
    b: Builder = acme["b"]
    other = Builder(b.storage, "other")
    foreign = other.scope(None)
    disabled = b.user("off@acme.example", active=False)
    with pytest.raises(ConfigurationError):
        b.settings(login_required=False)
    with pytest.raises(ConfigurationError):
        b.settings(login_required=False, guest_user_id=disabled.id)
    with pytest.raises(ConfigurationError):
        b.settings(guest_user_id=987654)
    with pytest.raises(UnknownScopeError):
        b.settings(served_organization_ids=frozenset({foreign.id}))
    with pytest.raises(UnknownScopeError):
        b.settings(served_organization_ids=frozenset({acme["site"].id}))
    with pytest.raises(ConfigurationError):
        b.settings(disabled_features=frozenset({"no_such_feature"}))
    b.settings(login_required=False, guest_user_id=acme["ann"].id,
               served_organization_ids=frozenset({acme["org"].id}),
               disabled_features=frozenset({"invoice"}))


def test_check_tenant_lists_rows_that_cannot_work(acme: dict[str, Any]) -> None:
    """Rows stored without validation are reported by check_tenant, and allow nothing."""
    b: Builder = acme["b"]
    with b.uow() as uow:
        assert check_tenant(uow, b.tid) == []
        uow.roles.add(Role(id=0, tenant_id=b.tid, name="legacy",
                           permissions=frozenset({"legacy.thing"})))
        uow.commit()
    with b.uow() as uow:
        assert any("unknown permissions" in p for p in check_tenant(uow, b.tid))


# The SQL filter equals decide, on every adapter ----------------------------------------


ACTIONS = (perms.ASSET_VIEW, perms.APPOINTMENT_VIEW, perms.PERSON_MANAGE, perms.JOB_VIEW)


@st.composite
def grant_plans(draw: st.DrawFn) -> dict[str, Any]:
    """Random grants (node index, role index, holder) and settings over a fixed tree."""
    return {
        "grants": draw(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2),
                                          st.integers(0, 3)), max_size=8)),
        "roles": draw(st.lists(st.frozensets(st.sampled_from(ACTIONS), min_size=1),
                               min_size=3, max_size=3)),
        "served": draw(st.none() | st.frozensets(st.integers(0, 2))),
        "active_org": draw(st.none() | st.integers(0, 2)),
        "disabled": draw(st.sampled_from((frozenset(), frozenset({"person"})))),
    }


@pytest.fixture
def world(storage: Storage) -> Iterator[dict[str, Any]]:
    """A fixed tree of 3 organizations (10 nodes), 3 users, a group, and an asset per node."""
    b = Builder(storage)
    orgs = [b.scope(None) for _ in range(3)]
    divs = [b.scope(orgs[0], ScopeKind.DIVISION), b.scope(orgs[1], ScopeKind.DIVISION)]
    nodes = [*orgs, *divs, b.scope(divs[0]), b.scope(divs[0]), b.scope(divs[1]),
             b.scope(orgs[2]), b.scope(orgs[2], ScopeKind.SHOP)]
    users = [b.user(f"u{i}@acme.example") for i in range(3)]
    group = b.group("crew", users[0], users[1])
    for i, node in enumerate(nodes):
        b.asset(f"N-{i}", node)
    other = Builder(storage, "other")
    other_org = other.scope(None)
    other.asset("FOREIGN", other_org)
    return {"b": b, "nodes": nodes, "orgs": orgs, "users": users, "group": group}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=grant_plans())
def test_sql_filter_returns_exactly_what_decide_allows(
    world: dict[str, Any], plan: dict[str, Any]
) -> None:
    """On memory, SQLite and PostgreSQL, find(filter_for(...)) == the assets decide allows."""
    b: Builder = world["b"]
    nodes, orgs, users = world["nodes"], world["orgs"], world["users"]
    holders: list[User | Group] = [*users, world["group"]]
    with b.uow() as uow:
        for g in uow.grants.find(b.tid):
            uow.grants.delete(b.tid, g.id)
        for r in uow.roles.find(b.tid):
            uow.roles.delete(b.tid, r.id)
        roles = [uow.roles.add(Role(id=0, tenant_id=b.tid, name=f"r{i}", permissions=ps))
                 for i, ps in enumerate(plan["roles"])]
        for node_i, role_i, holder_i in plan["grants"]:
            holder, node = holders[holder_i], nodes[node_i]
            uow.grants.add(Grant(
                id=0, tenant_id=b.tid, role_id=roles[role_i].id, scope_id=node.id,
                scope_path=node.path,
                user_id=holder.id if isinstance(holder, User) else None,
                group_id=holder.id if isinstance(holder, Group) else None))
        tenant = uow.tenants.get(b.tid)
        served = plan["served"]
        uow.tenants.update(attrs.evolve(tenant, settings=attrs.evolve(
            tenant.settings,
            served_organization_ids=None if served is None else frozenset(
                orgs[i].id for i in served),
            disabled_features=plan["disabled"])))
        uow.commit()
    active = None if plan["active_org"] is None else orgs[plan["active_org"]].path
    with b.uow() as uow:
        assets = uow.assets.find(b.tid)
        for user in users:
            principal = b.principal(user, org=active)
            policy = load_policy(uow, principal)
            for action in ACTIONS:
                spec = policy.filter_for(principal, action)
                found = {a.id for a in uow.assets.find(b.tid, spec)}
                allowed = {a.id for a in assets if policy.decide(principal, action, a).allowed}
                assert found == allowed, (action, spec)
                assert uow.assets.count(b.tid, spec) == len(allowed)



def test_change_by_another_process_applies_at_once(sqlite_storage: Storage) -> None:
    """A user disabled and a grant revoked by another OS process apply on the next call."""
    b = Builder(sqlite_storage)
    org = b.scope(None)
    ann = b.user("ann@acme.example")
    grant = b.grant(ann, b.role("viewer", perms.ASSET_VIEW), org)
    asset = b.asset("A-1", org)
    svc = PolicyService(sqlite_storage)
    principal = b.principal(ann)
    assert svc.decide(principal, perms.ASSET_VIEW, asset).allowed
    url = sqlite_storage.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    script = textwrap.dedent(f"""
        import attrs
        from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
        storage = SqlAlchemyStorage.from_url({url!r})
        with storage.unit_of_work() as uow:
            uow.grants.delete({b.tid}, {grant.id})
            uow.commit()
        storage.close()
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert svc.decide(principal, perms.ASSET_VIEW, asset).reason is Reason.NO_GRANT
    b.grant(ann, b.role("again", perms.ASSET_VIEW), org)
    assert svc.decide(principal, perms.ASSET_VIEW, asset).allowed
    script = textwrap.dedent(f"""
        import attrs
        from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
        storage = SqlAlchemyStorage.from_url({url!r})
        with storage.unit_of_work() as uow:
            user = uow.users.get({b.tid}, {ann.id})
            uow.users.update(attrs.evolve(user, is_active=False))
            uow.commit()
        storage.close()
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert svc.decide(principal, perms.ASSET_VIEW, asset).reason is Reason.USER_DISABLED
