"""What the invitation service takes and gives back: contacts, reports, results.

Kept apart from :mod:`portalkit._services.invitations` (the use cases) so each
module stays small; that module re-exports every name here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

import attrs

from portalkit.domain.i18n import MESSAGES
from portalkit.domain.invitations import Invitation, InvitationKind
from portalkit.domain.principals import User
from portalkit.domain.templates import EmailTemplate

__all__ = [
    "DEFAULT_ACCOUNT_TEMPLATE",
    "DEFAULT_INVITATION_TEMPLATE",
    "AlreadySignedUp",
    "Contact",
    "FailedContact",
    "SendOutcome",
    "SendReport",
    "SignUpForm",
    "SignedUp",
    "SkipReason",
    "SkippedContact",
    "english_date",
]

#: The default invitation email (its text is the message ``mail.invitation.*``,
#: so the catalogues of :mod:`portalkit.locale` translate it).
DEFAULT_INVITATION_TEMPLATE = EmailTemplate(
    subject=MESSAGES["mail.invitation.subject"], body=MESSAGES["mail.invitation.body"]
)

#: The default "account created" email (message ``mail.account_created.*``).
DEFAULT_ACCOUNT_TEMPLATE = EmailTemplate(
    subject=MESSAGES["mail.account_created.subject"], body=MESSAGES["mail.account_created.body"]
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)


def english_date(when: dt.datetime) -> str:
    """``30 March 2026``: the default rendering of ``{expiry_date}``."""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


@attrs.frozen(kw_only=True)
class Contact:
    """One person to invite.

    Attributes:
        email: Their address (normalized on sending).
        name: Their first and last name (``{contact_name}``).
        contact_key: The host's id of the contact; the new user's external key.
        values: Values of host-defined tokens for this contact.
    """

    email: str
    name: str
    contact_key: str | None = None
    values: Mapping[str, str] = attrs.field(factory=dict)


class SkipReason(str, enum.Enum):
    """Why a contact was not invited."""

    ALREADY_A_USER = "already_a_user"
    INVALID_EMAIL = "invalid_email"
    INVALID_CONTACT = "invalid_contact"
    DUPLICATE = "duplicate_in_batch"
    ALREADY_INVITED = "already_invited"


@attrs.frozen(kw_only=True)
class SkippedContact:
    """A contact that was not invited: its 1-based row, address as given, and why."""

    row: int
    email: str
    reason: SkipReason
    message: str


@attrs.frozen(kw_only=True)
class FailedContact:
    """A contact whose invitation is stored but whose email failed (resend it later)."""

    row: int
    email: str
    invitation_id: int
    error: str


@attrs.define
class SendReport:
    """What a bulk send did, so far (the progress callback sees it grow).

    ``skipped_by_reason`` counts every skip; ``skipped_contacts`` and
    ``failed_contacts`` list at most ``detail_limit`` entries each, so the
    report stays small for any batch size.
    """

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    seen: int = 0
    skipped_by_reason: dict[SkipReason, int] = attrs.field(factory=dict)
    skipped_contacts: list[SkippedContact] = attrs.field(factory=list)
    failed_contacts: list[FailedContact] = attrs.field(factory=list)
    detail_limit: int = 1000

    def _skip(self, row: int, email: object, reason: SkipReason, message: str) -> None:
        self.skipped += 1
        self.skipped_by_reason[reason] = self.skipped_by_reason.get(reason, 0) + 1
        if len(self.skipped_contacts) < self.detail_limit:
            shown = email[:254] if isinstance(email, str) else repr(email)[:254]
            self.skipped_contacts.append(
                SkippedContact(row=row, email=shown, reason=reason, message=message)
            )

    def _fail(self, row: int, invitation: Invitation, error: str) -> None:
        self.failed += 1
        if len(self.failed_contacts) < self.detail_limit:
            self.failed_contacts.append(
                FailedContact(
                    row=row, email=invitation.email, invitation_id=invitation.id, error=error
                )
            )


@attrs.frozen(kw_only=True)
class SendOutcome:
    """The result of sending one invitation: the stored record and whether it went out."""

    invitation: Invitation
    sent: bool
    error: str | None = None


@attrs.frozen(kw_only=True)
class SignUpForm:
    """What the sign-up page (the GET of the link) shows; nothing was changed.

    ``kind`` is ``account`` for a staff-created account (show "choose your
    password" rather than "sign up"). ``password_rules`` are the policy's
    sentences, to show next to the fields.
    """

    invitation_id: int
    kind: InvitationKind
    email: str
    contact_name: str
    company_name: str
    expires_at: dt.datetime
    password_rules: tuple[str, ...]


@attrs.frozen(kw_only=True)
class AlreadySignedUp:
    """The link was used already: show "you have already signed up" and a login link."""

    login_url: str


@attrs.frozen(kw_only=True)
class SignedUp:
    """Sign-up succeeded: the new (or bound) user, and where to log in."""

    user: User
    login_url: str
