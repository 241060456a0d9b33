"""Invitations: bulk sending, streamed a chunk of contacts at a time.

Part of :class:`~portalkit._services.invitations.InvitationService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from portalkit._services.invitation_access import INVITATION_SEND, _nonce, _Target
from portalkit._services.invitation_contacts import _contact, _field, _Row
from portalkit._services.invitation_mail import _InvitationMail
from portalkit._services.invitation_types import Contact, SendOutcome, SendReport, SkipReason
from portalkit.domain.filters import Eq, In, all_of
from portalkit.domain.invitations import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    normalize_email,
    reissue,
)
from portalkit.domain.principals import Principal, User
from portalkit.domain.templates import EmailTemplate
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError, InvalidInputError, PermissionDeniedError


class _InvitationSending(_InvitationMail):
    """Sending to one contact or 10,000, a chunk at a time."""

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



def _delivered(invitation: Invitation, now: dt.datetime) -> bool:
    """Pending, unexpired and its current link was delivered (what a resumed send skips)."""
    return (
        invitation.status is InvitationStatus.PENDING
        and not invitation.unsent
        and invitation.expires_at > now
    )
