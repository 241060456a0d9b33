"""The second-factor capability: ``req.second_factors``.

:mod:`portalkit.capabilities` documents and re-exports it; import it from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portalkit._capabilities_base import _Bound
from portalkit._services.identity import SignIn
from portalkit._services.second_factor_types import (
    RecoveryCodes,
    SecondFactorStatus,
    TotpEnabled,
    TotpEnrolment,
)
from portalkit._services.second_factors import SecondFactorService

if TYPE_CHECKING:
    from portalkit._request import PortalRequest


def require_step_up(req: PortalRequest, action: str) -> None:
    """Raise ReauthenticationRequired unless the request's user may take *action* now.

    Nothing to check for a guest, on a tenant whose policy is off, for an
    action that is not sensitive, or for a user without a second factor.
    """
    user = req.user
    if user is not None:
        req._portal.second_factors.require_step_up(
            req.tenant, user, req._session_value, action
        )


class RequestSecondFactors(_Bound[SecondFactorService]):
    """Authenticator apps and recovery codes for this request's user, and the
    second step of signing in. Methods that change the user's factors need a
    signed-in user (AuthenticationError otherwise); the sign-in steps take the
    pending value of :class:`~portalkit.errors.SecondFactorRequired`.
    """

    def status(self) -> SecondFactorStatus:
        """The signed-in user's factors and whether the tenant requires one."""
        user = self._req._require_user()
        return self._service.status(self._req.tenant, user.id)

    def begin_totp(self) -> TotpEnrolment:
        """Start adding an authenticator app: the secret, its URI and QR code (SVG)."""
        user = self._req._require_user()
        return self._service.begin_totp(self._req.tenant, user.id)

    def confirm_totp(self, code: str) -> TotpEnabled:
        """Finish adding the app with its first code; returns the recovery codes (show once).

        Every other session of the user ends; this request goes on with a new
        session (:attr:`~portalkit.PortalRequest.new_session`).
        """
        user = self._req._require_user()
        result = self._service.confirm_totp(
            self._req.tenant, user.id, code,
            client_key=self._req.client_key, user_agent=self._req.user_agent,
        )
        self._req._signed_in(result.sign_in)
        return result

    def remove_totp(self, code: str) -> SignIn:
        """Remove the app and the recovery codes, proven by a current code or a recovery code.

        Every other session of the user ends; this request goes on with a new session.
        A sensitive action (``second_factors.manage``): may raise ReauthenticationRequired.
        """
        user = self._req._require_user()
        require_step_up(self._req, "second_factors.manage")
        result = self._service.remove_totp(
            self._req.tenant, user.id, code,
            client_key=self._req.client_key, user_agent=self._req.user_agent,
        )
        self._req._signed_in(result)
        return result

    def regenerate_recovery_codes(self) -> RecoveryCodes:
        """A new set of recovery codes (show once); the old set stops working.

        A sensitive action (``second_factors.manage``): may raise ReauthenticationRequired.
        """
        user = self._req._require_user()
        require_step_up(self._req, "second_factors.manage")
        return self._service.regenerate_recovery_codes(
            self._req.tenant, user.id, client_key=self._req.client_key
        )

    def step_up(self, code: str) -> None:
        """Confirm it is the user with a code: sensitive actions are allowed for a while.

        The answer to :class:`~portalkit.errors.ReauthenticationRequired`
        (``IdentityConfig.mfa.step_up_window``, 15 minutes by default).
        """
        user = self._req._require_user()
        session = self._req._session_value or ""
        self._service.step_up(
            self._req.tenant, user.id, session, code, client_key=self._req.client_key
        )

    def complete_sign_in(self, pending: str, code: str) -> SignIn:
        """Finish signing in with a code from the app or a recovery code.

        This request goes on signed in (:attr:`~portalkit.PortalRequest.new_session`).
        """
        result = self._service.complete_sign_in(
            self._req.tenant, pending, code,
            client_key=self._req.client_key, user_agent=self._req.user_agent,
        )
        self._req._signed_in(result)
        return result

    def begin_enrolment(self, pending: str) -> TotpEnrolment:
        """Start adding an app during a sign-in that must enrol first (``enrol_only``)."""
        return self._service.begin_enrolment(self._req.tenant, pending)

    def confirm_enrolment(self, pending: str, code: str) -> TotpEnabled:
        """Finish enrolling during sign-in: the app is in use and this request is signed in."""
        result = self._service.confirm_enrolment(
            self._req.tenant, pending, code,
            client_key=self._req.client_key, user_agent=self._req.user_agent,
        )
        self._req._signed_in(result.sign_in)
        return result
