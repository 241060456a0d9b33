"""Account switching: narrowing a principal to one organization, following deep links.

A user may act in several organizations; an account switcher narrows the
principal to one of them (:func:`narrow`), and a deep link into another of the
user's organizations switches to it instead of failing (:func:`switch_for`).
:class:`~portalkit.domain.policy.Policy` offers both as methods.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from portalkit.domain._policy_decisions import Decision, Resource, _ancestors
from portalkit.domain.principals import Principal
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import PermissionDeniedError


class _Switching(Protocol):
    """What switching asks the policy."""

    def decide(self, principal: Principal, action: str, resource: Resource) -> Decision: ...

    def organizations(self, principal: Principal) -> tuple[str, ...]: ...


def narrow(
    policy: _Switching, principal: Principal, organization: str | int | ScopeNode | None
) -> Principal:
    """The principal narrowed to one of its organizations (None: all of them).

    Raises:
        PermissionDeniedError: the principal cannot act in that organization.
    """
    if organization is None:
        return attrs.evolve(principal, active_organization=None)
    if isinstance(organization, ScopeNode):
        path = organization.organization_path
    elif isinstance(organization, int):
        path = f"/org:{organization}/"
    else:
        ancestors = _ancestors(organization)
        if not ancestors:
            raise PermissionDeniedError()
        path = ancestors[0]
    if path not in policy.organizations(principal):
        raise PermissionDeniedError()
    return attrs.evolve(principal, active_organization=path)


def switch_for(
    policy: _Switching, principal: Principal, action: str, resource: Resource
) -> Principal | None:
    """The principal to follow a deep link with, or None if it is not allowed.

    When *principal* is narrowed to one organization and *resource* lies in
    another organization where the action is allowed, the principal switched
    to that organization is returned instead of a denial.
    """
    if policy.decide(principal, action, resource).allowed:
        return principal
    if principal.active_organization is None:
        return None
    wide = attrs.evolve(principal, active_organization=None)
    if not policy.decide(wide, action, resource).allowed:
        return None
    return attrs.evolve(principal, active_organization=_ancestors(resource.scope_path)[0])
