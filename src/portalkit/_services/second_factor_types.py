"""The results of the second-factor use cases (:mod:`portalkit._services.second_factors`)."""

from __future__ import annotations

import attrs

from portalkit._services.identity_types import SignIn
from portalkit.domain.second_factors import format_recovery_code
from portalkit.domain.tenants import MfaPolicy

__all__ = ["RecoveryCodes", "SecondFactorStatus", "TotpEnabled", "TotpEnrolment"]


@attrs.frozen(kw_only=True)
class TotpEnrolment:
    """An authenticator app being added: what the enrolment page shows.

    Attributes:
        secret: The shared secret as text (base32), for typing into the app.
        uri: The ``otpauth://totp/…`` URI the QR code holds.
        qr_svg: The QR code as an inline ``<svg>`` element (no XML
            declaration), made on the server: put it in the page as is.
    """

    secret: str = attrs.field(repr=False)
    uri: str = attrs.field(repr=False)
    qr_svg: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class RecoveryCodes:
    """A fresh set of recovery codes: shown once, never stored in clear.

    Attributes:
        codes: The codes as shown (``abcde-fghjk-mnpqr-stuvw-xyz23``); each works once.
    """

    codes: tuple[str, ...] = attrs.field(repr=False)

    @classmethod
    def of(cls, raw: list[str]) -> RecoveryCodes:
        """The shown form of *raw* codes."""
        return cls(codes=tuple(format_recovery_code(code) for code in raw))

    def as_text(self) -> str:
        """The codes one a line, for a download (``recovery-codes.txt``)."""
        return "".join(f"{code}\n" for code in self.codes)


@attrs.frozen(kw_only=True)
class TotpEnabled:
    """An authenticator app is in use: the new session and the first recovery codes.

    Attributes:
        sign_in: A new session for this browser (every other session ended).
        recovery_codes: Shown once, now.
    """

    sign_in: SignIn
    recovery_codes: RecoveryCodes


@attrs.frozen(kw_only=True)
class SecondFactorStatus:
    """What a user's security settings page shows.

    Attributes:
        policy: The tenant's policy.
        totp: An authenticator app is in use.
        recovery_codes_left: Unused recovery codes.
        required: The policy requires this user to have a second factor.
    """

    policy: MfaPolicy
    totp: bool
    recovery_codes_left: int
    required: bool
