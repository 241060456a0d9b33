"""Customer self-administration: an organization's own administrator manages its people.

A customer user holding ``people.manage`` (:data:`portalkit.perms.PEOPLE_MANAGE`)
manages, within the scope paths where the policy allows it that permission
(their *reach*):

* **who**: the portal users with a grant of their own in the reach (staff
  users, the tenant's guest user and other organizations' users never), with their access in the
  reach and when they last signed in (:meth:`PeopleService.list`);
* **invite**: through the one invitation flow (:class:`InvitationService
  <portalkit._services.invitations.InvitationService>`), at a scope in the reach;
* **change a role**, **remove access** at a scope, **disable and enable**.

Never above themselves: every grant they give, change or remove, and (to
disable or enable) every grant and group the colleague holds, must pass the
no-escalation rule of invitations (:func:`~portalkit._services.account_flow.may_give`):
every permission of it allowed to the actor at its scope. Nobody touches their
own access, so whoever makes a change is still an administrator where it
applies, and an organization is never left without one. That holds under
concurrency too: each change locks the actor's and the colleague's user rows
(in id order) before it reads the actor's policy, so of two administrators
demoting each other at once the second finds it is no longer one.

Unknown ids, ids of other organizations' users or grants, staff and group
grants all give the same :class:`~portalkit.errors.NotFoundError`. Every change
is audited (``people.*``) and mailed to the colleague in the tenant's language,
with the change, in one transaction.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from portalkit._services.account_flow import Access, add_grant, may_give
from portalkit._services.audit import DENIED, SUCCESS, record, record_now
from portalkit._services.invitation_access import ESCALATION_MESSAGE
from portalkit._services.invitation_types import Contact, SendOutcome
from portalkit._services.invitations import InvitationService
from portalkit._services.mail_composer import MailComposer
from portalkit._services.mail_queue import MailQueue
from portalkit._services.policy import load_policy
from portalkit._services.stamps import set_user_active
from portalkit.domain.filters import Eq, In, ScopeUnder, all_of, any_of
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Grant, Principal, PrincipalKind, Role, User
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.tenants import Tenant
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portalkit.perms import PEOPLE_MANAGE, PermissionRegistry
from portalkit.ports import Clock, Storage, UnitOfWork

__all__ = ["Colleague", "ColleagueAccess", "PeopleService"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class ColleagueAccess:
    """One grant of a colleague inside the administrator's reach.

    Attributes:
        grant_id: Pass to :meth:`PeopleService.change_role` / :meth:`~PeopleService.remove_access`.
        role: The role's name.
        scope_id, scope_name, scope_path: Where it applies (and below).
    """

    grant_id: int
    role: str
    scope_id: int
    scope_name: str
    scope_path: str


@attrs.frozen(kw_only=True)
class Colleague:
    """A portal user of the administrator's organization, as a "People" page shows them.

    Attributes:
        id: The user's id (pass to :meth:`PeopleService.disable` / ``enable``).
        email, name: Who.
        is_active: False once disabled.
        last_sign_in: The last successful sign-in (from the audit trail), or None.
        access: Their grants inside the administrator's reach; grants elsewhere
            are not shown.
        is_you: The administrator themself (whose access they cannot change).
    """

    id: int
    email: str
    name: str
    is_active: bool
    last_sign_in: dt.datetime | None
    access: tuple[ColleagueAccess, ...]
    is_you: bool = False


def _within(path: str, reach: Sequence[str]) -> bool:
    return any(path.startswith(p) for p in reach)


def _in_reach(reach: Sequence[str]) -> Any:
    return any_of(*(ScopeUnder(p) for p in reach))


@attrs.frozen
class _Change:
    """What one change did, for its audit entry and its email."""

    action: str
    user: User
    mail: str
    scope_path: str | None = None
    params: Mapping[str, str] = attrs.Factory(dict)


class PeopleService:
    """Customer self-administration (see the module docstring); ``req.people`` for a request.

    Built by the portal; do not construct it.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Clock,
        mail: MailComposer,
        mail_queue: MailQueue,
        invitations: InvitationService,
        registry: PermissionRegistry | None = None,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._mail = mail
        self._queue = mail_queue
        self._invitations = invitations
        self._registry = registry

    # Reading ---------------------------------------------------------------
    def _reach(
        self,
        uow: UnitOfWork,
        actor: Principal,
        tenant: Tenant | None = None,
        *,
        policy: Policy | None = None,
    ) -> list[str]:
        """Where *actor* manages people now; PermissionDeniedError when nowhere."""
        if actor.kind is not PrincipalKind.USER or actor.user_id is None:
            raise PermissionDeniedError()
        if policy is None:
            policy = load_policy(uow, actor, registry=self._registry, tenant=tenant)
        reach = policy.granted_paths(actor, PEOPLE_MANAGE)
        if not reach:
            raise PermissionDeniedError()
        return reach

    def list(self, actor: Principal) -> builtins.list[Colleague]:
        """The portal users with a grant in the actor's reach, by name (the actor included).

        Raises:
            PermissionDeniedError: The actor may not manage people anywhere.
        """
        tid = actor.tenant_id
        with self._storage.unit_of_work(read_only=True) as uow:
            reach = self._reach(uow, actor)
            tenant = uow.tenants.get(tid)
            guest = tenant.settings.guest_user_id if tenant is not None else None
            grants = [
                g for g in uow.grants.find(tid, _in_reach(reach), order_by=("id",))
                if g.user_id is not None
            ]
            user_ids = sorted({g.user_id for g in grants if g.user_id is not None})
            users = [
                u for u in (uow.users.find(tid, In("id", user_ids)) if user_ids else [])
                if not u.is_staff and u.id != guest  # staff's, and the anonymous visitors'
            ]
            roles = self._roles(uow, tid, {g.role_id for g in grants})
            nodes = {
                n.id: n for n in uow.scopes.get_many(tid, sorted({g.scope_id for g in grants}))
            }
            last = {u.id: self._last_sign_in(uow, tid, u.id) for u in users}
        by_user: dict[int, builtins.list[ColleagueAccess]] = {}
        for g in grants:
            role, node = roles.get(g.role_id), nodes.get(g.scope_id)
            if g.user_id is None or role is None or node is None:
                continue
            by_user.setdefault(g.user_id, []).append(ColleagueAccess(
                grant_id=g.id, role=role.name, scope_id=node.id, scope_name=node.name,
                scope_path=g.scope_path,
            ))
        return sorted(
            (
                Colleague(
                    id=u.id, email=u.email, name=u.name, is_active=u.is_active,
                    last_sign_in=last[u.id], access=tuple(by_user.get(u.id, ())),
                    is_you=u.id == actor.user_id,
                )
                for u in users
            ),
            key=lambda c: (c.name.casefold(), c.id),
        )

    def assignable_roles(self, actor: Principal, scope_id: int) -> builtins.list[Role]:
        """The tenant's roles the actor may give at *scope_id* (by name): what a role menu offers.

        Raises:
            PermissionDeniedError: The actor may not manage people anywhere.
            InvalidInputError: Not a scope in the actor's reach (``fields``: ``scope``).
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = load_policy(uow, actor, registry=self._registry)
            node = self._scope_in_reach(uow, actor, self._reach(uow, actor, policy=policy),
                                        scope_id)
            return [
                role for role in uow.roles.find(actor.tenant_id, order_by=("name",))
                if may_give(uow, actor, Access(grants=((role, node),)), registry=self._registry,
                            policy=policy)
            ]

    def _last_sign_in(self, uow: UnitOfWork, tenant_id: int, user_id: int) -> dt.datetime | None:
        found = uow.audit.find(
            tenant_id,
            all_of(Eq("actor_user_id", user_id), Eq("action", "login"), Eq("outcome", SUCCESS)),
            order_by=("-id",),
            limit=1,
        )
        return found[0].at if found else None

    @staticmethod
    def _roles(uow: UnitOfWork, tenant_id: int, ids: set[int]) -> dict[int, Role]:
        return {r.id: r for r in uow.roles.find(tenant_id, In("id", sorted(ids)))} if ids else {}

    @staticmethod
    def _scope_in_reach(
        uow: UnitOfWork, actor: Principal, reach: Sequence[str], scope_id: int
    ) -> ScopeNode:
        node = uow.scopes.get(actor.tenant_id, scope_id)
        if node is None or not _within(node.path, reach):  # "not yours" and "not there" alike
            raise InvalidInputError.for_field("scope", "Unknown scope.")
        return node

    # Inviting --------------------------------------------------------------
    def invite(
        self,
        actor: Principal,
        contact: Contact | Mapping[str, Any],
        *,
        scope_id: int,
        role: str,
        group: str | None = None,
    ) -> SendOutcome:
        """Invite a colleague to *role* at *scope_id* (in the reach) through the invitation flow.

        The invitation flow's rules all apply: the no-escalation check (and
        its audit), the email, acceptance.

        Raises:
            PermissionDeniedError: The actor may not manage people, or the role
                (or group) gives more than the actor holds there.
            InvalidInputError: Not a scope in the reach; a bad contact or role.
            ConflictError: The address already belongs to a portal user.
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            self._scope_in_reach(uow, actor, self._reach(uow, actor), scope_id)
        return self._invitations.send_one(
            actor, contact, scope_id=scope_id, role=role, group=group
        )

    # Changing --------------------------------------------------------------
    def change_role(self, actor: Principal, grant_id: int, role: str) -> Grant:
        """Give a colleague *role* instead of the role of grant *grant_id* (same scope).

        The old grant is removed and a new one stored (its id is returned).
        The actor must be able to give both the old role and the new one there.

        Raises:
            NotFoundError: No such grant of a colleague in the reach.
            PermissionDeniedError: The actor's own grant; a role (old or new)
                above the actor's.
            InvalidInputError: Unknown role (``fields``: ``role``).
        """
        made: builtins.list[Grant] = []

        def change(uow: UnitOfWork, user: User, reach: Sequence[str]) -> _Change:
            grant, old, node = self._grant(uow, user, grant_id, reach)
            new = uow.roles.get_by_name(actor.tenant_id, role) if isinstance(role, str) else None
            if new is None:
                raise InvalidInputError.for_field("role", Msg("role.unknown"))
            self._may_give(uow, actor, Access(grants=((old, node),)), beyond=True)
            self._may_give(uow, actor, Access(grants=((new, node),)))
            uow.grants.delete(actor.tenant_id, grant.id)
            made.append(add_grant(uow, actor.tenant_id, new, node, user_id=user.id))
            return _Change("people.role_change", user, "people_role_changed", node.path,
                           {"role": new.name, "scope": node.name, "was": old.name})

        self._change(actor, self._holder(grant_id), change)
        return made[0]

    def remove_access(self, actor: Principal, grant_id: int) -> None:
        """Remove a colleague's grant *grant_id* (their access at that scope).

        Raises:
            NotFoundError: No such grant of a colleague in the reach.
            PermissionDeniedError: The actor's own grant; a role above the actor's.
        """

        def remove(uow: UnitOfWork, user: User, reach: Sequence[str]) -> _Change:
            grant, old, node = self._grant(uow, user, grant_id, reach)
            self._may_give(uow, actor, Access(grants=((old, node),)), beyond=True)
            uow.grants.delete(actor.tenant_id, grant.id)
            return _Change("people.access_remove", user, "people_access_removed", node.path,
                           {"role": old.name, "scope": node.name})

        self._change(actor, self._holder(grant_id), remove)

    def disable(self, actor: Principal, user_id: int) -> None:
        """Disable a colleague: their sessions end and their codes and links stop working.

        Every grant and group of the colleague must be in the actor's reach
        and within what the actor could give.

        Raises:
            NotFoundError: Not a colleague in the reach.
            PermissionDeniedError: The actor themself; access beyond the actor's.
        """
        self._change(actor, user_id, self._switch(actor, active=False))

    def enable(self, actor: Principal, user_id: int) -> None:
        """Enable a disabled colleague again (the same rules as :meth:`disable`)."""
        self._change(actor, user_id, self._switch(actor, active=True))

    def _switch(
        self, actor: Principal, *, active: bool
    ) -> Callable[[UnitOfWork, User, Sequence[str]], _Change]:
        def switch(uow: UnitOfWork, user: User, reach: Sequence[str]) -> _Change:
            tid = actor.tenant_id
            grants = uow.grants.find(tid, Eq("user_id", user.id))
            if not all(_within(g.scope_path, reach) for g in grants):
                raise _Refused("beyond_reach", PermissionDeniedError(Msg("people.beyond_reach")))
            roles = self._roles(uow, tid, {g.role_id for g in grants})
            nodes = {n.id: n for n in uow.scopes.get_many(tid, [g.scope_id for g in grants])}
            groups = [
                group for m in uow.memberships.find(tid, Eq("user_id", user.id))
                if (group := uow.groups.get(tid, m.group_id)) is not None
            ]
            self._may_give(uow, actor, Access(
                grants=tuple(
                    (roles[g.role_id], nodes[g.scope_id])
                    for g in grants if g.role_id in roles and g.scope_id in nodes
                ),
                groups=tuple(groups),
            ), beyond=True)
            changed = set_user_active(uow, user, active)
            kind = "enabled" if active else "disabled"
            return _Change(f"people.{'enable' if active else 'disable'}", changed,
                           f"people_{kind}", grants[0].scope_path if grants else None)

        return switch

    def _holder(self, grant_id: int) -> Callable[[UnitOfWork, Principal], int | None]:
        """The user holding grant *grant_id* (read before locking; checked again after)."""

        def holder(uow: UnitOfWork, actor: Principal) -> int | None:
            grant = uow.grants.get(actor.tenant_id, grant_id)
            return None if grant is None else grant.user_id

        return holder

    def _grant(
        self, uow: UnitOfWork, user: User, grant_id: int, reach: Sequence[str]
    ) -> tuple[Grant, Role, ScopeNode]:
        grant = uow.grants.get(user.tenant_id, grant_id)
        if grant is None or grant.user_id != user.id or not _within(grant.scope_path, reach):
            raise NotFoundError()
        role = uow.roles.get(user.tenant_id, grant.role_id)
        node = uow.scopes.get(user.tenant_id, grant.scope_id)
        if role is None or node is None:
            raise NotFoundError()
        return grant, role, node

    def _may_give(
        self, uow: UnitOfWork, actor: Principal, access: Access, *, beyond: bool = False
    ) -> None:
        """Refuse unless *actor* could give *access*: as a role to give (escalation), or
        (*beyond*) as what a colleague holds already, which is then theirs to leave alone."""
        if may_give(uow, actor, access, registry=self._registry):
            return
        if beyond:
            raise _Refused("beyond_reach", PermissionDeniedError(Msg("people.beyond_reach")))
        raise _Refused("escalation", PermissionDeniedError(ESCALATION_MESSAGE))

    # The one write path ----------------------------------------------------
    def _change(
        self,
        actor: Principal,
        target: int | Callable[[UnitOfWork, Principal], int | None],
        change: Callable[[UnitOfWork, User, Sequence[str]], _Change],
    ) -> None:
        """Lock, check, change, audit and mail: one transaction; refusals audited after it."""
        tid = actor.tenant_id
        try:
            with self._storage.unit_of_work() as uow:
                tenant = uow.tenants.get(tid)
                if tenant is None:
                    raise NotFoundError()
                self._mail.ready(tenant)
                if actor.kind is not PrincipalKind.USER or actor.user_id is None:
                    raise PermissionDeniedError()
                user_id = target(uow, actor) if callable(target) else target
                if user_id == actor.user_id:
                    raise _Refused("self", PermissionDeniedError(Msg("people.self")))
                if not isinstance(user_id, int) or isinstance(user_id, bool):
                    raise NotFoundError()
                # Lock first, then read the actor's policy: a concurrent change
                # to either user has committed by now, and is seen.
                locked = {u.id: u for u in uow.users.lock(tid, sorted({actor.user_id, user_id}))}
                reach = self._reach(uow, actor, tenant)
                user = locked.get(user_id)
                mine = uow.grants.find(tid, all_of(Eq("user_id", user_id), _in_reach(reach)))
                if (user is None or user.is_staff or not mine
                        or user.id == tenant.settings.guest_user_id):
                    raise NotFoundError()  # unknown, staff, guest, other organizations' alike
                # Its author is untouched, so still an administrator where it applies.
                done = change(uow, user, reach)
                record(uow, self._clock, tenant_id=tid, action=done.action, actor=actor,
                       target=f"user:{user_id}", scope_path=done.scope_path,
                       detail={"via": "people", **done.params})
                me = locked[actor.user_id]
                message = self._mail.notice(
                    tenant, done.mail, to=done.user.email, to_name=done.user.name,
                    by=me.name, **done.params,
                )
                self._queue.enqueue(uow, tid, message)
                uow.commit()
        except _Refused as refused:
            record_now(self._storage, self._clock, tenant_id=tid, action="people.change",
                       outcome=DENIED, actor=actor, detail={"reason": refused.reason})
            raise refused.error from None
        self._queue.notify()


class _Refused(Exception):
    """A refusal to audit once the change's unit has rolled back, then raise."""

    def __init__(self, reason: str, error: PermissionDeniedError) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
