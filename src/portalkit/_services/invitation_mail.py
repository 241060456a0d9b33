"""Invitations: the email of one invitation, and the record of its sending.

Part of :class:`~portalkit._services.invitations.InvitationService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage

import attrs

from portalkit._services.invitation_access import _InvitationCore
from portalkit._services.invitation_types import SendOutcome, english_date
from portalkit.domain.invitations import Invitation, mark_failed, mark_sent
from portalkit.domain.principals import User
from portalkit.domain.templates import (
    COMPANY_NAME,
    CONTACT_NAME,
    EXPIRY_DATE,
    PORTAL_LINK,
    EmailTemplate,
    RenderedEmail,
    render,
)
from portalkit.domain.tenants import Tenant
from portalkit.errors import PortalkitError
from portalkit.ports import TokenPurpose


class _InvitationMail(_InvitationCore):
    """One invitation email: rendered, handed over, and its outcome stored."""

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
