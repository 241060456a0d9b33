"""Invitations: a contact asked to sign up to the portal (seeds 003 and 001).

An :class:`Invitation` is stored before its email goes out, so a failed send
never loses it: it stays ``pending``, marked :attr:`~Invitation.unsent` with the
error, and can be sent again. Its lifecycle::

    pending ──accept──▶ accepted
       │  ╲──revoke──▶ revoked
       ╰──(expires_at passes)──▶ expired ──reissue──▶ pending

Each email carries a token naming only the invitation's id and its current
:attr:`~Invitation.nonce`; reissuing (resend) draws a new nonce, which kills
every token sent before. The functions here are the rules of each transition;
they return a changed copy or raise a typed error, and never do I/O.

Two kinds share the machinery: an ``invite`` creates the portal user on
acceptance; an ``account`` invitation (seed 001, a user created by staff)
carries the existing user's id and only lets them set their password.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

import attrs

from portalkit.domain.contact import MAX_NAME_LENGTH, normalize_name
from portalkit.domain.contact import normalize_email as normalize_account_email
from portalkit.domain.i18n import Msg
from portalkit.errors import (
    AlreadyUsedError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    TokenExpiredError,
)

__all__ = [
    "MAX_CONTACT_NAME_LENGTH",
    "MAX_ERROR_LENGTH",
    "Invitation",
    "InvitationKind",
    "InvitationStatus",
    "accept",
    "check_acceptable",
    "mark_failed",
    "mark_sent",
    "normalize_email",
    "reissue",
    "revoke",
    "validate_contact_name",
]

#: Longest contact name accepted (it goes into the To header and the subject).
MAX_CONTACT_NAME_LENGTH = MAX_NAME_LENGTH
#: Longest stored send error.
MAX_ERROR_LENGTH = 500

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvitationStatus(str, enum.Enum):
    """Where an invitation is in its lifecycle."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvitationKind(str, enum.Enum):
    """``invite``: sign up as a new user; ``account``: set the password of a user staff made."""

    INVITE = "invite"
    ACCOUNT = "account"


def normalize_email(value: object, *, field: str = "email") -> str:
    """The address as accounts store it (:func:`portalkit.domain.contact.normalize_email`),
    or InvalidInputError naming *field*.

    One rule for every address: an invitation's address is the one sign-in
    looks the account up by, whichever way its domain was spelled.
    """
    try:
        return normalize_account_email(value)
    except InvalidInputError:
        raise InvalidInputError.for_field(field, "Enter a valid email address.") from None


def validate_contact_name(value: object, *, field: str = "contact_name") -> str:
    """The trimmed name, or InvalidInputError (not text, empty, line breaks, NUL, too long)."""
    return normalize_name(value, field=field, label="The contact name")


@attrs.frozen(kw_only=True)
class Invitation:
    """One invitation to one email address.

    Attributes:
        kind: ``invite`` (create a user) or ``account`` (set the password of
            :attr:`user_id`, a user staff created).
        email: The invited address, normalized; the new user gets exactly this one.
        contact_name: The contact's name; the new user's name.
        contact_key: The host's own id of the contact (becomes the user's
            external key), or None.
        scope_id, scope_path, role_id: A role granted at that scope on
            acceptance (all three or none).
        group_id: A user group the new user joins on acceptance, or None.
        user_id: The account's user (``account`` kind), or the user created
            on acceptance.
        invited_by_user_id: The staff user who sent it (the Reply-To address).
        values: Values of the host's own template tokens, kept for resending.
        status: See :class:`InvitationStatus`; a pending invitation past
            :attr:`expires_at` counts as expired (:meth:`status_at`).
        nonce: Random; in every token. Changing it kills older tokens.
        unsent: The current token has not been delivered (a send failed or
            none was tried yet); :attr:`last_error` says why.
        send_attempts: How many sends were tried, over every token.
    """

    id: int
    tenant_id: int
    kind: InvitationKind = InvitationKind.INVITE
    email: str
    contact_name: str
    contact_key: str | None = None
    scope_id: int | None = None
    scope_path: str | None = None
    role_id: int | None = None
    group_id: int | None = None
    user_id: int | None = None
    invited_by_user_id: int | None = None
    values: dict[str, str] = attrs.field(factory=dict)
    status: InvitationStatus = InvitationStatus.PENDING
    nonce: str
    created_at: dt.datetime
    expires_at: dt.datetime
    unsent: bool = True
    last_error: str | None = None
    send_attempts: int = 0
    sent_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def status_at(self, now: dt.datetime) -> InvitationStatus:
        """The status as of *now*: a pending invitation past its expiry is expired."""
        if self.status is InvitationStatus.PENDING and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status


