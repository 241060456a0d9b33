"""Access decisions against current storage, and configuration-time validation.

Freshness: no cache, by design
------------------------------

Every call of :class:`PolicyService` (and every :func:`load_policy`) reads the
rows the decision depends on in one unit of work and compiles them with
:meth:`Policy.build <portalkit.domain.policy.Policy.build>`:

1. the tenant (its settings: enabled, licensed, served organizations,
   switched-off features, login required and guest user);
2. the principal's user (is it active?);
3. its group memberships, and those groups (for KPI keys);
4. the grants held by the user or by those groups;
5. the roles those grants name;
6. the organization nodes those grants lie in.

Items 3 to 6 are one indexed statement (``uow.grants.access_of``), and a
request passes the tenant and user it read with the session, so a request's
policy costs one statement whose size is bounded by the principal's own
grants, not by the tenant. Because nothing is kept between calls, a grant
revoked or a user disabled by *any* process sharing the database applies on the
very next call, with no version stamp that every writer must remember to bump
and no invalidation message that could be lost. Within one request, load the
policy once (:meth:`PolicyService.policy_for` or :func:`load_policy` in the
request's unit of work) and ask it as many questions as needed; the compiled
:class:`~portalkit.domain.policy.Policy` answers each in about a microsecond.

For batch work over a whole tenant (exports, audits, the benchmark),
:func:`load_tenant_policy` compiles every user at once.

Validation
----------

The ``validate_*`` functions are called where policy rows are configured (the
admin API, bulk imports). They raise typed errors rather than store something
that could never work: unknown permissions
(:class:`~portalkit.errors.UnknownPermissionError`), grants or records without a
scope of this tenant (:class:`~portalkit.errors.UnknownScopeError`, which is also
the answer for another tenant's scope), grants without exactly one holder, and
guest mode without a usable guest user (:class:`~portalkit.errors.ConfigurationError`).
Groups do not nest (a membership joins a user to a group), so membership
cycles cannot exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from portalkit.domain.documents import KindRegistry, default_kinds, hidden_reason
from portalkit.domain.filters import Eq, Filter, In
from portalkit.domain.i18n import Msg
from portalkit.domain.mail import check_mail_settings
from portalkit.domain.policy import (
    Decision,
    NoAccess,
    Policy,
    Resource,
    Section,
    Sections,
)
from portalkit.domain.principals import Grant, Membership, Principal, PrincipalKind, User
from portalkit.domain.records import Document
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    UnknownScopeError,
)
from portalkit.perms import PermissionRegistry, default_registry
from portalkit.ports import Storage, UnitOfWork

__all__ = [
    "PolicyService",
    "check_tenant",
    "load_policy",
    "load_tenant_policy",
    "validate_grant",
    "validate_membership",
    "validate_permissions",
    "validate_scoped",
    "validate_settings",
]

_CLOSED = TenantSettings(portal_enabled=False)


def _acting_user(principal: Principal, settings: TenantSettings) -> int | None:
    if principal.kind is PrincipalKind.USER:
        return principal.user_id
    if principal.kind is PrincipalKind.GUEST and not settings.login_required:
        return settings.guest_user_id
    return None


def load_policy(
    uow: UnitOfWork,
    principal: Principal,
    *others: Principal,
    registry: PermissionRegistry | None = None,
    tenant: Tenant | None = None,
    known_users: Sequence[User] = (),
) -> Policy:
    """The current policy for *principal* (and *others*), read from *uow*.

    Only the rows these principals depend on are read (see the module
    docstring); pass several principals when one request decides for more
    than one (a share link and its creator). Principals of other tenants
    gain nothing. An unknown tenant gives a policy that denies everything
    (``portal_disabled``). *tenant* and *known_users*, when the caller has
    just read them in the same unit of work (a request), are not read again.
    """
    tid = principal.tenant_id
    if tenant is None or tenant.id != tid:
        tenant = uow.tenants.get(tid)
    settings = tenant.settings if tenant is not None else _CLOSED
    uids = sorted(
        {
            uid
            for p in (principal, *others)
            if p.tenant_id == tid and (uid := _acting_user(p, settings)) is not None
        }
    )
    if tenant is None or not uids:
        users: Sequence[User] = []
    elif {u.id for u in known_users if u.tenant_id == tid} >= set(uids):
        users = [u for u in known_users if u.tenant_id == tid and u.id in uids]
    else:
        users = uow.users.find(tid, In("id", uids))
    if not users:
        return Policy.build(
            tenant_id=tid, settings=settings, users=(), roles=(), grants=(),
            organizations=(), registry=registry,
        )
    # One read: the users' groups, what they hold with its roles and organizations.
    access = uow.grants.access_of(tid, [u.id for u in users])
    return Policy.build(
        tenant_id=tid,
        settings=settings,
        users=users,
        roles={r.id: r for _, r in access.held}.values(),
        grants=[g for g, _ in access.held],
        organizations=access.organizations,
        groups={g.id: g for _, g in access.memberships}.values(),
        memberships=[m for m, _ in access.memberships],
        registry=registry,
    )


def load_tenant_policy(
    uow: UnitOfWork, tenant_id: int, *, registry: PermissionRegistry | None = None
) -> Policy:
    """The current policy of every user of a tenant, compiled at once."""
    tenant = uow.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError()
    return Policy.build(
        tenant_id=tenant_id,
        settings=tenant.settings,
        users=uow.users.find(tenant_id),
        roles=uow.roles.find(tenant_id),
        grants=uow.grants.find(tenant_id),
        organizations=uow.scopes.find(tenant_id, Eq("parent_id", None)),
        groups=uow.groups.find(tenant_id),
        memberships=uow.memberships.find(tenant_id),
        registry=registry,
    )


class PolicyService:
    """Access decisions for a portal; each call reads current rows (never stale).

    Args:
        storage: Where the policy rows live.
        registry: The permission catalogue (the default one unless a host
            keeps its own).
    """

    def __init__(
        self,
        storage: Storage,
        *,
        registry: PermissionRegistry | None = None,
        kinds: KindRegistry | None = None,
    ) -> None:
        self._storage = storage
        self._registry = registry or default_registry
        self._kinds = kinds or default_kinds

    def policy_for(self, principal: Principal, *others: Principal) -> Policy:
        """The current compiled policy for *principal* (and *others*): load once per request."""
        with self._storage.unit_of_work(read_only=True) as uow:
            return load_policy(uow, principal, *others, registry=self._registry)

    def decide(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """Whether *principal* may take *action* on *resource*, with the reason."""
        return self.policy_for(principal).decide(principal, action, resource)

    def require(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """The allowed decision, or raise PermissionDeniedError."""
        return self.policy_for(principal).require(principal, action, resource)

    def explain(
        self,
        principal: Principal,
        action: str,
        resource: Resource,
        *,
        policy: Policy | None = None,
    ) -> str:
        """The decision in words, for staff and developers.

        For a :class:`~portalkit.domain.records.Document` the document rules
        come first (drafts hidden, reports only when approved, a kind switched
        off), so the explanation agrees with what the principal actually gets.
        *policy* is the principal's already loaded policy, if any.
        """
        policy = policy or self.policy_for(principal)
        if isinstance(resource, Document):
            hidden = hidden_reason(resource, self._kinds, policy.settings.disabled_features)
            if hidden is not None:
                return f"Denied (document not shown): {hidden}"
        return policy.explain(principal, action, resource)

    def filter_for(self, principal: Principal, action: str, *, field: str = "scope_path") -> Filter:
        """The records *principal* may take *action* on, as a filter for ``find``."""
        return self.policy_for(principal).filter_for(principal, action, field=field)

    def sections(
        self, principal: Principal, resource: Resource, page: Iterable[Section] | None = None
    ) -> Sections | NoAccess:
        """The asset page's sections the principal may see (or NoAccess)."""
        policy = self.policy_for(principal)
        if page is None:
            return policy.sections(principal, resource)
        return policy.sections(principal, resource, page)

    def organizations(self, principal: Principal) -> tuple[str, ...]:
        """The paths of the organizations the principal can act in."""
        return self.policy_for(principal).organizations(principal)

    def narrow(self, principal: Principal, organization: str | int | ScopeNode | None) -> Principal:
        """The principal narrowed to one of its organizations (PermissionDeniedError if not)."""
        return self.policy_for(principal).narrow(principal, organization)

    def switch_for(self, principal: Principal, action: str, resource: Resource) -> Principal | None:
        """The principal to follow a deep link with (switched if needed), or None."""
        return self.policy_for(principal).switch_for(principal, action, resource)

    def kpi_keys(self, principal: Principal) -> frozenset[str]:
        """The KPI/report tiles the principal may see."""
        return self.policy_for(principal).kpi_keys(principal)


