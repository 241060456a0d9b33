"""The vocabulary of an access decision: reasons, decisions, resources, scope paths.

:mod:`portalkit.domain.policy` re-exports the public names; import them from there.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import attrs

from portalkit.domain.scopes import ScopeNode

_PATH_RE = re.compile(r"^/org:[0-9]+/(?:(?:grp|div|site|shop):[0-9]+/)*$")


class Reason(str, enum.Enum):
    """Why a decision came out as it did; denials are listed in the order checked."""

    ALLOWED = "allowed"
    OTHER_TENANT = "other_tenant"
    PORTAL_DISABLED = "portal_disabled"
    NOT_LICENSED = "not_licensed"
    UNKNOWN_ACTION = "unknown_action"
    FEATURE_DISABLED = "feature_disabled"
    LOGIN_REQUIRED = "login_required"
    NOT_A_USER = "not_a_user"
    UNKNOWN_USER = "unknown_user"
    USER_DISABLED = "user_disabled"
    NO_SCOPE = "no_scope"
    ORGANIZATION_NOT_SERVED = "organization_not_served"
    OTHER_ORGANIZATION = "other_organization"
    REQUIREMENT_MISSING = "requirement_missing"
    NO_GRANT = "no_grant"


@attrs.frozen
class Decision:
    """The answer to one question.

    Attributes:
        allowed: True only when the action is allowed.
        reason: :attr:`Reason.ALLOWED`, or why it was denied.
        grant_id: For an allowed decision, the grant that covers the resource.
        role: That grant's role name.
        scope_path: The path the grant is at (the resource is at it or below).
        group_id: The group the grant is held through, or None if held directly.
    """

    allowed: bool
    reason: Reason
    grant_id: int | None = None
    role: str | None = None
    scope_path: str | None = None
    group_id: int | None = None


_DENIALS: dict[Reason, Decision] = {
    r: Decision(False, r) for r in Reason if r is not Reason.ALLOWED
}


@runtime_checkable
class Resource(Protocol):
    """Anything bound to a scope node: assets, documents, jobs, :class:`Target`."""

    @property
    def tenant_id(self) -> int: ...

    @property
    def scope_path(self) -> str: ...


@attrs.frozen
class Target:
    """A bare place to decide about: a tenant and a scope path."""

    tenant_id: int
    scope_path: str

    @classmethod
    def of(cls, node: ScopeNode) -> Target:
        """The target for a scope node itself."""
        return cls(node.tenant_id, node.path)


def _ancestors(path: object) -> tuple[str, ...]:
    """The paths of a node and its ancestors, organization first; () if malformed."""
    if not isinstance(path, str) or not _PATH_RE.match(path):
        return ()
    out = []
    prefix = "/"
    for segment in path.split("/")[1:-1]:
        prefix += segment + "/"
        out.append(prefix)
    return tuple(out)


def _minimal(paths: Iterable[str]) -> list[str]:
    """The paths not covered by another path of the set, sorted."""
    pool = set(paths)
    return sorted(p for p in pool if not any(a in pool for a in _ancestors(p)[:-1]))
