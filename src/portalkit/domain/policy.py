"""The access policy: who may do what, where. Deny by default.

A :class:`Policy` is compiled once from a tenant's rows (users, roles, groups,
memberships, grants, organizations and :class:`~portalkit.domain.tenants.TenantSettings`)
and then answers questions without I/O:

- :meth:`Policy.decide` (is this principal allowed this action on this
  resource?) with a machine-readable :class:`Reason`; :meth:`Policy.explain`
  says the same for humans.
- :meth:`Policy.filter_for`: the same rule as a filter specification, so lists
  are filtered inside the database (``repository.find(tenant_id, spec)``).
- :meth:`Policy.sections`: the asset page's sections (seed 000).
- Account switching: :meth:`Policy.organizations`, :meth:`Policy.narrow` and
  :meth:`Policy.switch_for` (a deep link into another of the user's
  organizations switches to it instead of failing).

The rule. A principal is allowed *action* on a resource of the tenant whose
scope path is *P* exactly when all of these hold:

1. the portal is enabled and licensed;
2. *action* is in the permission catalogue and none of the feature keys of it
   and its requirements is in ``disabled_features``;
3. the principal is a user (or a guest while no login is required, who acts as
   ``guest_user_id``), and that user exists and is active;
4. *P*'s organization is served (``served_organization_ids``), and lies in the
   principal's active organization if it is narrowed to one;
5. a grant held by the user, directly or through a group, gives a role holding
   *action* at *P* or an ancestor of *P*; and for every requirement of *action*
   such a grant exists for the requirement too.

Otherwise the decision is a denial whose reason is the first failed condition
in :class:`Reason`'s order.

How it is fast. At compile time each user's grants (already intersected with
the requirements, restricted to served organizations and switched-on features)
become one flat tuple of ``(granted path, action mask, decision)`` entries,
allowed ones first; the decisions are shared, preallocated :class:`Decision`
objects and the masks are shared between users. Deciding indexes that tuple by
user id (a list when the ids are dense, else a dict), looks up the action's bit
and scans one or two entries with ``&`` and ``str.startswith``: a decision
reads little memory besides the user's own tuple, so it stays nearly as fast
with 100,000 users as with 1,000. The denial reasons are worked out only when
the scan finds nothing.

Where the parts live. This module is the decision engine; the public names
below are importable from here and are defined beside it: the vocabulary
(:class:`Reason`, :class:`Decision`, :class:`Resource`, :class:`Target`) in
``_policy_decisions``, compiling the rows into entries in ``_policy_compile``,
page layout (:class:`Section`, :data:`ASSET_PAGE`, :class:`Sections`) in
``_policy_pages`` and account switching in ``_policy_accounts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from portalkit.domain import _policy_accounts
from portalkit.domain._policy_compile import (
    _LONG_ENTRIES,
    _REQUIREMENT_MISSING,
    _enabled,
    _Entries,
    _entries,
    _granted,
    _group_tables,
    _Paths,
    _role_actions,
    _Rows,
    _with_requirements,
)
from portalkit.domain._policy_decisions import (
    _DENIALS,
    _PATH_RE,
    Decision,
    Reason,
    Resource,
    Target,
    _ancestors,
    _minimal,
)
from portalkit.domain._policy_pages import (
    ASSET_PAGE,
    NoAccess,
    Section,
    SectionAccess,
    Sections,
    page_sections,
)
from portalkit.domain.filters import Filter, ScopeUnder, any_of
from portalkit.domain.principals import (
    Grant,
    Group,
    Membership,
    Principal,
    PrincipalKind,
    Role,
    User,
    _plain_user_id,  # the one rule for user ids, shared with Principal
)
from portalkit.domain.scopes import ScopeNode, organization_id, organization_path
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import PermissionDeniedError
from portalkit.perms import (
    KPI_VIEW,
    PermissionRegistry,
    default_registry,
)

__all__ = [
    "ASSET_PAGE",
    "Decision",
    "NoAccess",
    "Policy",
    "Reason",
    "Resource",
    "Section",
    "SectionAccess",
    "Sections",
    "Target",
    "organization_id",
]

#: Above this many compiled entries for one user, decide walks ancestors.
_SCAN_LIMIT = 8
#: Most scope paths whose check one policy remembers.
_PATH_CACHE_LIMIT = 100_000

_USER = PrincipalKind.USER
_GUEST = PrincipalKind.GUEST
_NO_GRANT = _DENIALS[Reason.NO_GRANT]


class Policy:
    """A tenant's compiled access policy (immutable once built).

    Build it with :meth:`build`; services load the rows it needs with
    :func:`portalkit._services.policy.load_policy`. It is safe to share between
    threads.

    Attributes:
        tenant_id: The tenant it decides for.
        settings: The tenant settings it was compiled with.
        registry: The permission catalogue it was compiled with.
        problems: Rows that were ignored because they cannot take effect
            (unknown permissions or roles, scopes outside the tenant …).
    """

    def __init__(
        self,
        *,
        tenant_id: int,
        settings: TenantSettings,
        registry: PermissionRegistry,
        active: dict[int, bool],
        effective: dict[int, dict[str, _Paths]],
        groups_of: dict[int, tuple[int, ...]],
        kpi_keys: dict[int, frozenset[str]],
        problems: tuple[str, ...],
    ) -> None:
        self.tenant_id = tenant_id
        self.settings = settings
        self.registry = registry
        self.problems = problems
        self._active = active
        self._groups_of = groups_of
        self._kpi_keys = kpi_keys
        self._served_ids = settings.served_organization_ids
        self._served: dict[str, bool] = {}
        self._guest_uid = None if settings.login_required else settings.guest_user_id
        self._gate: Decision | None = None
        if not settings.portal_enabled:
            self._gate = _DENIALS[Reason.PORTAL_DISABLED]
        elif not settings.licensed:
            self._gate = _DENIALS[Reason.NOT_LICENSED]
        self._known = registry.names()
        self._enabled = _enabled(registry, settings)
        self._requirements = {
            name: reqs for name in self._known if (reqs := registry.requirements(name))
        }
        self._bits = {action: 2**i for i, action in enumerate(sorted(self._enabled))}
        masks: dict[int, int] = {}
        self._hot: dict[int, _Entries] = {}
        self._long: dict[int, dict[str, _Paths]] = {}
        for uid, by_action in effective.items():
            entries = _entries(by_action, self._bits, masks)
            if not entries:
                continue  # nothing granted: _denial tells why
            if len(entries) > 3 * _SCAN_LIMIT:
                self._long[uid] = by_action
                entries = _LONG_ENTRIES
            self._hot[uid] = entries
        self._orgs: dict[int, tuple[str, ...]] = {}
        self._filters: dict[tuple[Principal, str, str], Filter] = {}

    # Building ----------------------------------------------------------------
    @classmethod
    def build(
        cls,
        *,
        tenant_id: int,
        settings: TenantSettings,
        users: Iterable[User],
        roles: Iterable[Role],
        grants: Iterable[Grant],
        organizations: Iterable[ScopeNode],
        groups: Iterable[Group] = (),
        memberships: Iterable[Membership] = (),
        registry: PermissionRegistry | None = None,
    ) -> Policy:
        """Compile a policy from a tenant's rows.

        Rows of other tenants are ignored, and so is everything that cannot
        allow anything: grants whose scope is not one of *organizations* (the
        tenant's organization nodes, at least those the grants are in) or is
        not served, role permissions not in the catalogue, memberships of
        unknown groups. Each ignored row is listed in :attr:`problems`; the
        services' validation refuses them at configuration time.
        """
        registry = registry or default_registry
        served_ids = settings.served_organization_ids
        rows = _Rows(
            tenant_id=tenant_id,
            settings=settings,
            registry=registry,
            active={u.id: u.is_active for u in users if u.tenant_id == tenant_id},
            enabled=_enabled(registry, settings),
            org_paths=frozenset(
                n.path
                for n in organizations
                if n.tenant_id == tenant_id
                and n.parent_id is None
                and (served_ids is None or n.id in served_ids)
            ),
        )
        kpi, members, groups_of = _group_tables(rows, groups, memberships)
        effective: dict[int, dict[str, _Paths]] = {}
        if settings.portal_enabled and settings.licensed:
            raw = _granted(rows, grants, _role_actions(rows, roles), members)
            requirements = {
                n: reqs for n in rows.enabled if (reqs := registry.requirements(n))
            }
            effective = _with_requirements(raw, requirements)
        return cls(
            tenant_id=tenant_id,
            settings=settings,
            registry=registry,
            active=rows.active,
            effective=effective,
            groups_of=groups_of,
            kpi_keys=kpi,
            problems=tuple(rows.problems),
        )

    # Deciding ----------------------------------------------------------------
    def decide(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """Whether *principal* may take *action* on *resource*; deny by default.

        Returns a shared, immutable :class:`Decision`; see the module docstring
        for the rule and :class:`Reason` for the order in which denials are told.
        """
        # The common case, answered from the user's compiled entries: every
        # condition that can deny is checked here or was folded into them (only
        # active users of an open portal have entries, only enabled actions have
        # bits, only served organizations are granted). Anything else, including
        # a resource that is not one, goes to _denial, which checks each
        # condition in order and tells why.
        tid = self.tenant_id
        if principal.tenant_id != tid or getattr(resource, "tenant_id", None) != tid:
            return _DENIALS[Reason.OTHER_TENANT]  # the first reason _denial checks
        bit = self._bits.get(action)
        path = getattr(resource, "scope_path", None)
        if bit is None or not isinstance(path, str):
            return self._denial(principal, action, resource)
        org = principal.active_organization
        if org is not None and not path.startswith(org):
            return self._denial(principal, action, resource)
        kind = principal.kind
        uid = principal.user_id if kind is _USER else self._guest_uid if kind is _GUEST else None
        entries = self._hot.get(uid) if type(uid) is int else self._entries_of(uid)
        if entries is None:
            return self._denial(principal, action, resource)
        if entries is _LONG_ENTRIES:
            return self._walk(principal, action, resource) or self._denial(
                principal, action, resource
            )
        # Allowed entries come first (see _entries): the first that answers decides.
        decision: Decision = _NO_GRANT
        for i in range(0, len(entries), 3):
            if entries[i + 1] & bit and path.startswith(entries[i]):
                decision = entries[i + 2]
                break
        # On a well-formed path of a served organization no earlier reason can
        # apply, so a denial is answered here too. Sending every denial to _denial
        # instead measured a mean of 2.8 µs per decision against 1.2 µs
        # (bench/policy.py --quick, random questions, half denied; target <= 2 µs).
        served = self._served.get(path)
        if served is None:
            served = self._served_path(path)
        if served:
            return decision
        return self._denial(principal, action, resource)

    def _served_path(self, path: str) -> bool:
        """Whether *path* is a well-formed path in a served organization.

        Remembered in ``_served`` (at most :data:`_PATH_CACHE_LIMIT` paths), which
        :meth:`decide` reads first: a page asks about one place once per section,
        and the regular expression costs about as much as the rest of a decision
        (0.5 to 0.8 µs against 0.1 µs for the lookup).
        """
        ok = _PATH_RE.match(path) is not None and (
            self._served_ids is None or organization_id(path) in self._served_ids
        )
        if len(self._served) >= _PATH_CACHE_LIMIT:
            self._served.clear()
        self._served[path] = ok
        return ok

    def _entries_of(self, uid: object) -> _Entries | None:
        """A user's compiled entries; None for an id that is not a plain int (a bool …)."""
        user_id = _plain_user_id(uid)
        if user_id is None:
            return None
        return self._hot.get(user_id)

    def _paths_of(self, uid: int, action: str) -> Mapping[str, Decision]:
        """{granted path: decision} of one (user, action); empty if none."""
        entries = self._hot.get(uid)
        bit = self._bits.get(action)
        if entries is None or bit is None:
            return {}
        if entries is _LONG_ENTRIES:
            return self._long[uid].get(action, {})
        return {
            entries[i]: entries[i + 2] for i in range(0, len(entries), 3) if entries[i + 1] & bit
        }

    def _walk(self, principal: Principal, action: str, resource: Resource) -> Decision | None:
        """Decide for a (user, action) with many granted paths: look up each ancestor.

        None when nothing allows it there: :meth:`_denial` tells why.
        """
        uid = self._user_of(principal)
        if not isinstance(uid, int):
            return None
        # A malformed or unserved path has no ancestor with a compiled grant.
        paths = self._paths_of(uid, action)
        for p in _ancestors(resource.scope_path):
            d = paths.get(p)
            if d is not None and d.allowed:
                return d
        return None

    def _user_of(self, principal: Principal) -> int | Reason:
        """The user whose grants apply, or the reason there is none."""
        if principal.kind is _USER:
            uid = principal.user_id
        elif principal.kind is _GUEST:
            if self._guest_uid is None:
                return Reason.LOGIN_REQUIRED
            uid = self._guest_uid
        else:
            return Reason.NOT_A_USER
        uid = _plain_user_id(uid)
        if uid is None:
            return Reason.NOT_A_USER
        active = self._active.get(uid)
        if active is None:
            return Reason.UNKNOWN_USER
        if not active:
            return Reason.USER_DISABLED
        return uid

    def _denial(self, principal: Principal, action: str, resource: object) -> Decision:
        """Why no compiled grant allows it, checked in :class:`Reason` order from the
        second on (:meth:`decide` answers another tenant's principal or resource)."""
        if self._gate is not None:
            return self._gate
        if action not in self._known:
            return _DENIALS[Reason.UNKNOWN_ACTION]
        if action not in self._enabled:
            return _DENIALS[Reason.FEATURE_DISABLED]
        uid = self._user_of(principal)
        if isinstance(uid, Reason):
            return _DENIALS[uid]
        path = getattr(resource, "scope_path", None)
        ancestors = _ancestors(path)
        if not ancestors or not isinstance(path, str):
            return _DENIALS[Reason.NO_SCOPE]
        if self._served_ids is not None and organization_id(path) not in self._served_ids:
            return _DENIALS[Reason.ORGANIZATION_NOT_SERVED]
        org = principal.active_organization
        if org is not None and not path.startswith(org):
            return _DENIALS[Reason.OTHER_ORGANIZATION]
        paths = self._paths_of(uid, action)
        if any(paths.get(p) is _REQUIREMENT_MISSING for p in ancestors):
            return _REQUIREMENT_MISSING
        return _NO_GRANT

    def is_allowed(self, principal: Principal, action: str, resource: Resource) -> bool:
        """Shorthand for ``decide(...).allowed``."""
        return self.decide(principal, action, resource).allowed

    def require(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """The allowed decision, or raise :class:`~portalkit.errors.PermissionDeniedError`."""
        decision = self.decide(principal, action, resource)
        if not decision.allowed:
            raise PermissionDeniedError()
        return decision

    def explain(self, principal: Principal, action: str, resource: Resource) -> str:
        """The decision in words, for staff and developers (not for customers).

        This tells the scope rules only. For documents, ``portal.policy.explain()``
        tells the document rules (drafts, approval, switched-off kinds) first.
        """
        decision = self.decide(principal, action, resource)
        path = getattr(resource, "scope_path", None)
        # Only the reasons of a user or a guest name who was asked about.
        who = (
            f"the guest (user {self.settings.guest_user_id})" if principal.kind is _GUEST
            else f"user {principal.user_id}"
        )
        if decision.allowed:
            via = (
                f"through group {decision.group_id}" if decision.group_id is not None
                else "directly"
            )
            text = (
                f"Allowed: {who} holds role {decision.role!r} {via} (grant {decision.grant_id}) "
                f"at {decision.scope_path}, which covers {path}; the role includes {action!r}."
            )
            reqs = self._requirements.get(action)
            if reqs:
                text += f" The requirements {sorted(reqs)} are held there too."
            return text
        return f"Denied ({decision.reason.value}): " + self._why(
            decision.reason, who, action, path, principal
        )

    def _why(
        self, reason: Reason, who: str, action: str, path: object, principal: Principal
    ) -> str:
        if reason is Reason.REQUIREMENT_MISSING:
            reqs = sorted(self._requirements[action])
            return (
                f"{who} holds {action!r} at {path} or above, but {action!r} also needs "
                f"{reqs} at a scope covering it, which is not held."
            )
        if reason is Reason.FEATURE_DISABLED:
            keys = sorted(self.registry.features_of(action) & self.settings.disabled_features)
            return f"the feature {keys} of {action!r} is switched off for this portal."
        if reason is Reason.OTHER_ORGANIZATION:
            return (
                f"{who} is narrowed to organization {principal.active_organization}, "
                f"and {path} is outside it."
            )
        texts = {
            Reason.OTHER_TENANT: "the principal or the resource belongs to another tenant.",
            Reason.PORTAL_DISABLED: "the portal is switched off for this tenant.",
            Reason.NOT_LICENSED: "the portal is not licensed for this tenant.",
            Reason.UNKNOWN_ACTION: f"{action!r} is not in the permission catalogue.",
            Reason.LOGIN_REQUIRED: "a login is required (or no guest user is configured).",
            Reason.NOT_A_USER: "only users (and guests) hold grants.",
            Reason.UNKNOWN_USER: f"{who} is not a user of this tenant.",
            Reason.USER_DISABLED: f"{who} is disabled.",
            Reason.NO_SCOPE: "the resource has no valid scope.",
            Reason.ORGANIZATION_NOT_SERVED: "the portal does not serve this organization.",
            Reason.NO_GRANT: (
                f"no role held by {who} (directly or through a group) includes {action!r} "
                f"at {path} or any scope above it."
            ),
        }
        return texts[reason]

    # Lists -------------------------------------------------------------------
    def granted_paths(self, principal: Principal, action: str) -> list[str]:
        """The minimal set of scope paths under which *action* is allowed, sorted."""
        if principal.tenant_id != self.tenant_id or self._gate is not None:
            return []
        uid = self._user_of(principal)
        if isinstance(uid, Reason):
            return []
        paths = self._paths_of(uid, action)
        org = principal.active_organization
        return _minimal(
            p for p, d in paths.items() if d.allowed and (org is None or p.startswith(org))
        )

    def filter_for(
        self, principal: Principal, action: str, *, field: str = "scope_path"
    ) -> Filter:
        """The records of the tenant *principal* may take *action* on, as a filter.

        One :class:`~portalkit.domain.filters.ScopeUnder` per covering grant
        path (served organizations only, within the active organization if
        narrowed), OR-ed; :data:`~portalkit.domain.filters.FALSE` when nothing
        is allowed. Combine it with the repository's tenant id: for records of
        the tenant with valid paths, ``evaluate(spec, r)`` equals
        ``decide(principal, action, r).allowed``.
        """
        key = (principal, action, field)
        spec = self._filters.get(key)
        if spec is None:
            paths = self.granted_paths(principal, action)
            spec = any_of(*(ScopeUnder(p, field) for p in paths))  # nothing: FALSE
            self._filters[key] = spec  # the policy is immutable: so is each answer
        return spec

    # Pages -------------------------------------------------------------------
    def sections(
        self,
        principal: Principal,
        resource: Resource,
        page: Iterable[Section] = ASSET_PAGE,
    ) -> Sections | NoAccess:
        """The sections of *page* the principal may see for *resource*.

        A page on which no informational section is allowed (for the asset page:
        Identification, Outstanding Service Requests, Open and Pending Repairs)
        is :class:`NoAccess`, seed 000's "no permission" screen.
        """
        return page_sections(self.decide, principal, resource, page)

    def allowed_actions(self, principal: Principal, resource: Resource) -> frozenset[str]:
        """Every catalogue action *principal* may take on *resource*."""
        return frozenset(a for a in self._known if self.decide(principal, a, resource).allowed)

    # Accounts ----------------------------------------------------------------
    def organizations(self, principal: Principal) -> tuple[str, ...]:
        """The paths of the organizations the principal can act in, sorted.

        These are the served organizations where the principal's user holds any
        allowed action; an account switcher offers them. Narrowing does not
        shrink the list.
        """
        if principal.tenant_id != self.tenant_id or self._gate is not None:
            return ()
        uid = self._user_of(principal)
        if isinstance(uid, Reason):
            return ()
        found = self._orgs.get(uid)
        if found is None:
            orgs = {
                organization_path(p)
                for action in self._bits
                for p, d in self._paths_of(uid, action).items()
                if d.allowed
            }
            found = self._orgs[uid] = tuple(sorted(orgs))
        return found

    def organization_ids(self, principal: Principal) -> tuple[int, ...]:
        """The node ids of :meth:`organizations`, in the same order."""
        return tuple(organization_id(path) for path in self.organizations(principal))

    def narrow(self, principal: Principal, organization: str | int | ScopeNode | None) -> Principal:
        """The principal narrowed to one of its organizations (None: all of them).

        Raises:
            PermissionDeniedError: the principal cannot act in that organization.
        """
        return _policy_accounts.narrow(self, principal, organization)

    def switch_for(
        self, principal: Principal, action: str, resource: Resource
    ) -> Principal | None:
        """The principal to follow a deep link with, or None if it is not allowed.

        When *principal* is narrowed to one organization and *resource* lies in
        another organization where the action is allowed, the principal
        switched to that organization is returned instead of a denial.
        """
        return _policy_accounts.switch_for(self, principal, action, resource)

    def kpi_keys(self, principal: Principal) -> frozenset[str]:
        """The KPI/report tiles the principal may see (seed 001).

        The union of the ``kpi_keys`` of the user's groups, provided the user is
        allowed :data:`~portalkit.perms.KPI_VIEW` somewhere; use
        ``filter_for(principal, KPI_VIEW)`` to scope the figures.
        """
        if not self.granted_paths(principal, KPI_VIEW):
            return frozenset()
        uid = self._user_of(principal)
        if isinstance(uid, Reason):  # pragma: no cover - granted_paths returned nothing
            return frozenset()
        keys: set[str] = set()
        for gid in self._groups_of.get(uid, ()):
            keys |= self._kpi_keys[gid]  # groups_of holds known groups only
        return frozenset(keys)

    def groups_of(self, principal: Principal) -> tuple[int, ...]:
        """The ids of the groups the principal's user belongs to."""
        uid = self._user_of(principal)
        if isinstance(uid, Reason):
            return ()
        return self._groups_of.get(uid, ())


