"""Invitations: what the link shows, and signing up through it.

Part of :class:`~portalkit._services.invitations.InvitationService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import attrs

from portalkit._services.account_flow import (
    account_details,
    activate_or_open,
    give_access,
    may_give,
)
from portalkit._services.audit import DENIED, record
from portalkit._services.invitation_sending import _InvitationSending
from portalkit._services.invitation_types import AlreadySignedUp, SignedUp, SignUpForm
from portalkit.domain.events import OutboxEvent
from portalkit.domain.i18n import Msg
from portalkit.domain.invitations import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    check_acceptable,
)
from portalkit.domain.passwords import context_words_of, normalize_password
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.tenants import Tenant, require_open
from portalkit.errors import AlreadyUsedError, InvalidTokenError
from portalkit.ports import TokenPurpose, UnitOfWork


class _InvitationAccept(_InvitationSending):
    """The customer side: the link's page and the sign-up."""

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
            ConflictError: The address got an account by another way while
                this request ran; nothing was written.
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
                raise AlreadyUsedError(Msg("invitation.used"))
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
            raise AlreadyUsedError(Msg("invitation.already_signed_up"))
        # An address that has a passwordless user and a new one do the same
        # checks, reads and write (one insert-or-activate statement), so the
        # time of the answer does not tell them apart (issue 20, finding 2).
        key = invitation.contact_key
        if key is not None and uow.users.get_by_external_key(tid, key) is not None:
            key = None  # the contact key is taken by another user: keep the email binding
        details = account_details(
            tenant, email=invitation.email, name=invitation.contact_name, external_key=key
        )
        return activate_or_open(
            uow, self._clock, tenant, details, password_hash, existing=user,
            via="invitation", detail=detail,
        )

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
