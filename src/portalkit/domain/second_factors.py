"""Second factors: authenticator-app codes (TOTP, RFC 6238) and recovery codes.

Pure rules, no I/O: which users must use a second factor under a tenant's
:class:`~portalkit.domain.tenants.MfaPolicy`, how typed codes are read, which
time step a TOTP code may be accepted at (one step either side of now, and
never a step already used), and how recovery codes are stored (a keyed digest,
never the code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable

import attrs

from portalkit.domain.identity import ThrottleRule
from portalkit.domain.principals import User
from portalkit.domain.tenants import MfaPolicy
from portalkit.errors import ConfigurationError

__all__ = [
    "RECOVERY_ALPHABET",
    "RECOVERY_LENGTH",
    "SENSITIVE_ACTIONS",
    "TOTP_DIGITS",
    "TOTP_PERIOD",
    "MfaRules",
    "RecoveryCode",
    "TotpFactor",
    "accepted_step",
    "asks_second_factor",
    "format_recovery_code",
    "must_enrol",
    "normalize_recovery_code",
    "normalize_totp_code",
    "recovery_digest",
    "recovery_digests",
    "time_step",
]

#: RFC 6238 defaults, which every authenticator app supports.
TOTP_DIGITS = 6
TOTP_PERIOD = 30
#: Recovery codes use lower-case letters and digits without look-alikes
#: (no 0/o, 1/l/i): 31 symbols, about 4.95 bits each.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
#: 25 symbols: about 124 bits, over the 112 that let ASVS V6.5.2 store a
#: lookup secret with a plain (here keyed) hash instead of a password hash.
RECOVERY_LENGTH = 25
_GROUP = 5
_SEPARATORS = frozenset(" -\t\u00a0")


#: The actions that need a second-factor check within ``MfaRules.step_up_window``
#: (for a user who has a second factor, on a tenant whose policy is not off).
SENSITIVE_ACTIONS = frozenset({
    "quote.approve", "password.change", "email.change", "second_factors.manage", "share.create",
})

_ACCOUNT = ThrottleRule(limit=10, window=dt.timedelta(minutes=15))
_ACCOUNT_GLOBAL = ThrottleRule(
    limit=100, window=dt.timedelta(hours=24), backoff_base=dt.timedelta(minutes=15)
)
_CLIENT = ThrottleRule(limit=100, window=dt.timedelta(minutes=15))


@attrs.frozen(kw_only=True)
class MfaRules:
    """Limits of second-factor checks (``IdentityConfig.mfa``).

    Attributes:
        pending_lifetime: How long the state between the password and the
            second factor lasts (default 5 minutes).
        pending_attempts: Wrong codes allowed on one pending sign-in (then the
            password must be entered again).
        recovery_codes: How many recovery codes a set has.
        account: Failed checks per user from one client (like
            ``login_account``).
        account_global: Failed checks per user from all clients.
        client: Failed checks per client, whatever the user.
        step_up_window: How long a second-factor check lets a session take
            sensitive actions (default 15 minutes).
        sensitive: The actions that need a recent check
            (:data:`SENSITIVE_ACTIONS` by default).
    """

    pending_lifetime: dt.timedelta = dt.timedelta(minutes=5)
    pending_attempts: int = 5
    recovery_codes: int = 10
    account: ThrottleRule = _ACCOUNT
    account_global: ThrottleRule = _ACCOUNT_GLOBAL
    client: ThrottleRule = _CLIENT
    step_up_window: dt.timedelta = dt.timedelta(minutes=15)
    sensitive: frozenset[str] = SENSITIVE_ACTIONS

    def __attrs_post_init__(self) -> None:
        if not dt.timedelta(0) < self.pending_lifetime <= dt.timedelta(minutes=15):
            raise ConfigurationError("mfa.pending_lifetime must be between 0 and 15 minutes.")
        if not 1 <= self.pending_attempts <= 10:
            raise ConfigurationError("mfa.pending_attempts must be 1 to 10.")
        if not 5 <= self.recovery_codes <= 20:
            raise ConfigurationError("mfa.recovery_codes must be 5 to 20.")
        if not dt.timedelta(minutes=1) <= self.step_up_window <= dt.timedelta(hours=12):
            raise ConfigurationError("mfa.step_up_window must be between 1 minute and 12 hours.")


@attrs.frozen(kw_only=True)
class TotpFactor:
    """A user's authenticator app: its sealed secret and the last time step used.

    Attributes:
        secret: The shared secret, encrypted (``SecretBox.seal``); never stored
            in clear.
        confirmed_at: When the user proved the app works with a first code;
            None while enrolment is pending (the factor is not used then).
        last_step: The latest time step whose code was accepted; a code of
            that step or an earlier one is refused (no replay).
    """

    id: int
    tenant_id: int
    user_id: int
    secret: str = attrs.field(repr=False)
    created_at: dt.datetime
    confirmed_at: dt.datetime | None = None
    last_step: int = 0

    @property
    def confirmed(self) -> bool:
        """Whether the factor is in use."""
        return self.confirmed_at is not None


@attrs.frozen(kw_only=True)
class RecoveryCode:
    """One single-use recovery code, stored as its keyed digest."""

    id: int
    tenant_id: int
    user_id: int
    digest: str
    created_at: dt.datetime
    used_at: dt.datetime | None = None


def asks_second_factor(policy: MfaPolicy, *, enrolled: bool) -> bool:
    """Whether a user who enrolled (or not) is asked for a second factor at sign-in."""
    return policy is not MfaPolicy.OFF and enrolled


def must_enrol(policy: MfaPolicy, user: User) -> bool:
    """Whether *user* must enrol a second factor before doing anything else."""
    return policy is MfaPolicy.EVERYONE or (policy is MfaPolicy.STAFF and user.is_staff)


def normalize_totp_code(text: object) -> str | None:
    """The six digits of a typed TOTP code (spaces and dashes dropped), or None."""
    if not isinstance(text, str) or len(text) > 20:
        return None
    digits = "".join(ch for ch in text if ch not in _SEPARATORS)
    if len(digits) != TOTP_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def normalize_recovery_code(text: object) -> str | None:
    """A typed recovery code in its stored form (lower case, no separators), or None.

    Idempotent: a normalized code normalizes to itself.
    """
    if not isinstance(text, str) or len(text) > 80:
        return None
    code = "".join(ch for ch in text if ch not in _SEPARATORS).lower()
    if len(code) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in code):
        return None
    return code


def format_recovery_code(code: str) -> str:
    """A recovery code as shown to the user: groups of five (``abcde-fghjk-…``)."""
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))


def time_step(now: dt.datetime, period: int = TOTP_PERIOD) -> int:
    """The RFC 6238 time step of *now*."""
    return int(now.timestamp()) // period


def accepted_step(
    code: str, now: dt.datetime, last_step: int, code_at: Callable[[int], str]
) -> int | None:
    """The time step at which *code* is accepted, or None.

    *code_at* gives the code of a step. Steps one either side of now are tried
    (clock drift); a step at or before *last_step* never matches, so a code
    works once.
    """
    current = time_step(now)
    found: int | None = None
    for step in (current - 1, current, current + 1):
        # Every candidate is compared, so the time does not tell which matched.
        if hmac.compare_digest(code_at(step).encode(), code.encode()) and step > last_step:
            found = step if found is None else found
    return found


def recovery_digest(key: bytes, tenant_id: int, user_id: int, code: str) -> str:
    """The stored form of a recovery code: HMAC-SHA256 over its owner and the code."""
    message = f"portalkit-recovery:{tenant_id}:{user_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def recovery_digests(keys: Iterable[bytes], tenant_id: int, user_id: int, code: str) -> list[str]:
    """The digests of *code* under every key (the newest first): rotation keeps codes working."""
    return [recovery_digest(key, tenant_id, user_id, code) for key in keys]
