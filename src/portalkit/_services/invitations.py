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

Where the parts live: :class:`InvitationService` is this module's staff
screens (resend, revoke, find, the account-created email) on top of
``invitation_accept`` (the link's page and sign-up), ``invitation_sending``
(bulk sending; the contacts are read in ``invitation_contacts``),
``invitation_mail`` (one email and its record) and ``invitation_access``
(who may send, what is given, the ports), each a base class of the next.
"""

from __future__ import annotations

import datetime as dt

import attrs

from portalkit._services.invitation_accept import _InvitationAccept
from portalkit._services.invitation_access import (
    ESCALATION_MESSAGE,
    INVITATION_SEND,
    PermissionCheck,
    _nonce,
    policy_allows,
)
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
from portalkit.domain.filters import Eq, Filter, Range, all_of, any_of
from portalkit.domain.i18n import Msg
from portalkit.domain.invitations import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    reissue,
    revoke,
)
from portalkit.domain.principals import Principal
from portalkit.domain.templates import EmailTemplate
from portalkit.errors import ConflictError, NotFoundError, PermissionDeniedError

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


class InvitationService(_InvitationAccept):
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

    # Staff side ------------------------------------------------------------
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
                raise ConflictError(Msg("account.has_password"))
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