# Validation ---------------------------------------------------------------------


def validate_permissions(
    names: Iterable[str], registry: PermissionRegistry | None = None
) -> frozenset[str]:
    """The names as a frozenset; UnknownPermissionError for one not in the catalogue."""
    return (registry or default_registry).validate(names)


def _scope_of(uow: UnitOfWork, tenant_id: int, scope_id: int, path: str | None) -> ScopeNode:
    node = uow.scopes.get(tenant_id, scope_id) if isinstance(scope_id, int) else None
    if node is None:
        raise UnknownScopeError()
    if path is not None and path != node.path:
        raise InvalidInputError.for_field("scope", "The scope path does not match the scope.")
    return node


def validate_grant(uow: UnitOfWork, grant: Grant) -> ScopeNode:
    """Check a grant before it is stored; returns its scope node.

    Raises:
        InvalidInputError: it names both or neither of a user and a group, or
            its path is not its scope's.
        UnknownScopeError: its scope is not a node of the grant's tenant.
        NotFoundError: its role, user or group is not in the grant's tenant.
    """
    tid = grant.tenant_id
    if (grant.user_id is None) == (grant.group_id is None):
        raise InvalidInputError.for_field("holder", "A grant is held by one user or one group.")
    node = _scope_of(uow, tid, grant.scope_id, grant.scope_path or None)
    if uow.roles.get(tid, grant.role_id) is None:
        raise NotFoundError(Msg("role.unknown"))
    if grant.user_id is not None and uow.users.get(tid, grant.user_id) is None:
        raise NotFoundError("Unknown user.")
    if grant.group_id is not None and uow.groups.get(tid, grant.group_id) is None:
        raise NotFoundError(Msg("group.unknown"))
    return node


