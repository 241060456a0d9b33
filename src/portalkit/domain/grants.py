"""Who may give access to whom: the no-escalation rule for grants.

Access is given as *offers*: a set of permissions at a scope path (a role at
a scope node becomes one offer). A group given to an account offers every
grant the group holds (each of its roles at that grant's scope) and its KPI
tiles, so a group is judged exactly like the roles it carries.

The rule (:func:`may_grant`):

* A **staff-side** actor may give anything. The staff API (``Portal.admin()``,
  host code with no principal) is staff-side; so is a principal whose user is
  active and marked ``is_staff`` (only the staff API can set that flag).
* A **customer-side** actor may give an offer only when the compiled
  :class:`~portalkit.domain.policy.Policy` allows the actor *every* permission
  of the offer at the offer's scope path, i.e. through a grant at that node or
  above it. The policy's full rule applies: requirements, switched-off
  features, served organizations, the actor being active. An offer with a
  permission the actor cannot use there is refused even if the new account
  could not use it either (a switched-off feature may be switched on later).
* A group's KPI tiles must all be tiles the actor may see
  (:meth:`Policy.kpi_keys <portalkit.domain.policy.Policy.kpi_keys>`).

Why this is enough: every grant the new account gets is covered, permission by
permission and path by path, by grants the actor holds, and the policy is
monotone in grants; so whatever the new account is allowed, the actor is
allowed too (requirements included, because the actor holds them at the same
paths).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from portalkit.domain.policy import Policy, Target
from portalkit.domain.principals import Grant, Principal, Role

__all__ = ["Offer", "group_offers", "may_grant", "refused_offers", "role_offer"]


@attrs.frozen
class Offer:
    """Permissions an account would be given at a scope path (and everything below it)."""

    permissions: frozenset[str]
    scope_path: str


def role_offer(role: Role, scope_path: str) -> Offer:
    """What granting *role* at *scope_path* gives."""
    return Offer(frozenset(role.permissions), scope_path)


def group_offers(grants: Iterable[Grant], roles: Mapping[int, Role]) -> list[Offer]:
    """What joining a group gives: one offer per grant the group holds.

    A grant whose role is not in *roles* offers nothing (it cannot take effect).
    """
    return [
        role_offer(roles[g.role_id], g.scope_path) for g in grants if g.role_id in roles
    ]


def refused_offers(policy: Policy, actor: Principal, offers: Iterable[Offer]) -> list[Offer]:
    """The offers a customer-side *actor* may not give (empty: all of them may be given)."""
    refused = []
    for offer in offers:
        target = Target(tenant_id=actor.tenant_id, scope_path=offer.scope_path)
        if not all(policy.is_allowed(actor, p, target) for p in offer.permissions):
            refused.append(offer)
    return refused


def may_grant(
    policy: Policy,
    actor: Principal,
    offers: Iterable[Offer],
    *,
    kpi_keys: frozenset[str] = frozenset(),
    staff: bool = False,
) -> bool:
    """Whether *actor* may give *offers* (and the KPI tiles *kpi_keys*) to an account.

    Args:
        policy: The actor's current compiled policy.
        actor: Who gives.
        offers: Everything the account would be given.
        kpi_keys: The KPI tiles of the groups it would join.
        staff: The actor is staff-side (see the module docstring): anything goes.
    """
    if staff:
        return True
    if actor.tenant_id != policy.tenant_id:
        return False
    if refused_offers(policy, actor, offers):
        return False
    return kpi_keys <= policy.kpi_keys(actor)
