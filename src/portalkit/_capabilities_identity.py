"""The identity capabilities: invitations, registration, the profile and password reset.

:mod:`portalkit.capabilities` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from portalkit._capabilities_base import _Bound
from portalkit._capabilities_second_factors import require_step_up
from portalkit._services.identity import ClaimTicket, IdentityService, SignIn
from portalkit._services.invitation_types import (
    AlreadySignedUp,
    Contact,
    SendOutcome,
    SendReport,
    SignedUp,
    SignUpForm,
)
from portalkit._services.invitations import InvitationService
from portalkit._services.mail_composer import reader_language
from portalkit._services.registration import RegistrationService
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.principals import User
from portalkit.domain.templates import EmailTemplate


class RequestInvitations(_Bound[InvitationService]):
    """Invitations of every tenant, through the storage, signer and mailer ports. For this request:
    no tenant, principal, policy or client key to pass.
    """

    def show(self, token: str) -> SignUpForm | AlreadySignedUp:
        """What the invitation link shows (its GET): the sign-up form, or "already signed up"."""
        return self._service.show(self._req.tenant.id, token)

    def accept(self, token: str, password: str, password_again: str) -> SignedUp:
        """Sign up through an invitation: create the user with this password."""
        return self._service.accept(self._req.tenant.id, token, password, password_again)

    def send(
        self,
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
        """Invite *contacts* (any iterable, read lazily) and email each a sign-up link."""
        return self._service.send(
            self._req.principal,
            contacts,
            template=template,
            scope_id=scope_id,
            role=role,
            group=group,
            values=values,
            on_progress=on_progress,
            resume=resume,
        )

    def find(
        self,
        *,
        status: InvitationStatus | None = None,
        unsent: bool | None = None,
        limit: int = 100,
    ) -> builtins.list[Invitation]:
        """The tenant's invitations, newest first (for the staff screen)."""
        return self._service.find(self._req.principal, status=status, unsent=unsent, limit=limit)

    def resend(self, invitation_id: int, *, template: EmailTemplate | None = None) -> SendOutcome:
        """Send an invitation again with a new token; every older token stops working."""
        return self._service.resend(self._req.principal, invitation_id, template=template)

    def revoke(self, invitation_id: int) -> Invitation:
        """Withdraw an invitation; its links stop working at once."""
        return self._service.revoke(self._req.principal, invitation_id)


class RequestRegistration(_Bound[RegistrationService]):
    """Registration by proof, on the ports and settings of an :class:`IdentityService`. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def claim(self, *, phone: str, email: str, postal_code: str) -> ClaimTicket:
        """Start registration by proof (seed 004): phone, plus email and postal code on file."""
        with reader_language(self._req.locale):
            return self._service.claim(
                self._req.tenant,
                phone=phone,
                email=email,
                postal_code=postal_code,
                client_key=self._req.client_key,
            )

    def complete_claim(
        self, ticket: str, *, code: str | None, password: str, confirmation: str | None
    ) -> SignIn:
        """Finish registration by proof: check the emailed code, create the user, sign in.

        This request goes on signed in as the new user
        (:attr:`~portalkit.PortalRequest.new_session` holds the cookie value),
        unless the tenant requires a second factor of everyone: then
        :class:`~portalkit.errors.SecondFactorRequired` (``enrol_only``).
        """
        result = self._service.complete_claim(
            self._req.tenant,
            ticket,
            code=code,
            password=password,
            confirmation=confirmation,
            client_key=self._req.client_key,
            user_agent=self._req.user_agent,
        )
        self._req._signed_in(result)
        return result


class RequestProfile(_Bound[IdentityService]):
    """The signed-in user's profile and password (AuthenticationError when nobody is)."""

    def change_password(
        self, current_password: str, new_password: str, confirmation: str | None
    ) -> SignIn:
        """Change the password; every other session of the user ends.

        This request goes on signed in with a new session
        (:attr:`~portalkit.PortalRequest.new_session`, to store in the cookie).
        A sensitive action (``password.change``): may raise ReauthenticationRequired.
        """
        user = self._req._require_user()
        require_step_up(self._req, "password.change")
        result = self._service.change_password(
            self._req.tenant,
            user.id,
            current_password,
            new_password,
            confirmation,
            client_key=self._req.client_key,
        )
        self._req._signed_in(result)
        return result

    def update(
        self,
        *,
        first_name: str,
        last_name: str,
        email: str,
        phone: str | None = None,
        current_password: str | None = None,
    ) -> User:
        """Update name and contact details (a new email or phone needs the current password).

        A new email is a sensitive action (``email.change``): may raise
        ReauthenticationRequired.
        """
        user = self._req._require_user()
        if isinstance(email, str) and email.strip().lower() != user.email:
            require_step_up(self._req, "email.change")
        return self._service.update_profile(
            self._req.tenant,
            user.id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            current_password=current_password,
            client_key=self._req.client_key,
        )


class RequestPasswordReset(_Bound[IdentityService]):
    """Password reset by emailed code; the answer never says whether an account exists."""

    def request(self, email: str) -> None:
        """Email a reset code to *email* if it belongs to a user (the same answer either way).

        The email is in the request's locale when one was given, else the tenant's.
        """
        with reader_language(self._req.locale):
            self._service.request_password_reset(
                self._req.tenant, email, client_key=self._req.client_key
            )

    def complete(self, email: str, code: str, password: str, confirmation: str | None) -> None:
        """Set a new password with the emailed code; every session of the user ends."""
        self._service.reset_password(
            self._req.tenant, email, code, password, confirmation, client_key=self._req.client_key
        )
