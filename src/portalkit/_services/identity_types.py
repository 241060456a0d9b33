"""The identity use cases' settings, results and messages, and the password pieces.

Part of :class:`~portalkit._services.identity.IdentityService` (and of
registration by proof); :func:`set_password` and :func:`default_password_policy`
are what other use cases (accepting an invitation) build on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import attrs

from portalkit._services.account_flow import checked_password_hash
from portalkit._services.stamps import rotate_security_stamp
from portalkit.data import COMMON_PASSWORDS
from portalkit.domain.identity import CodeRules, ThrottleRule
from portalkit.domain.passwords import PasswordPolicy
from portalkit.domain.principals import Principal, User
from portalkit.domain.second_factors import MfaRules
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConfigurationError
from portalkit.ports import PasswordHasher, UnitOfWork

THROTTLED = "throttled"
#: The field a wrong or missing current password is reported under.
CURRENT_PASSWORD_FIELD = "current_password"  # noqa: S105 (a field name)
_NEED_CURRENT_PASSWORD = "Enter your current password to change your email or phone number."  # noqa: S105
#: The one message for every failed claim.
CLAIM_FAILED = (
    "We could not match these details to an account. Check them, or contact us for help."
)
#: The one message for every unusable reset or proof code.
CODE_FAILED = "This code is not valid or has expired. Request a new one and try again."
#: The one message for every session that cannot be used (expired, ended,
#: forged, another tenant's): which of these it was is never told.
SESSION_ENDED = "Your session has ended. Please sign in again."


def default_password_policy(min_length: int = 15) -> PasswordPolicy:
    """The standard policy: NIST rules with the packaged common-password blocklist."""
    return PasswordPolicy(min_length=min_length, blocklist=COMMON_PASSWORDS)


def set_password(
    uow: UnitOfWork,
    tenant: Tenant,
    user: User,
    password: str,
    confirmation: str | None,
    *,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
) -> User:
    """Give *user* a new password inside *uow* (the caller commits).

    Checks the policy (with the tenant's name and the user's email and name as
    context words), hashes the NFKC-normalized password and rotates the
    security stamp, which ends every existing session of the user and voids
    their outstanding reset codes and set-password links.

    Raises:
        InvalidInputError: ``fields`` names ``password`` and/or
            ``password_confirmation`` with the reason.
    """
    return rotate_security_stamp(
        uow,
        user,
        password_hash=checked_password_hash(
            password, confirmation, policy=policy, hasher=hasher,
            context=(tenant.name, user.email, user.name),
        ),
    )


#: Default limits (see :class:`IdentityConfig`).
LOGIN_ACCOUNT = ThrottleRule(limit=10, window=dt.timedelta(minutes=15))
#: NIST SP 800-63B allows at most 100 consecutive failures per account.
LOGIN_ACCOUNT_GLOBAL = ThrottleRule(
    limit=100, window=dt.timedelta(hours=24), backoff_base=dt.timedelta(minutes=15)
)
LOGIN_CLIENT = ThrottleRule(limit=100, window=dt.timedelta(minutes=15))
CLAIM_RECORD = ThrottleRule(limit=10, window=dt.timedelta(hours=24))
CLAIM_RECORD_GLOBAL = ThrottleRule(
    limit=100, window=dt.timedelta(hours=24), backoff_base=dt.timedelta(hours=1)
)
CLAIM_CLIENT = ThrottleRule(limit=30, window=dt.timedelta(hours=1))
RESET_REQUESTS = ThrottleRule(limit=5, window=dt.timedelta(hours=1))
RESET_REQUESTS_GLOBAL = ThrottleRule(
    limit=20, window=dt.timedelta(hours=24), backoff_base=dt.timedelta(hours=1)
)
RESET_CLIENT = ThrottleRule(limit=30, window=dt.timedelta(hours=1))
#: Each per-(account, client) rule and the overall rule of the same account.
_ACCOUNT_RULE_PAIRS = (
    ("login_account", "login_account_global"),
    ("claim_record", "claim_record_global"),
    ("reset_requests", "reset_requests_global"),
)
CODE_RULES = CodeRules()
MFA_RULES = MfaRules()
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = dt.timedelta(days=14)
SESSION_TOUCH_INTERVAL = dt.timedelta(minutes=1)


def _positive(instance: object, attribute: attrs.Attribute[dt.timedelta], value: object) -> None:
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise ConfigurationError(f"{attribute.name} must be a positive timedelta.")


@attrs.frozen(kw_only=True)
class IdentityConfig:
    """Settings of the identity use cases (all have safe defaults).

    Attributes:
        password_policy: The password rules (:func:`default_password_policy`).
        session_idle_timeout: A session ends after this long without a
            request (default 30 minutes).
        session_absolute_timeout: A session ends this long after sign-in,
            however active (default 14 days); at least the idle timeout.
        session_touch_interval: "Last seen" is written at most once per this
            interval per session (default 1 minute), so most requests only
            read; shorter than the idle timeout.
        login_account: Failed sign-ins per account *from one client* (default
            10 per 15 minutes, then exponential back-off). The account is the
            normalized identifier (E.164 phone, lower-cased email, username),
            counted alike whether or not anyone has it; another client is not
            refused because of this one's failures.
        login_account_global: Failed sign-ins per account from all clients
            together (default 100 per 24 hours, NIST SP 800-63B's ceiling, then
            blocks from 15 minutes up, doubling); at least ``login_account``'s
            limit. A success or a password reset by emailed code clears it.
        login_client: Failures per client key, whatever the account.
        claim_record: Failed claims per phone number from one client (10 per
            24 hours).
        claim_record_global: Failed claims per phone number from all clients
            (100 per 24 hours); at least ``claim_record``'s limit.
        claim_client: Failed claims per client key.
        reset_requests: Reset-code requests per email address from one
            client (5 per hour).
        reset_requests_global: Reset-code requests per email address from all
            clients (20 per 24 hours: mail bombing); at least
            ``reset_requests``'s limit.
        reset_client: Reset requests and code attempts per client key.
        codes: Lifetime, attempts and length of emailed codes.
        claim_email_proof: After a matching claim, the customer proves the
            email address with an emailed code (the default); False accepts
            the bare match of seed 004. ``TenantSettings.claim_email_proof``,
            when a tenant has it, wins.
        claim_role: The role (by name) a registered customer gets at their
            organization; None grants nothing (the host reacts to the
            ``registration.completed`` outbox event).
        mfa: Limits of second factors: the pending sign-in's lifetime and
            wrong codes, recovery codes per set, throttling
            (:class:`~portalkit.domain.second_factors.MfaRules`).

    The From address of identity emails is the portal's one default for all
    mail (:attr:`portalkit.config.PortalConfig.sender_email`).
    """

    password_policy: PasswordPolicy = attrs.field(factory=default_password_policy)
    session_idle_timeout: dt.timedelta = attrs.field(
        default=SESSION_IDLE_TIMEOUT, validator=_positive
    )
    session_absolute_timeout: dt.timedelta = attrs.field(
        default=SESSION_ABSOLUTE_TIMEOUT, validator=_positive
    )
    session_touch_interval: dt.timedelta = attrs.field(
        default=SESSION_TOUCH_INTERVAL, validator=_positive
    )
    login_account: ThrottleRule = LOGIN_ACCOUNT
    login_account_global: ThrottleRule = LOGIN_ACCOUNT_GLOBAL
    login_client: ThrottleRule = LOGIN_CLIENT
    claim_record: ThrottleRule = CLAIM_RECORD
    claim_record_global: ThrottleRule = CLAIM_RECORD_GLOBAL
    claim_client: ThrottleRule = CLAIM_CLIENT
    reset_requests: ThrottleRule = RESET_REQUESTS
    reset_requests_global: ThrottleRule = RESET_REQUESTS_GLOBAL
    reset_client: ThrottleRule = RESET_CLIENT
    codes: CodeRules = CODE_RULES
    claim_email_proof: bool = True
    claim_role: str | None = None
    mfa: MfaRules = MFA_RULES

    def __attrs_post_init__(self) -> None:
        if self.session_idle_timeout > self.session_absolute_timeout:
            raise ConfigurationError(
                "session_idle_timeout must not be longer than session_absolute_timeout."
            )
        if self.session_touch_interval >= self.session_idle_timeout:
            # Activity would never be recorded before the session idles out.
            raise ConfigurationError(
                "session_touch_interval must be shorter than session_idle_timeout."
            )
        for per_client, overall in _ACCOUNT_RULE_PAIRS:
            one, every = getattr(self, per_client), getattr(self, overall)
            if (
                isinstance(one, ThrottleRule) and isinstance(every, ThrottleRule)
                and every.limit < one.limit
            ):
                raise ConfigurationError(
                    f"identity.{overall} must allow at least as many failures as "
                    f"identity.{per_client} ({one.limit})."
                )


@attrs.frozen(kw_only=True)
class SessionInfo:
    """A live session: who it is, which session, and whether to record activity.

    Attributes:
        session_id: The session's record (pass it to ``touch``; a user sees it
            in ``sessions`` and ends it with ``end_session``).
        issued_at: When the user signed in.
        last_seen_at: The last recorded activity.
        expires_at: When it ends unless seen again (the earlier of the idle and
            absolute timeouts).
        touch_due: True when the caller should call ``touch`` for this
            request (at most once per ``session_touch_interval``).
    """

    principal: Principal
    user: User
    session_id: int
    issued_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    touch_due: bool


@attrs.frozen(kw_only=True)
class SignIn:
    """A successful sign-in.

    Attributes:
        session: The session token: opaque and random; only its hash is
            stored. Keep it in an HttpOnly cookie and pass it to
            ``authenticate`` on each request and to ``sign_out`` at the end.
        session_id: The session's record.
        expires_at: When the session ends at the latest (the absolute
            timeout); the idle timeout can end it sooner.
    """

    principal: Principal
    user: User
    session: str = attrs.field(repr=False)
    session_id: int
    expires_at: dt.datetime


@attrs.frozen(kw_only=True)
class ClaimTicket:
    """The answer to a claim whose details matched (or looked as if they did).

    Attributes:
        ticket: Pass it back to ``complete_claim`` with the emailed code and the
            new password. It holds no personal data.
        code_sent: True when a code was emailed to the address on file.
        expires_at: When the ticket (and the code) stop working.
    """

    ticket: str = attrs.field(repr=False)
    code_sent: bool
    expires_at: dt.datetime


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"portalkit/identity/{purpose}".encode(), hashlib.sha256).digest()
