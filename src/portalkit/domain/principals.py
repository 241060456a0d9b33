"""Users, roles, groups, grants, and the principal a request runs as."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = [
    "Grant",
    "Group",
    "Membership",
    "Principal",
    "PrincipalKind",
    "Role",
    "User",
]


@attrs.frozen(kw_only=True)
class User:
    """A person who can use the portal (a customer contact or a staff member).

    ``email`` is stored normalized (lowercase); ``phone`` in E.164 when known.
    ``security_stamp`` changes whenever every existing session must end.
    """

    id: int
    tenant_id: int
    email: str
    name: str
    username: str | None = None
    phone: str | None = None
    is_active: bool = True
    is_staff: bool = False
    password_hash: str | None = None
    security_stamp: str = ""
    external_key: str | None = None
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class Role:
    """A named set of permissions, defined per tenant."""

    id: int
    tenant_id: int
    name: str
    permissions: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True)
class Group:
    """A user group (seed 001): its grants apply to every member.

    ``kpi_keys`` are the KPI/report tiles the group may see.
    """

    id: int
    tenant_id: int
    name: str
    kpi_keys: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True)
class Membership:
    """A user's membership of a group."""

    id: int
    tenant_id: int
    group_id: int
    user_id: int


@attrs.frozen(kw_only=True)
class Grant:
    """A role at a scope node, held by exactly one user or one group.

    The grant covers the node's whole subtree. ``scope_path`` is the node's path,
    kept in step when the node moves.
    """

    id: int
    tenant_id: int
    role_id: int
    scope_id: int
    scope_path: str
    user_id: int | None = None
    group_id: int | None = None


class PrincipalKind(str, enum.Enum):
    """Who a request runs as."""

    USER = "user"
    GUEST = "guest"
    SHARE = "share"


@attrs.frozen(kw_only=True)
class Principal:
    """The identity a request runs as.

    A principal names a user (or the tenant's guest user, or a share link); what
    it may do is looked up from current grants on every decision, so a revoked
    grant applies at once. ``active_organization`` narrows a user with grants in
    several organizations to one of them (an organization's path), or None for all.

    Raises:
        TypeError: ``user_id`` is neither None nor an int (a bool is refused
            too: ``True == 1`` would otherwise pass for user 1).
    """

    tenant_id: int
    kind: PrincipalKind
    user_id: int | None = attrs.field(default=None)
    active_organization: str | None = None

    @user_id.validator
    def _check_user_id(self, _attribute: object, value: object) -> None:
        if value is not None and _plain_user_id(value) is None:
            raise TypeError(f"user_id must be an int or None, not {type(value).__name__}")


def _plain_user_id(value: object) -> int | None:
    """*value* as a plain int user id; None for None, bools (True == 1, but is no
    id) and anything else that is not an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return None