def mark_sent(invitation: Invitation, at: dt.datetime) -> Invitation:
    """The invitation after its current token was handed to the mail server."""
    return attrs.evolve(
        invitation,
        unsent=False,
        last_error=None,
        sent_at=at,
        send_attempts=invitation.send_attempts + 1,
    )


def mark_failed(invitation: Invitation, error: str) -> Invitation:
    """The invitation after a failed send: still pending, unsent, with the error."""
    text = " ".join(str(error).split())[:MAX_ERROR_LENGTH] or "Sending failed."
    return attrs.evolve(
        invitation, unsent=True, last_error=text, send_attempts=invitation.send_attempts + 1
    )


def reissue(
    invitation: Invitation, *, nonce: str, now: dt.datetime, expires_at: dt.datetime
) -> Invitation:
    """The invitation with a new nonce and expiry, ready to be sent again (resend).

    Every token sent before stops working. A pending or expired invitation can
    be reissued; an accepted or revoked one cannot (ConflictError).
    """
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise ConflictError(
            f"This invitation was {invitation.status.value}; it cannot be sent again."
        )
    if expires_at <= now:
        raise InvalidInputError.for_field("expires_at", "The expiry must be in the future.")
    if nonce == invitation.nonce:
        raise ValueError("a reissued invitation needs a new nonce")
    return attrs.evolve(
        invitation,
        status=InvitationStatus.PENDING,
        nonce=nonce,
        expires_at=expires_at,
        unsent=True,
        sent_at=None,
    )


def revoke(invitation: Invitation, now: dt.datetime) -> Invitation:
    """The invitation withdrawn; its tokens stop working at once.

    An accepted invitation cannot be revoked (disable the user instead);
    revoking a revoked one is a no-op.
    """
    if invitation.status is InvitationStatus.REVOKED:
        return invitation
    if invitation.status is InvitationStatus.ACCEPTED:
        raise ConflictError("This invitation was already accepted; disable the user instead.")
    return attrs.evolve(invitation, status=InvitationStatus.REVOKED, revoked_at=now)


def check_acceptable(invitation: Invitation, nonce: str, now: dt.datetime) -> None:
    """Raise unless a token with *nonce* may accept *invitation* at *now*.

    Raises:
        AlreadyUsedError: It was accepted already.
        InvalidTokenError: It was revoked, or the token is an older one
            (the invitation was sent again since).
        TokenExpiredError: It expired.
    """
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyUsedError(Msg("invitation.used"))
    if invitation.status is InvitationStatus.REVOKED or invitation.nonce != nonce:
        raise InvalidTokenError()
    if invitation.status_at(now) is InvitationStatus.EXPIRED:
        raise TokenExpiredError("This invitation has expired; ask for a new one.")


def accept(invitation: Invitation, *, nonce: str, now: dt.datetime, user_id: int) -> Invitation:
    """The invitation accepted by *user_id* (after :func:`check_acceptable`)."""
    check_acceptable(invitation, nonce, now)
    return attrs.evolve(
        invitation, status=InvitationStatus.ACCEPTED, accepted_at=now, user_id=user_id
    )
