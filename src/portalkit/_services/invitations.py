"""Invitations: send (one or 10,000), resend, revoke, show and accept (seeds 003, 001).

The flow, and where each guarantee comes from:

* **Who may send**: only a principal holding the ``invitation.send``
  permission (at the invitation's scope, or anywhere in the tenant when the
  invitation names none). The check is a swappable function.
* **Never lost**: an invitation is stored (pending, unsent) before its email
  goes out; after the attempt it is marked sent, or left pending and unsent
  with the error, to be resent.
* **Streaming**: contacts are read lazily and handled a chunk at a time (a
  few queries and two commits per chunk), so 10,000 contacts use the memory
  of one chunk. A report counts sent, skipped (already a user, invalid email,
  invalid contact, duplicate in the batch) and failed, and a progress callback
  sees it after every chunk.
* **Links** are built from the tenant's configured base URL, never from a
  request. The email comes from the tenant's sender address (the portal's
  configured default when it has none), with the inviting user as Reply-To.
* **Tokens** carry only the invitation id and nonce; resending draws a new
  nonce (older tokens die), revoking is immediate.
* **Accept** is one transaction: a conditional update claims the invitation
  (``UPDATE … WHERE status = 'pending' AND nonce = …``), then the user, their
  grant and group, the audit entry and the outbox event are written and
  committed together. Of 20 concurrent accepts exactly one creates the user;
  the others get :class:`~portalkit.errors.AlreadyUsedError`.
* **GET is harmless**: :meth:`InvitationService.show` only reads, so a link
  scanner following the email's link changes nothing. After sign-up it answers
  :class:`AlreadySignedUp` with the login link.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import attrs

from portalkit._services.account_flow import (
    Access,
    account_details,
    bind_first_password,
    give_access,
    may_give,
    open_account,
)
from portalkit._services.audit import DENIED, record
from portalkit._services.invitation_types import (
    DEFAULT_ACCOUNT_TEMPLATE,
    DEFAULT_INVITATION_TEMPLATE,
    AlreadySignedUp,
    Contact,
    FailedContact,
    SendOutcome,
    SendReport,
    SignedUp,
    SignUpForm,
    SkippedContact,
    SkipReason,
    english_date,
)
from portalkit._services.mail_composer import MailComposer
from portalkit._services.policy import load_policy
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import Eq, Filter, In, Range, all_of, any_of
from portalkit.domain.invitations import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    check_acceptable,
    mark_failed,
    mark_sent,
    normalize_email,
    reissue,
    revoke,
    validate_contact_name,
)
from portalkit.domain.passwords import PasswordPolicy, context_words_of, normalize_password
from portalkit.domain.policy import Target
from portalkit.domain.principals import Principal, PrincipalKind, Role, User
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.templates import (
    COMPANY_NAME,
    CONTACT_NAME,
    EXPIRY_DATE,
    PORTAL_LINK,
    EmailTemplate,
    RenderedEmail,
    TemplateToken,
    render,
)
from portalkit.domain.tenants import DEFAULT_SENDER, Tenant, require_open
from portalkit.errors import (
    AlreadyUsedError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
)
from portalkit.perms import PermissionRegistry
from portalkit.ports import (
    Clock,
    Mailer,
    PasswordHasher,
    Storage,
    TokenPurpose,
    TokenSigner,
    UnitOfWork,
)

__all__ = [
    "DEFAULT_ACCOUNT_TEMPLATE",
    "DEFAULT_INVITATION_TEMPLATE",
    "ESCALATION_MESSAGE",
    "INVITATION_SEND",
    "AlreadySignedUp",
    "Contact",
    "FailedContact",
    "InvitationService",
    "PermissionCheck",
    "SendOutcome",
    "SendReport",
    "SignUpForm",
    "SignedUp",
    "SkipReason",
    "SkippedContact",
    "english_date",
    "policy_allows",
]

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

@attrs.frozen
class _Row:
    row: int
    email: str
    contact: Contact


class InvitationService:
    """Invitations of every tenant, through the storage, signer and mailer ports.

    Args:
        storage: Where invitations and users live.
        signer: Signs and verifies the links' tokens.
        mailer: Delivers the emails; None refuses to send (ConfigurationError)
            before any invitation is stored.
        clock: Where time comes from.
        password_policy: The rules a new password must meet.
        hasher: Hashes the chosen password.
        permission_check: Who may send (default :func:`policy_allows`).
        registry: The permission catalogue the default check uses.
        validity: How long an invitation works (at most the signer's invite lifetime).
        accept_path, login_path: Paths below the tenant's base URL of the
            sign-up page (the token is added as ``?token=``) and the login page.
        extra_tokens: The host's own template tokens.
        template: The default invitation email.
        account_template: The default account-created email (seed 001).
        format_date: How ``{expiry_date}`` is written.
        chunk_size: Contacts handled per transaction in a bulk send.
        sender_email: The From address when the tenant has none.
    """

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

    # Staff side ------------------------------------------------------------
    def send(
        self,
        sender: Principal,
        contacts: Iterable[Contact | Mapping[str, Any]],
        *,
        template: EmailTemplate | None = None,
        scope_id: int | None = None,
        role: str | None = None,
        group: str | None = None,
        values: Mapping[str, str] | None = None,
        on_progress: Callable[[SendReport], None] | None = None,
        resume: bool = False,
    ) -> SendReport:
        """Invite *contacts* (any iterable, read lazily) and email each a sign-up link.

        Args:
            sender: The staff principal; needs ``invitation.send``. Their
                address is the emails' Reply-To.
            contacts: :class:`Contact` objects or mappings with ``email``,
                ``name`` and optionally ``contact_key`` and ``values``.
            template: Overrides the default subject and body.
            scope_id, role: Grant this role at this scope on acceptance
                (both or neither). With a scope, the sender's permission must
                cover it, and a sender who is not staff must hold every
                permission of the role there (no escalation).
            group: A user group the new users join on acceptance (judged
                like the roles the group holds, and its KPI tiles).
            values: Values of host tokens shared by every contact.
            on_progress: Called with the report after every chunk.
            resume: Run an interrupted bulk send again: contacts whose
                invitation is still pending, unexpired and already delivered
                are skipped (``already_invited``) instead of being sent a new
                link. Invitations stored but not yet recorded as sent when
                the earlier run died are sent again, so at most one chunk of
                contacts may get a second email.

        Returns:
            The report. Contacts that cannot be invited are skipped, never
            raised; a failed email is counted as failed and its invitation
            stays pending and unsent (resend it).

        Raises:
            PermissionDeniedError: The sender may not send invitations, or
                (no escalation) the role or group gives a permission the
                sender does not hold at the scope, unless the sender is staff
                (an active ``is_staff`` user). Nothing is stored or sent; the
                refusal is audited (``invitation.send``, ``denied``).
            ConfigurationError: The tenant has no base URL.
            InvalidInputError: The template, scope, role or group is not valid.
        """
        the_template = (template or self._template).check(self._extra)
        shared = dict(values or {})
        with self._storage.unit_of_work(read_only=True) as uow:
            tenant, inviter = self._sender(uow, sender)
            target = self._target(uow, tenant, scope_id, role, group)
            if not self._allowed(uow, sender, INVITATION_SEND, target.scope_path):
                raise PermissionDeniedError()
            escalates = not self._may_give(uow, sender, target)
        if escalates:
            self._refuse(sender, target.scope_path, None)
        report = SendReport()
        rows = self._rows(contacts, report)
        while True:
            chunk = list(itertools.islice(rows, self._chunk_size))
            if not chunk:
                if on_progress is not None:
                    on_progress(report)  # the final state, with trailing skips
                break
            self._mail.require_mailer()  # before the first invitation is stored
            self._send_chunk(
                tenant=tenant,
                inviter=inviter,
                template=the_template,
                shared=shared,
                target=target,
                chunk=chunk,
                report=report,
                resume=resume,
            )
            if on_progress is not None:
                on_progress(report)
        return report

    def send_one(
        self,
        sender: Principal,
        contact: Contact | Mapping[str, Any],
        **options: Any,
    ) -> SendOutcome:
        """Invite one contact; like :meth:`send`, but a skip is raised as an error.

        Raises:
            InvalidInputError: The email or name is not valid.
            ConflictError: The address already belongs to a portal user.
        """
        report = self.send(sender, [contact], **options)
        if report.skipped:
            skipped = report.skipped_contacts[0]
            if skipped.reason is SkipReason.ALREADY_A_USER:
                raise ConflictError(skipped.message)
            field = "email" if skipped.reason is SkipReason.INVALID_EMAIL else "contact"
            raise InvalidInputError.for_field(field, skipped.message)
        with self._storage.unit_of_work(read_only=True) as uow:
            email = normalize_email(_field(contact, "email"))
            found = uow.invitations.find(
                sender.tenant_id, Eq("email", email), order_by=("-id",), limit=1
            )
        invitation = found[0]
        error = report.failed_contacts[0].error if report.failed else None
        return SendOutcome(invitation=invitation, sent=not report.failed, error=error)

    def resend(
        self, sender: Principal, invitation_id: int, *, template: EmailTemplate | None = None
    ) -> SendOutcome:
        """Send an invitation again with a new token; every older token stops working.

        Works for a pending (sent or unsent) or expired invitation; the expiry
        starts again from now. The email uses *template*, or the default one
        (host token values stored with the invitation are reused).

        Raises:
            NotFoundError: No such invitation in the sender's tenant.
            PermissionDeniedError: The sender may not send invitations, or
                the invitation gives access the sender does not hold (see
                :meth:`send`; the refusal is audited, nothing is sent).
            ConflictError: It was accepted or revoked.
            ConfigurationError: The portal has no mailer.
        """
        self._mail.require_mailer()
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            tenant, inviter = self._sender(uow, sender)
            current = self._get(uow, sender.tenant_id, invitation_id)
            if not self._allowed(uow, sender, INVITATION_SEND, current.scope_path):
                raise PermissionDeniedError()
            # The resender now vouches for the access: judged like a new send.
            escalates = not self._may_give(uow, sender, current)
            if not escalates:
                fresh = reissue(
                    current, nonce=_nonce(), now=now, expires_at=now + self._validity
                )
                fresh = attrs.evolve(fresh, invited_by_user_id=inviter.id)
                if not uow.invitations.update_if(
                    fresh, status=current.status, nonce=current.nonce
                ):
                    raise ConflictError()
                uow.commit()
        if escalates:  # after the unit ends: SQLite has one writer at a time
            self._refuse(sender, current.scope_path, current.id)
        default = (
            self._account_template if fresh.kind is InvitationKind.ACCOUNT else self._template
        )
        return self._deliver(tenant, inviter, (template or default).check(self._extra), fresh)

    def revoke(self, sender: Principal, invitation_id: int) -> Invitation:
        """Withdraw an invitation; its links stop working at once.

        Raises:
            NotFoundError: No such invitation in the sender's tenant.
            PermissionDeniedError: The sender may not send invitations.
            ConflictError: It was accepted already (disable the user instead).
        """
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            self._sender(uow, sender)
            current = self._get(uow, sender.tenant_id, invitation_id)
            if not self._allowed(uow, sender, INVITATION_SEND, current.scope_path):
                raise PermissionDeniedError()
            revoked = revoke(current, now)
            if revoked is not current:
                if not uow.invitations.update_if(
                    revoked, status=current.status, nonce=current.nonce
                ):
                    raise ConflictError()
                self._audit(
                    uow,
                    revoked,
                    "invitation.revoke",
                    outcome="success",
                    actor_user_id=sender.user_id,
                    now=now,
                )
                uow.commit()
        return revoked

    def find(
        self,
        sender: Principal,
        *,
        status: InvitationStatus | None = None,
        unsent: bool | None = None,
        limit: int = 100,
    ) -> list[Invitation]:
        """The tenant's invitations, newest first (for the staff screen).

        ``status`` filters by the status as of now (a pending invitation past
        its expiry counts as expired); ``unsent=True`` lists those whose email
        has not gone out (to resend).

        Raises:
            PermissionDeniedError: The principal may not send invitations.
        """
        parts: list[Filter] = []
        if status is not None:
            parts.append(_status_filter(InvitationStatus(status), self._clock.now()))
        if unsent is not None:
            parts.append(Eq("unsent", unsent))
        with self._storage.unit_of_work(read_only=True) as uow:
            self._sender(uow, sender)
            if not self._allowed(uow, sender, INVITATION_SEND, None):
                raise PermissionDeniedError()
            return uow.invitations.find(
                sender.tenant_id, all_of(*parts), order_by=("-id",), limit=limit
            )

    def send_account_created(
        self,
        tenant_id: int,
        user_id: int,
        *,
        sent_by_user_id: int | None = None,
        template: EmailTemplate | None = None,
    ) -> SendOutcome:
        """Email a user that staff created an "account created" message (seed 001).

        The email holds a link to choose a password (never a password). The
        link is a single-use ``account`` invitation: resend and revoke work as
        for invitations, and accepting sets the password of this user.
        Called by the host's staff code after creating the user (the admin
        API has no principal, so no permission is checked here).

        Raises:
            NotFoundError: No such active user in the tenant.
            ConflictError: The user has a password already.
            ConfigurationError: The tenant has no base URL, or the portal no mailer.
        """
        self._mail.require_mailer()
        now = self._clock.now()
        the_template = (template or self._account_template).check(self._extra)
        with self._storage.unit_of_work() as uow:
            tenant = self._tenant(uow, tenant_id)
            user = uow.users.get(tenant_id, user_id)
            if user is None or not user.is_active:
                raise NotFoundError()
            if user.password_hash is not None:
                raise ConflictError("This user has a password already.")
            inviter = uow.users.get(tenant_id, sent_by_user_id) if sent_by_user_id else None
            for old in uow.invitations.find(
                tenant_id,
                all_of(Eq("user_id", user.id), Eq("status", InvitationStatus.PENDING)),
            ):
                uow.invitations.update(revoke(old, now))
            invitation = uow.invitations.add(
                Invitation(
                    id=0,
                    tenant_id=tenant_id,
                    kind=InvitationKind.ACCOUNT,
                    email=user.email,
                    contact_name=user.name,
                    user_id=user.id,
                    invited_by_user_id=inviter.id if inviter else None,
                    nonce=_nonce(),
                    created_at=now,
                    expires_at=now + self._validity,
                )
            )
            uow.commit()
        return self._deliver(tenant, inviter, the_template, invitation)

    # Customer side ---------------------------------------------------------
    def show(self, tenant_id: int, token: str) -> SignUpForm | AlreadySignedUp:
        """What the invitation link shows (its GET): the sign-up form, or "already signed up".

        "Already signed up" also when the address got a password another way
        (the invitation is then useless). Changes nothing, so a mail scanner
        that follows links cannot use up an invitation.

        Raises:
            InvalidTokenError: Not a genuine link of this tenant, revoked, or
                replaced by a newer email.
            TokenExpiredError: The link or the invitation expired.
        """
        claims = self._signer.verify(TokenPurpose.INVITE, token)
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            tenant = self._tenant(uow, tenant_id)
            require_open(tenant)
            invitation = uow.invitations.get(tenant_id, claims.id)
            if invitation is None:
                raise InvalidTokenError()
            if invitation.status is not InvitationStatus.ACCEPTED:
                check_acceptable(invitation, claims.nonce, now)
            user = (
                uow.users.get(tenant_id, invitation.user_id)
                if invitation.kind is InvitationKind.ACCOUNT and invitation.user_id
                else uow.users.get_by_email(tenant_id, invitation.email)
            )
        signed_up = user is not None and user.password_hash is not None
        if invitation.status is InvitationStatus.ACCEPTED or signed_up:
            return AlreadySignedUp(login_url=self._login_url(tenant))
        return SignUpForm(
            invitation_id=invitation.id,
            kind=invitation.kind,
            email=invitation.email,
            contact_name=invitation.contact_name,
            company_name=tenant.name,
            expires_at=invitation.expires_at,
            password_rules=tuple(self._policy.rules_text()),
        )

    def accept(
        self, tenant_id: int, token: str, password: str, password_again: str
    ) -> SignedUp:
        """Sign up through an invitation: create the user with this password.

        The user gets the invitation's email, name and contact key (and its
        role at its scope, and its group, if the sender may still give them:
        the no-escalation rule is checked again with the sender's current
        access and the role's current permissions; when it fails, the
        account is still created without that access, the refusal is audited
        and the ``invitation.accepted`` event says ``access_refused``; the
        invitee is told nothing about it). For an ``account`` invitation the
        existing user's password is set instead. Everything, with the audit
        entry and the ``invitation.accepted`` outbox event, commits in one
        transaction; a conditional update makes exactly one of concurrent
        accepts win.

        Raises:
            InvalidTokenError, TokenExpiredError: As for :meth:`show`.
            InvalidInputError: The password breaks the policy or the two differ
                (``fields`` says which).
            AlreadyUsedError: The invitation was used already (by this or a
                concurrent request).
        """
        claims = self._signer.verify(TokenPurpose.INVITE, token)
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            tenant = self._tenant(uow, tenant_id)
            require_open(tenant)
            invitation = uow.invitations.get(tenant_id, claims.id)
        if invitation is None:
            raise InvalidTokenError()
        check_acceptable(invitation, claims.nonce, now)
        words = context_words_of(invitation.email, invitation.contact_name, tenant.name)
        self._policy.check(password, password_again, words)
        password_hash = self._hasher.hash(normalize_password(password))
        with self._storage.unit_of_work() as uow:
            current = uow.invitations.get(tenant_id, claims.id)
            if current is None:
                raise InvalidTokenError()
            check_acceptable(current, claims.nonce, now)
            claimed = attrs.evolve(current, status=InvitationStatus.ACCEPTED, accepted_at=now)
            if not uow.invitations.update_if(
                claimed, status=InvitationStatus.PENDING, nonce=claims.nonce
            ):
                raise AlreadyUsedError("This invitation has already been used to sign up.")
            user = self._bind_user(uow, tenant, current, password_hash)
            given = self._give_access(uow, current, user)
            accepted = attrs.evolve(claimed, user_id=user.id)
            uow.invitations.update(accepted)
            self._audit(
                uow,
                accepted,
                "invitation.accept",
                outcome="success",
                actor_user_id=user.id,
                now=now,
            )
            uow.outbox.add(
                OutboxEvent(
                    id=0,
                    tenant_id=tenant_id,
                    topic="invitation.accepted",
                    payload={
                        "invitation_id": accepted.id,
                        "kind": accepted.kind.value,
                        "user_id": user.id,
                        "email": user.email,
                        "contact_key": accepted.contact_key,
                        "access_refused": not given,
                    },
                    created_at=now,
                )
            )
            uow.commit()
        return SignedUp(user=user, login_url=self._login_url(tenant))

    # Internals ---------------------------------------------------------------
    def _tenant(self, uow: UnitOfWork, tenant_id: int) -> Tenant:
        tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            raise NotFoundError("Unknown portal.")
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
            raise PermissionDeniedError("The customer portal is not enabled.")
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
                "role", "Give both a role and a scope, or neither."
            )
        target = _Target()
        if scope_id is not None and role is not None:
            node = uow.scopes.get(tenant.id, scope_id)
            if node is None:
                raise InvalidInputError.for_field("scope", "Unknown scope.")
            the_role = uow.roles.get_by_name(tenant.id, role)
            if the_role is None:
                raise InvalidInputError.for_field("role", "Unknown role.")
            target = attrs.evolve(
                target, scope_id=node.id, scope_path=node.path, role_id=the_role.id
            )
        if group is not None:
            the_group = uow.groups.get_by_name(tenant.id, group)
            if the_group is None:
                raise InvalidInputError.for_field("group", "Unknown group.")
            target = attrs.evolve(target, group_id=the_group.id)
        return target

    def _get(self, uow: UnitOfWork, tenant_id: int, invitation_id: int) -> Invitation:
        invitation = uow.invitations.get(tenant_id, invitation_id)
        if invitation is None:
            raise NotFoundError()
        return invitation

    def _rows(
        self, contacts: Iterable[Contact | Mapping[str, Any]], report: SendReport
    ) -> Iterator[_Row]:
        """Valid, first-seen contacts; the rest are skipped into *report*."""
        seen: set[str] = set()
        for row, raw in enumerate(contacts, start=1):
            report.seen += 1
            given = _field(raw, "email")
            try:
                email = normalize_email(given)
            except InvalidInputError as exc:
                report._skip(row, given, SkipReason.INVALID_EMAIL, exc.message)
                continue
            if email in seen:
                report._skip(row, email, SkipReason.DUPLICATE, "Listed more than once.")
                continue
            seen.add(email)
            try:
                contact = _contact(raw, email)
            except InvalidInputError as exc:
                report._skip(row, email, SkipReason.INVALID_CONTACT, exc.message)
                continue
            yield _Row(row=row, email=email, contact=contact)

    def _send_chunk(
        self,
        *,
        tenant: Tenant,
        inviter: User,
        template: EmailTemplate,
        shared: Mapping[str, str],
        target: _Target,
        chunk: list[_Row],
        report: SendReport,
        resume: bool = False,
    ) -> None:
        now = self._clock.now()
        expires_at = now + self._validity
        ready: list[_Row] = []
        for item in chunk:
            values = {**shared, **item.contact.values}
            try:  # a dry run: refuse bad token values before anything is stored
                self._render(
                    tenant,
                    template,
                    values=values,
                    contact_name=item.contact.name,
                    link="x" * 160,
                    expires_at=expires_at,
                )
            except InvalidInputError as exc:
                report._skip(item.row, item.email, SkipReason.INVALID_CONTACT, exc.message)
                continue
            ready.append(item)
        if not ready:
            return
        stored: list[tuple[_Row, Invitation]] = []
        with self._storage.unit_of_work() as uow:
            emails = tuple(item.email for item in ready)
            users = {u.email for u in uow.users.find(tenant.id, In("email", emails))}
            reusable = {
                inv.email: inv
                for inv in uow.invitations.find(
                    tenant.id,
                    all_of(
                        In("email", emails),
                        Eq("kind", InvitationKind.INVITE),
                        In("status", (InvitationStatus.PENDING, InvitationStatus.EXPIRED)),
                    ),
                )
            }
            for item in ready:
                if item.email in users:
                    report._skip(
                        item.row,
                        item.email,
                        SkipReason.ALREADY_A_USER,
                        "This address already has a portal account.",
                    )
                    continue
                values = {**shared, **item.contact.values}
                existing = reusable.get(item.email)
                if resume and existing is not None and _delivered(existing, now):
                    report._skip(
                        item.row,
                        item.email,
                        SkipReason.ALREADY_INVITED,
                        "An invitation was already sent to this address.",
                    )
                    continue
                if existing is not None:
                    invitation = _addressed(
                        reissue(existing, nonce=_nonce(), now=now, expires_at=expires_at),
                        item.contact,
                        target,
                        inviter,
                        values,
                    )
                    uow.invitations.update(invitation)
                else:
                    invitation = uow.invitations.add(
                        _addressed(
                            Invitation(
                                id=0,
                                tenant_id=tenant.id,
                                email=item.email,
                                contact_name=item.contact.name,
                                nonce=_nonce(),
                                created_at=now,
                                expires_at=expires_at,
                            ),
                            item.contact,
                            target,
                            inviter,
                            values,
                        )
                    )
                stored.append((item, invitation))
            uow.commit()
        outcomes = [
            (item, self._attempt(tenant, inviter, template, invitation))
            for item, invitation in stored
        ]
        self._record(tenant.id, [outcome for _, outcome in outcomes])
        for item, outcome in outcomes:
            if outcome.sent:
                report.sent += 1
            else:
                report._fail(item.row, outcome.invitation, outcome.error or "")

    def _render(
        self,
        tenant: Tenant,
        template: EmailTemplate,
        *,
        values: Mapping[str, str],
        contact_name: str,
        link: str,
        expires_at: dt.datetime,
    ) -> RenderedEmail:
        language = self._mail.language(tenant)
        expiry = (
            self._mail.date(expires_at, language)
            if self._format_date is english_date  # the default: in the email's language
            else self._format_date(expires_at)
        )
        return render(
            self._mail.template(template, language),
            {
                **values,
                CONTACT_NAME: contact_name,
                PORTAL_LINK: link,
                COMPANY_NAME: tenant.name,
                EXPIRY_DATE: expiry,
            },
            extra=self._extra,
        )

    def _message(
        self,
        tenant: Tenant,
        inviter: User | None,
        invitation: Invitation,
        rendered: RenderedEmail,
    ) -> EmailMessage:
        reply_to = (
            Address(display_name=inviter.name, addr_spec=inviter.email)
            if inviter is not None
            else None
        )
        return self._mail.compose(
            tenant,
            to=invitation.email,
            to_name=invitation.contact_name,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            reply_to=reply_to,
        )

    def _attempt(
        self,
        tenant: Tenant,
        inviter: User | None,
        template: EmailTemplate,
        invitation: Invitation,
    ) -> SendOutcome:
        """Build and hand over one email; the outcome is not stored yet."""
        try:
            token = self._signer.sign(TokenPurpose.INVITE, invitation.id, invitation.nonce)
            rendered = self._render(
                tenant,
                template,
                values=invitation.values,
                contact_name=invitation.contact_name,
                link=self._link(tenant, token),
                expires_at=invitation.expires_at,
            )
            failure = self._mail.deliver(self._message(tenant, inviter, invitation, rendered))
        except (PortalkitError, ValueError) as exc:
            return SendOutcome(invitation=invitation, sent=False, error=str(exc))
        if failure is not None:
            error = failure.detail or failure.message
            return SendOutcome(invitation=invitation, sent=False, error=error)
        return SendOutcome(invitation=invitation, sent=True)

    def _record(self, tenant_id: int, outcomes: Sequence[SendOutcome]) -> list[SendOutcome]:
        """Store each outcome (sent, or unsent with the error) and its audit entry."""
        now = self._clock.now()
        recorded: list[SendOutcome] = []
        with self._storage.unit_of_work() as uow:
            for outcome in outcomes:
                before = outcome.invitation
                after = (
                    mark_sent(before, now)
                    if outcome.sent
                    else mark_failed(before, outcome.error or "Sending failed.")
                )
                # A concurrent resend or revoke wins; this attempt is then stale.
                if uow.invitations.update_if(after, status=before.status, nonce=before.nonce):
                    self._audit(
                        uow,
                        after,
                        "invitation.send",
                        outcome="success" if outcome.sent else "failed",
                        actor_user_id=before.invited_by_user_id,
                        now=now,
                        error=None if outcome.sent else after.last_error,
                    )
                recorded.append(attrs.evolve(outcome, invitation=after))
            uow.commit()
        return recorded

    def _deliver(
        self,
        tenant: Tenant,
        inviter: User | None,
        template: EmailTemplate,
        invitation: Invitation,
    ) -> SendOutcome:
        outcome = self._attempt(tenant, inviter, template, invitation)
        return self._record(tenant.id, [outcome])[0]

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

    def _bind_user(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        invitation: Invitation,
        password_hash: str,
    ) -> User:
        """The invited account with its first password, through the one account flow."""
        tid = invitation.tenant_id
        if invitation.kind is InvitationKind.ACCOUNT:
            user = uow.users.get(tid, invitation.user_id) if invitation.user_id else None
            if user is None or not user.is_active:
                raise InvalidTokenError()
        else:
            user = uow.users.get_by_email(tid, invitation.email)
        detail = {"invitation": str(invitation.id)}
        if user is not None and user.password_hash is not None:
            raise AlreadyUsedError("This address has already signed up; please log in.")
        # An address that has a passwordless user and a new one do the same
        # checks and reads, so the time of the answer does not tell them apart
        # (issue 20, finding 2); only the last write differs.
        key = invitation.contact_key
        if key is not None and uow.users.get_by_external_key(tid, key) is not None:
            key = None  # the contact key is taken by another user: keep the email binding
        details = account_details(
            tenant, email=invitation.email, name=invitation.contact_name, external_key=key
        )
        if user is not None:
            uow.users.get_by_email(tid, details.email)  # open_account's check, as below
            return bind_first_password(
                uow, self._clock, user, password_hash, via="invitation", detail=detail
            )
        return open_account(
            uow, self._clock, tenant, details, via="invitation", password_hash=password_hash,
            detail=detail,
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

    def _give_access(self, uow: UnitOfWork, invitation: Invitation, user: User) -> bool:
        """Give the invitation's access if its sender may still give it; False if refused.

        The sender's own access may have shrunk (or the role grown) since
        sending. A refusal still lets the account be created: the invitee
        did nothing wrong and sees the same result; the refusal is audited
        for staff (``invitation.grant``, ``denied``) and the outbox event
        says ``access_refused``.
        """
        tid = invitation.tenant_id
        access = self._access(uow, tid, invitation)
        if not access:
            return True
        sender = Principal(
            tenant_id=tid, kind=PrincipalKind.USER, user_id=invitation.invited_by_user_id
        )
        if invitation.invited_by_user_id is not None and may_give(
            uow, sender, access, registry=self._registry
        ):
            give_access(uow, user, access)
            return True
        record(
            uow, self._clock, tenant_id=tid, action="invitation.grant", outcome=DENIED,
            actor=invitation.invited_by_user_id, target=f"invitation:{invitation.id}",
            scope_path=invitation.scope_path, detail={"reason": "escalation"},
        )
        return False

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


def _addressed(
    invitation: Invitation,
    contact: Contact,
    target: _Target,
    inviter: User,
    values: dict[str, str],
) -> Invitation:
    """*invitation* for *contact*, granting *target*, sent by *inviter*."""
    return attrs.evolve(
        invitation,
        contact_name=contact.name,
        contact_key=contact.contact_key,
        scope_id=target.scope_id,
        scope_path=target.scope_path,
        role_id=target.role_id,
        group_id=target.group_id,
        invited_by_user_id=inviter.id,
        values=values,
    )


def _status_filter(status: InvitationStatus, now: dt.datetime) -> Filter:
    """Invitations whose status as of *now* is *status* (see ``Invitation.status_at``)."""
    pending = Eq("status", InvitationStatus.PENDING)
    if status is InvitationStatus.PENDING:
        return all_of(pending, Range("expires_at", low=now, include_low=False))
    if status is InvitationStatus.EXPIRED:
        return any_of(
            Eq("status", InvitationStatus.EXPIRED),
            all_of(pending, Range("expires_at", high=now, include_high=True)),
        )
    return Eq("status", status)


def _delivered(invitation: Invitation, now: dt.datetime) -> bool:
    """Pending, unexpired and its current link was delivered (what a resumed send skips)."""
    return (
        invitation.status is InvitationStatus.PENDING
        and not invitation.unsent
        and invitation.expires_at > now
    )


def _nonce() -> str:
    return secrets.token_urlsafe(12)


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query


def _field(raw: Contact | Mapping[str, Any], name: str) -> Any:
    if isinstance(raw, Contact):
        return getattr(raw, name)
    return raw.get(name) if isinstance(raw, Mapping) else None


def _contact(raw: Contact | Mapping[str, Any], email: str) -> Contact:
    """A checked contact with the normalized *email*; InvalidInputError if not valid."""
    if not isinstance(raw, (Contact, Mapping)):
        raise InvalidInputError.for_field("contact", "A contact must have an email and a name.")
    name = validate_contact_name(_field(raw, "name"))
    key = _field(raw, "contact_key")
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > 200):
        raise InvalidInputError.for_field("contact_key", "The contact key must be short text.")
    values = _field(raw, "values") or {}
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise InvalidInputError.for_field("values", "Token values must be text.")
    return Contact(
        email=email,
        name=name,
        contact_key=key.strip() if key is not None else None,
        values=dict(values),
    )
