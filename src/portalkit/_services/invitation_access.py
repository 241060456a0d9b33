"""Invitations: who may send, what an invitation gives, and the service's ports.

Part of :class:`~portalkit._services.invitations.InvitationService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import attrs

from portalkit._services.account_flow import Access, may_give
from portalkit._services.audit import DENIED, record
from portalkit._services.invitation_types import (
    DEFAULT_ACCOUNT_TEMPLATE,
    DEFAULT_INVITATION_TEMPLATE,
    english_date,
)
from portalkit._services.mail_composer import MailComposer
from portalkit._services.policy import load_policy
from portalkit.domain.events import AuditEntry
from portalkit.domain.i18n import Msg
from portalkit.domain.invitations import Invitation
from portalkit.domain.passwords import PasswordPolicy
from portalkit.domain.policy import Target
from portalkit.domain.principals import Principal, PrincipalKind, Role, User
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.templates import EmailTemplate, TemplateToken
from portalkit.domain.tenants import DEFAULT_SENDER, Tenant
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from portalkit.perms import PermissionRegistry
from portalkit.ports import Clock, Mailer, PasswordHasher, Storage, TokenSigner, UnitOfWork

#: The permission that allows sending invitations (``portalkit.perms.INVITATION_SEND``).
INVITATION_SEND = "invitation.send"

#: What a sender asking for access above their own is told (it names nothing).
ESCALATION_MESSAGE = (
    "You can only give the access you hold yourself: choose a role (and group) "
    "whose permissions you have at that scope."
)

#: ``check(uow, principal, permission, scope_path)``: may *principal* use
#: *permission* at *scope_path* (anywhere in the tenant when None)?
PermissionCheck = Callable[[UnitOfWork, Principal, str, "str | None"], bool]


def policy_allows(
    uow: UnitOfWork,
    principal: Principal,
    permission: str,
    scope_path: str | None,
    *,
    registry: PermissionRegistry | None = None,
) -> bool:
    """The default :data:`PermissionCheck`: the tenant's access policy decides.

    With a *scope_path*, the principal's grants (their own or their groups')
    must cover it; without one, any grant of *permission* anywhere will do.
    The policy's gates apply too: a portal switched off or unlicensed, an
    organization not served, a disabled user, a guest or share link.
    *registry* is the permission catalogue (the built-in one by default).
    """
    policy = load_policy(uow, principal, registry=registry)
    if scope_path is None:
        return bool(policy.granted_paths(principal, permission))
    target = Target(tenant_id=principal.tenant_id, scope_path=scope_path)
    return policy.is_allowed(principal, permission, target)


class _InvitationCore:
    """The ports and settings every invitation use case shares; who sends, what is given."""

    def __init__(
        self,
        storage: Storage,
        *,
        signer: TokenSigner,
        mailer: Mailer | None,
        clock: Clock,
        password_policy: PasswordPolicy,
        hasher: PasswordHasher,
        permission_check: PermissionCheck | None = None,
        registry: PermissionRegistry | None = None,
        validity: dt.timedelta = dt.timedelta(days=14),
        accept_path: str = "/invitations/accept",
        login_path: str = "/login",
        extra_tokens: Sequence[TemplateToken] = (),
        template: EmailTemplate = DEFAULT_INVITATION_TEMPLATE,
        account_template: EmailTemplate = DEFAULT_ACCOUNT_TEMPLATE,
        format_date: Callable[[dt.datetime], str] = english_date,
        chunk_size: int = 200,
        sender_email: str = DEFAULT_SENDER,
    ) -> None:
        if validity <= dt.timedelta(0):
            raise ConfigurationError("The invitation validity must be positive.")
        if chunk_size < 1:
            raise ConfigurationError("The chunk size must be at least 1.")
        for path in (accept_path, login_path):
            if not path.startswith("/") or "?" in path or "#" in path:
                raise ConfigurationError("Paths must start with / and have no query.")
        self._storage = storage
        self._signer = signer
        self._mail = MailComposer(mailer=mailer, clock=clock, sender_email=sender_email)
        self._clock = clock
        self._policy = password_policy
        self._hasher = hasher
        self._registry = registry
        self._allowed = permission_check or functools.partial(policy_allows, registry=registry)
        self._validity = validity
        self._accept_path = accept_path
        self._login_path = login_path
        self._extra = tuple(extra_tokens)
        self._template = template.check(self._extra)
        self._account_template = account_template.check(self._extra)
        self._format_date = format_date
        self._chunk_size = chunk_size

    def _tenant(self, uow: UnitOfWork, tenant_id: int) -> Tenant:
        tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            raise NotFoundError(Msg("portal.unknown"))
        settings = tenant.settings
        if not settings.base_url or not _is_http_url(settings.base_url):
            raise ConfigurationError(
                "Set the portal's public address (TenantSettings.base_url, an http(s) URL) "
                "before sending invitations."
            )
        return tenant

    def _sender(self, uow: UnitOfWork, sender: Principal) -> tuple[Tenant, User]:
        tenant = self._tenant(uow, sender.tenant_id)
        if not tenant.settings.portal_enabled:
            raise PermissionDeniedError(Msg("portal.not_enabled"))
        if sender.kind is not PrincipalKind.USER or sender.user_id is None:
            raise PermissionDeniedError()
        inviter = uow.users.get(sender.tenant_id, sender.user_id)
        if inviter is None or not inviter.is_active:
            raise PermissionDeniedError()
        return tenant, inviter

    def _target(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        scope_id: int | None,
        role: str | None,
        group: str | None,
    ) -> _Target:
        if (scope_id is None) != (role is None):
            raise InvalidInputError.for_field(
                "role", Msg("invitation.role_and_scope")
            )
        target = _Target()
        if scope_id is not None and role is not None:
            node = uow.scopes.get(tenant.id, scope_id)
            if node is None:
                raise InvalidInputError.for_field("scope", "Unknown scope.")
            the_role = uow.roles.get_by_name(tenant.id, role)
            if the_role is None:
                raise InvalidInputError.for_field("role", Msg("role.unknown"))
            target = attrs.evolve(
                target, scope_id=node.id, scope_path=node.path, role_id=the_role.id
            )
        if group is not None:
            the_group = uow.groups.get_by_name(tenant.id, group)
            if the_group is None:
                raise InvalidInputError.for_field("group", Msg("group.unknown"))
            target = attrs.evolve(target, group_id=the_group.id)
        return target

    def _get(self, uow: UnitOfWork, tenant_id: int, invitation_id: int) -> Invitation:
        invitation = uow.invitations.get(tenant_id, invitation_id)
        if invitation is None:
            raise NotFoundError()
        return invitation

    def _audit(
        self,
        uow: UnitOfWork,
        invitation: Invitation,
        action: str,
        *,
        outcome: str,
        actor_user_id: int | None,
        now: dt.datetime,
        error: str | None = None,
    ) -> None:
        detail = {"kind": invitation.kind.value}
        if error:
            detail["error"] = error
        uow.audit.add(
            AuditEntry(
                id=0,
                tenant_id=invitation.tenant_id,
                at=now,
                action=action,
                outcome=outcome,
                actor_user_id=actor_user_id,
                target=f"invitation:{invitation.id}",
                scope_path=invitation.scope_path,
                detail=detail,
            )
        )

    def _access(self, uow: UnitOfWork, tenant_id: int, target: _Target | Invitation) -> Access:
        """What *target* gives, as it stands now (a deleted role, scope or group gives nothing)."""
        grants: tuple[tuple[Role, ScopeNode], ...] = ()
        if target.role_id is not None and target.scope_id is not None:
            node = uow.scopes.get(tenant_id, target.scope_id)
            role = uow.roles.get(tenant_id, target.role_id)
            if node is not None and role is not None:
                grants = ((role, node),)
        group = (
            uow.groups.get(tenant_id, target.group_id) if target.group_id is not None else None
        )
        return Access(grants=grants, groups=(group,) if group is not None else ())

    def _may_give(self, uow: UnitOfWork, sender: Principal, target: _Target | Invitation) -> bool:
        """The no-escalation rule for what *target* gives, with *sender* vouching."""
        access = self._access(uow, sender.tenant_id, target)
        return may_give(uow, sender, access, registry=self._registry)

    def _refuse(self, sender: Principal, scope_path: str | None, invitation_id: int | None) -> None:
        """Audit a send refused for escalation, then raise (the message names nothing)."""
        with self._storage.unit_of_work() as uow:
            record(
                uow, self._clock, tenant_id=sender.tenant_id, action="invitation.send",
                outcome=DENIED, actor=sender,
                target=None if invitation_id is None else f"invitation:{invitation_id}",
                scope_path=scope_path, detail={"reason": "escalation"},
            )
            uow.commit()
        raise PermissionDeniedError(ESCALATION_MESSAGE)

    def _base(self, tenant: Tenant) -> str:
        return str(tenant.settings.base_url).rstrip("/")

    def _link(self, tenant: Tenant, token: str) -> str:
        return f"{self._base(tenant)}{self._accept_path}?token={token}"

    def _login_url(self, tenant: Tenant) -> str:
        return f"{self._base(tenant)}{self._login_path}"


@attrs.frozen
class _Target:
    """What accepting grants: a role at a scope, and a group."""

    scope_id: int | None = None
    scope_path: str | None = None
    role_id: int | None = None
    group_id: int | None = None



def _nonce() -> str:
    return secrets.token_urlsafe(12)


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query
