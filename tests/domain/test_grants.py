"""The no-escalation rule (portalkit.domain.grants) against the compiled policy."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from portalkit import perms
from portalkit.domain.grants import Offer, group_offers, may_grant, refused_offers, role_offer
from portalkit.domain.policy import Policy, Target
from portalkit.domain.principals import (
    Grant,
    Group,
    Membership,
    Principal,
    PrincipalKind,
    Role,
    User,
)
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import TenantSettings
from tests.strategies import scope_trees

TID = 1
ACTOR, INVITEE = 1, 2
CATALOGUE = sorted(perms.names())
FEATURES = sorted(perms.features())


def _principal(uid: int) -> Principal:
    return Principal(tenant_id=TID, kind=PrincipalKind.USER, user_id=uid)


def _policy(
    paths: list[str],
    roles: list[Role],
    grants: list[Grant],
    group: Group,
    members: list[int],
    disabled: frozenset[str],
) -> Policy:
    orgs = [
        ScopeNode(int(p[5:].split("/")[0]), TID, ScopeKind.ORGANIZATION, "o", p)
        for p in paths if p.count("/") == 2
    ]
    return Policy.build(
        tenant_id=TID,
        settings=TenantSettings(disabled_features=disabled),
        users=[User(id=u, tenant_id=TID, email=f"{u}@x.example", name="u")
               for u in (ACTOR, INVITEE)],
        roles=roles,
        grants=grants,
        organizations=orgs,
        groups=[group],
        memberships=[Membership(id=i, tenant_id=TID, group_id=group.id, user_id=u)
                     for i, u in enumerate(members, start=1)],
    )


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    paths = draw(scope_trees(max_nodes=6))
    n_roles = draw(st.integers(1, 4))
    roles = [
        Role(id=i, tenant_id=TID, name=f"r{i}",
             permissions=draw(st.frozensets(st.sampled_from(CATALOGUE), max_size=8)))
        for i in range(1, n_roles + 1)
    ]
    held = st.tuples(st.integers(1, n_roles), st.sampled_from(paths))
    return {
        "paths": paths,
        "roles": roles,
        "actor": draw(st.lists(held, max_size=4)),
        "group": draw(st.lists(held, max_size=2)),
        "kpis": draw(st.frozensets(st.sampled_from(["a", "b"]))),
        "actor_in_group": draw(st.booleans()),
        "offered": draw(st.lists(held, max_size=2)),
        "with_group": draw(st.booleans()),
        "disabled": draw(st.frozensets(st.sampled_from(FEATURES), max_size=2)),
    }


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_an_account_given_what_may_be_given_can_do_nothing_more(case: dict[str, Any]) -> None:
    """Random catalogue subsets, scope forests, grants, groups with KPI tiles and
    switched-off features: when may_grant says yes, the account given those offers
    (and the group) is allowed nothing, anywhere, that the actor is not."""
    roles = {r.id: r for r in case["roles"]}
    group = Group(id=1, tenant_id=TID, name="G", kpi_keys=case["kpis"])
    grant_id = iter(range(1, 100))

    def grant(role_id: int, path: str, **holder: int) -> Grant:
        scope_id = int(path.rstrip("/").rsplit(":", 1)[1])
        return Grant(id=next(grant_id), tenant_id=TID, role_id=role_id, scope_id=scope_id,
                     scope_path=path, **holder)

    actor_grants = [grant(r, p, user_id=ACTOR) for r, p in case["actor"]]
    group_grants = [grant(r, p, group_id=group.id) for r, p in case["group"]]
    members = [ACTOR] if case["actor_in_group"] else []
    before = _policy(case["paths"], case["roles"], actor_grants + group_grants, group, members,
                     case["disabled"])
    actor = _principal(ACTOR)
    offers = [role_offer(roles[r], p) for r, p in case["offered"]]
    kpis: frozenset[str] = frozenset()
    if case["with_group"]:
        offers += group_offers(group_grants, roles)
        kpis = group.kpi_keys
    allowed = may_grant(before, actor, offers, kpi_keys=kpis)
    assert may_grant(before, actor, offers, kpi_keys=kpis, staff=True)
    if not allowed:
        return
    given_grants = [grant(r, p, user_id=INVITEE) for r, p in case["offered"]]
    after = _policy(
        case["paths"], case["roles"], actor_grants + group_grants + given_grants, group,
        members + ([INVITEE] if case["with_group"] else []), case["disabled"],
    )
    invitee = _principal(INVITEE)
    for path in case["paths"]:
        target = Target(TID, path)
        for permission in CATALOGUE:
            if after.is_allowed(invitee, permission, target):
                assert after.is_allowed(actor, permission, target)
    assert after.kpi_keys(invitee) <= after.kpi_keys(actor)


def test_refusals_name_the_offers_not_held() -> None:
    """A role at the actor's node or below is fine; above it or wider is refused."""
    org, site = "/org:1/", "/org:1/site:2/"
    roles = [Role(id=1, tenant_id=TID, name="viewer", permissions=frozenset({perms.ASSET_VIEW}))]
    group = Group(id=1, tenant_id=TID, name="G")
    held = Grant(id=1, tenant_id=TID, role_id=1, scope_id=2, scope_path=site, user_id=ACTOR)
    policy = _policy([org, site], roles, [held], group, [], frozenset())
    actor = _principal(ACTOR)
    fine = role_offer(roles[0], site)
    above = role_offer(roles[0], org)
    wider = Offer(frozenset({perms.ASSET_VIEW, perms.STATEMENT_VIEW}), site)
    assert refused_offers(policy, actor, [fine, above, wider]) == [above, wider]
    assert may_grant(policy, actor, [fine])
    assert not may_grant(policy, actor, [fine], kpi_keys=frozenset({"tile"}))
    assert may_grant(policy, actor, [])
    other_tenant = Principal(tenant_id=2, kind=PrincipalKind.USER, user_id=ACTOR)
    assert not may_grant(policy, other_tenant, [])


def test_a_group_offers_each_role_at_its_grants_own_scope() -> None:
    """One offer per grant whose role is known: that role's permissions at that grant's path."""
    roles = {
        7: Role(id=7, tenant_id=TID, name="viewer", permissions=frozenset({"asset.list"})),
        8: Role(id=8, tenant_id=TID, name="payer", permissions=frozenset({"invoice.pay"})),
    }
    grants = [
        Grant(id=1, tenant_id=TID, role_id=7, scope_id=1, scope_path="/org:1/", group_id=3),
        Grant(id=2, tenant_id=TID, role_id=9, scope_id=2, scope_path="/org:2/", group_id=3),
        Grant(id=3, tenant_id=TID, role_id=8, scope_id=4, scope_path="/org:1/div:4/", group_id=3),
    ]
    assert group_offers(grants, roles) == [
        Offer(frozenset({"asset.list"}), "/org:1/"),
        Offer(frozenset({"invoice.pay"}), "/org:1/div:4/"),
    ]
