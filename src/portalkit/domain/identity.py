"""Pure rules of identity: who is signing in, codes, sessions, claims and back-off.

Login identifier precedence
    A login string is read in this order, and the first kind that finds a user
    wins: (1) **email** when the string is a valid email address (compared
    lower-cased), (2) **phone** when it looks like a phone number and
    normalizes to E.164 with the tenant's default region, (3) **username**,
    compared exactly (after trimming spaces). So when one string is one user's
    email and another user's username, the email owner is the one signing in;
    a string that is one user's phone number and another's username signs in
    the phone's owner. Every applicable lookup is always run, whichever
    matches, so the work done does not depend on which kind matched.

One-time codes
    Password-reset and email-proof codes are :data:`CODE_DIGITS` (default 6)
    decimal digits drawn by the caller from :mod:`secrets`; only a keyed HMAC of
    the code is stored (:func:`code_digest`), bound to the tenant, purpose,
    subject and the subject's state (a user's security stamp), so a stolen
    table does not reveal codes without the key and a code issued before a
    password change, reset, "sign out everywhere" or disabling never works
    after it.

Sessions
    Sessions are server-side records; their rules are in
    :mod:`portalkit.domain.sessions`.

Throttling
    :class:`ThrottleRule` and :class:`ThrottleState` hold the arithmetic: at
    most ``limit`` failures in a ``window``; once the limit is reached the key
    is blocked for ``backoff_base * 2**(failures - limit)`` (capped at
    ``backoff_max``) after the last failure; a full quiet window after a block
    ends forgets the key.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
from collections.abc import Sequence

import attrs

from portalkit.domain.contact import looks_like_email, looks_like_phone, normalize_email
from portalkit.domain.records import CustomerRecord
from portalkit.errors import ConfigurationError, InvalidTokenError

__all__ = [
    "CODE_DIGITS",
    "MAX_CODE_ATTEMPTS",
    "MAX_CODE_LIFETIME",
    "ClaimProblem",
    "CodePurpose",
    "CodeRules",
    "IdentifierKind",
    "LoginCandidate",
    "OneTimeCode",
    "ThrottleRule",
    "ThrottleState",
    "claim_problem",
    "code_digest",
    "login_candidates",
    "normalize_code",
    "read_signed_values",
    "sign_values",
]

#: Digits in a one-time code (at least 6).
CODE_DIGITS = 6
#: A one-time code is never valid longer than this.
MAX_CODE_LIFETIME = dt.timedelta(minutes=15)
#: Wrong guesses allowed per subject before every code of it stops working.
MAX_CODE_ATTEMPTS = 5

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
#: What may separate the digits of a typed code.
_CODE_SEPARATORS = frozenset(" -\t")


# Login identifiers -------------------------------------------------------------
class IdentifierKind(str, enum.Enum):
    """What a login string was read as, in precedence order."""

    EMAIL = "email"
    PHONE = "phone"
    USERNAME = "username"


@attrs.frozen
class LoginCandidate:
    """One way to read a login string: its kind and the value to look up.

    For ``PHONE`` the value is the text as typed; the phone normalizer turns it
    into E.164 before the lookup.
    """

    kind: IdentifierKind
    value: str


def login_candidates(identifier: str) -> list[LoginCandidate]:
    """The readings of a login string, in precedence order (email, phone, username)."""
    text = identifier.strip() if isinstance(identifier, str) else ""
    if not text:
        return []
    found = []
    if looks_like_email(text):
        found.append(LoginCandidate(IdentifierKind.EMAIL, normalize_email(text)))
    if looks_like_phone(text):
        found.append(LoginCandidate(IdentifierKind.PHONE, text))
    found.append(LoginCandidate(IdentifierKind.USERNAME, text))
    return found


# One-time codes ----------------------------------------------------------------
@attrs.frozen(kw_only=True)
class CodeRules:
    """Lifetime, attempts and length of emailed one-time codes.

    Args:
        lifetime: How long a code is valid; at most 15 minutes.
        max_attempts: Wrong guesses per code before it stops working; 1 to 5
            (a new code starts with none, so whoever reads the email can
            always get in; how often a new code may be asked for is the
            throttle's business).
        attempt_window: Deprecated and ignored: a new code no longer keeps the
            old one's wrong guesses.
        digits: Length of a code; at least 6.
    """

    lifetime: dt.timedelta = MAX_CODE_LIFETIME
    max_attempts: int = MAX_CODE_ATTEMPTS
    attempt_window: dt.timedelta = dt.timedelta(hours=24)
    digits: int = CODE_DIGITS

    def __attrs_post_init__(self) -> None:
        if not dt.timedelta(0) < self.lifetime <= MAX_CODE_LIFETIME:
            raise ConfigurationError("A one-time code may be valid for at most 15 minutes.")
        if not 1 <= self.max_attempts <= MAX_CODE_ATTEMPTS:
            raise ConfigurationError("A one-time code allows 1 to 5 attempts.")
        if not CODE_DIGITS <= self.digits <= 12:
            raise ConfigurationError("A one-time code has 6 to 12 digits.")


class CodePurpose(str, enum.Enum):
    """What a one-time code proves."""

    RESET = "reset"
    CLAIM = "claim"
    #: A sign-in whose password was right and that waits for the second factor.
    SECOND_FACTOR = "second_factor"
    #: A sign-in whose password was right and that may only enrol a second factor.
    ENROL_SECOND_FACTOR = "enrol_second_factor"
    #: A session's last second-factor check (subject: the session), for step-up.
    STEP_UP = "step_up"


@attrs.frozen(kw_only=True)
class OneTimeCode:
    """The current one-time code of one subject (a user, or a customer record).

    There is at most one per tenant, purpose and subject; a new code replaces
    the old one (digest, expiry and :attr:`failed_attempts`), so the wrong
    guesses of an attacker never lock out the owner who asks for a new code.

    Attributes:
        subject_id: The user (reset) or customer record (claim) it is for.
        digest: :func:`code_digest` of the code; the code itself is never stored.
        used_at: When it was consumed; a used code never works again.
        failed_attempts: Wrong guesses since :attr:`failures_since`.
    """

    id: int
    tenant_id: int
    purpose: CodePurpose
    subject_id: int
    digest: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    failed_attempts: int = 0
    failures_since: dt.datetime | None = None

    def renewed(
        self, *, digest: str, now: dt.datetime, rules: CodeRules
    ) -> OneTimeCode:
        """This subject's next code: new digest and expiry, no wrong guesses yet."""
        return attrs.evolve(
            self,
            digest=digest,
            created_at=now,
            expires_at=now + rules.lifetime,
            used_at=None,
            failed_attempts=0,
            failures_since=None,
        )


def normalize_code(text: object) -> str | None:
    """The digits of a code as typed (spaces and dashes dropped), or None if malformed."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    digits = "".join(ch for ch in text if ch not in _CODE_SEPARATORS)
    if not digits.isascii() or not digits.isdigit():
        return None
    return digits


def code_digest(
    key: bytes, purpose: str, tenant_id: int, subject_id: int, code: str, *, bound_to: str = ""
) -> str:
    """The stored form of a one-time code: HMAC-SHA256 over its context and digits.

    *bound_to* is the state the code is valid for (a reset code: the user's
    security stamp; an email proof: the address on file): once it changes,
    the same digits give another digest, so the code no longer matches.
    """
    message = f"portalkit-code:{purpose}:{tenant_id}:{subject_id}:{bound_to}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# Signed values -----------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).replace(b"=", b"").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "==")  # padding beyond the needed is ignored


def _sign(key: bytes, purpose: str, payload: str) -> str:
    message = f"portalkit-{purpose}:{payload}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def sign_values(key: bytes, purpose: str, values: Sequence[str | int]) -> str:
    """A compact signed string carrying *values* (not encrypted: never put secrets in it).

    *purpose* is bound into the signature, so a string signed for one purpose
    never reads as another.
    """
    body = json.dumps(list(values), separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{purpose[:1]}1.{payload}.{_sign(key, purpose, payload)}"


def read_signed_values(keys: Sequence[bytes], purpose: str, token: object) -> list[object]:
    """The values of a string made by :func:`sign_values` with any of *keys*.

    Raises:
        InvalidTokenError: Malformed, tampered with, for another purpose, or
            signed with an unknown key.
    """
    invalid = InvalidTokenError()
    if not isinstance(token, str) or len(token) > 1024 or token.count(".") != 2:
        raise invalid
    version, payload, signature = token.split(".")
    if version != f"{purpose[:1]}1" or not any(
        hmac.compare_digest(_sign(key, purpose, payload), signature) for key in keys
    ):
        raise invalid
    try:
        values = json.loads(_unb64(payload))
    except ValueError as exc:
        raise invalid from exc
    if not isinstance(values, list):
        raise invalid
    return values


# Registration by proof ---------------------------------------------------------
class ClaimProblem(str, enum.Enum):
    """Why a customer record cannot be claimed (never shown to the claimant)."""

    PORTAL_DISABLED = "portal_disabled"
    CASH_CUSTOMER = "cash_customer"
    NO_HISTORY = "no_history"
    MISSING_CONTACT = "missing_contact"


def claim_problem(record: CustomerRecord) -> ClaimProblem | None:
    """Why *record* is not eligible for registration by proof, or None if it is.

    Eligible (seed 004): the portal flag is on, it is an account (not cash)
    customer, it has at least one contract or quote, and phone, email and
    postal code are on file.
    """
    if not record.portal_enabled:
        return ClaimProblem.PORTAL_DISABLED
    if not record.is_account:
        return ClaimProblem.CASH_CUSTOMER
    if record.contract_count + record.quote_count < 1:
        return ClaimProblem.NO_HISTORY
    if not (record.phone and record.email and record.postal_code):
        return ClaimProblem.MISSING_CONTACT
    return None


# Throttling --------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class ThrottleRule:
    """How many failures a key may have, and how long it waits afterwards.

    Args:
        limit: Failures allowed within *window* before the key is blocked.
        window: The counting window, from the first failure.
        backoff_base: The first block's length (default: *window*); each
            further failure doubles it.
        backoff_max: The longest block.
    """

    limit: int = 10
    window: dt.timedelta = dt.timedelta(minutes=15)
    backoff_base: dt.timedelta | None = None
    backoff_max: dt.timedelta = dt.timedelta(hours=24)

    def __attrs_post_init__(self) -> None:
        if self.limit < 1 or self.window <= dt.timedelta(0):
            raise ConfigurationError("A throttle needs a limit of at least 1 and a window.")

    def backoff(self, failures: int) -> dt.timedelta:
        """How long a key with *failures* (at or over the limit) stays blocked."""
        base = self.backoff_base or self.window
        exponent = min(max(failures - self.limit, 0), 20)
        return min(self.backoff_max, base * (1 << exponent))


@attrs.frozen(kw_only=True)
class ThrottleState:
    """The failures counted for one key."""

    failures: int = 0
    window_start: dt.datetime | None = None
    last_failure: dt.datetime | None = None

    def blocked_until(self, rule: ThrottleRule) -> dt.datetime | None:
        """When the block ends, or None while under the limit."""
        if self.failures < rule.limit or self.last_failure is None:
            return None
        return self.last_failure + rule.backoff(self.failures)

    def refreshed(self, rule: ThrottleRule, now: dt.datetime) -> ThrottleState:
        """The state with expired windows and long-past blocks forgotten."""
        if self.failures <= 0 or self.window_start is None:
            return ThrottleState()
        until = self.blocked_until(rule)
        if until is None:
            return ThrottleState() if now >= self.window_start + rule.window else self
        return ThrottleState() if now >= until + rule.window else self

    def retry_after(self, rule: ThrottleRule, now: dt.datetime) -> float:
        """Seconds until the next attempt is allowed (0 when allowed now)."""
        until = self.refreshed(rule, now).blocked_until(rule)
        return max(0.0, (until - now).total_seconds()) if until else 0.0

    def failed(self, rule: ThrottleRule, now: dt.datetime) -> ThrottleState:
        """The state after one more failure at *now*."""
        current = self.refreshed(rule, now)
        return ThrottleState(
            failures=current.failures + 1,
            window_start=current.window_start or now,
            last_failure=now,
        )

    def forgiven(self) -> ThrottleState:
        """The state with one counted failure taken back (an attempt that succeeded)."""
        if self.failures <= 1:
            return ThrottleState()
        return attrs.evolve(self, failures=self.failures - 1)