def validate_membership(uow: UnitOfWork, membership: Membership) -> None:
    """Check that a membership joins a user and a group of the same tenant."""
    tid = membership.tenant_id
    if uow.users.get(tid, membership.user_id) is None:
        raise NotFoundError("Unknown user.")
    if uow.groups.get(tid, membership.group_id) is None:
        raise NotFoundError(Msg("group.unknown"))


def validate_scoped(
    uow: UnitOfWork, tenant_id: int, scope_id: int | None, path: str | None = None
) -> ScopeNode:
    """Check that a record (asset, document, job) has a scope of this tenant.

    Raises:
        InvalidInputError: no scope was given (field ``scope``).
        UnknownScopeError: the scope is not a node of this tenant.
    """
    if scope_id is None or (path is not None and not path):
        raise InvalidInputError.for_field("scope", "A scope is required.")
    return _scope_of(uow, tenant_id, scope_id, path)


def validate_settings(
    uow: UnitOfWork,
    tenant_id: int,
    settings: TenantSettings,
    registry: PermissionRegistry | None = None,
) -> None:
    """Check a tenant's policy settings before they are stored.

    Raises:
        UnknownScopeError: a served organization is not an organization of
            this tenant.
        ConfigurationError: no login is required but there is no active guest
            user of this tenant; or a switched-off feature key is unknown
            (declare host switches with ``perms.catalogue(..., features=[...])``).
        InvalidInputError: the sender address, portal name or mail language
            cannot go into an email's headers (``fields`` names them).
    """
    check_mail_settings(settings)
    registry = registry or default_registry
    served = settings.served_organization_ids
    if served:
        nodes = uow.scopes.get_many(tenant_id, sorted(served))
        if len(nodes) != len(served) or any(n.parent_id is not None for n in nodes):
            raise UnknownScopeError("A served organization is not an organization of this portal.")
    if settings.guest_user_id is not None or not settings.login_required:
        guest = (
            uow.users.get(tenant_id, settings.guest_user_id)
            if settings.guest_user_id is not None
            else None
        )
        if not settings.login_required and (guest is None or not guest.is_active):
            raise ConfigurationError(
                "A portal without login needs an active guest user of this portal."
            )
        if settings.guest_user_id is not None and guest is None:
            raise ConfigurationError("The guest user is not a user of this portal.")
    unknown = sorted(settings.disabled_features - registry.features())
    if unknown:
        raise ConfigurationError(f"Unknown feature keys: {', '.join(unknown)}.")


def check_tenant(
    uow: UnitOfWork, tenant_id: int, registry: PermissionRegistry | None = None
) -> list[str]:
    """Every stored row that cannot take effect, in words (empty when all is well)."""
    policy = load_tenant_policy(uow, tenant_id, registry=registry)
    return list(policy.problems)
