"""The pending sign-in: the state between a right password and the second factor.

When the password is right and the tenant's policy asks for a second factor
(or for enrolling one), sign-in stores a pending state instead of a session
and raises :class:`~portalkit.errors.SecondFactorRequired` with its value.
The state is a one-time code row (purpose ``second_factor`` or
``enrol_second_factor``, subject the user): at most one per user (a newer
sign-in replaces it), valid for ``IdentityConfig.mfa.pending_lifetime``
(5 minutes), single use (one conditional UPDATE consumes it), a few wrong
codes at most, and its digest is keyed with the user's security stamp, so a
password change or "sign out everywhere" voids it.

The value given to the browser is ``<user id>.<random>``: the id says which
row to look at, the random part is the proof (only its keyed digest is stored).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import attrs

from portalkit._services.one_time_codes import put_code
from portalkit.domain.i18n import Msg
from portalkit.domain.identity import CodePurpose, OneTimeCode, code_digest
from portalkit.domain.principals import User
from portalkit.domain.second_factors import MfaRules, asks_second_factor, must_enrol
from portalkit.domain.tenants import MfaPolicy, Tenant
from portalkit.errors import InvalidTokenError, SecondFactorRequired
from portalkit.ports import UnitOfWork

__all__ = ["PendingCheck", "check_pending", "pending_user_id", "start_pending"]

_MAX_TOKEN = 100


def pending_user_id(token: object) -> int | None:
    """The user a pending value names (unproven), or None when it is malformed."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        return None
    head, _, proof = token.partition(".")
    if not (head.isascii() and head.isdigit()) or len(head) > 18 or not proof:
        return None
    return int(head)


def _digest(key: bytes, purpose: CodePurpose, tenant: Tenant, user: User, proof: str) -> str:
    return code_digest(key, purpose.value, tenant.id, user.id, proof,
                       bound_to=user.security_stamp)


def start_pending(
    uow: UnitOfWork, tenant: Tenant, user: User, now: dt.datetime, *, key: bytes, rules: MfaRules
) -> SecondFactorRequired | None:
    """Store a pending sign-in for *user* if the tenant's policy asks for one (the caller commits).

    Returns the error to raise after the commit, or None when the user signs
    in with the password alone. Reads nothing when the policy is off.
    """
    policy = tenant.settings.mfa
    if policy is MfaPolicy.OFF:
        return None
    factor = uow.second_factors.totp(tenant.id, user.id)
    if asks_second_factor(policy, enrolled=factor is not None and factor.confirmed):
        purpose = CodePurpose.SECOND_FACTOR
    elif must_enrol(policy, user):
        purpose = CodePurpose.ENROL_SECOND_FACTOR
    else:
        return None
    proof = secrets.token_urlsafe(32)
    other = (CodePurpose.ENROL_SECOND_FACTOR if purpose is CodePurpose.SECOND_FACTOR
             else CodePurpose.SECOND_FACTOR)
    earlier = uow.codes.get_for(tenant.id, other, user.id)
    if earlier is not None and earlier.used_at is None:
        # Only the newest pending sign-in of a user works.
        uow.codes.update(attrs.evolve(earlier, used_at=now))
    expires_at = now + rules.pending_lifetime
    put_code(uow.codes, OneTimeCode(
        id=0, tenant_id=tenant.id, purpose=purpose,
        subject_id=user.id, digest=_digest(key, purpose, tenant, user, proof),
        created_at=now, expires_at=expires_at,
    ))
    return SecondFactorRequired(
        f"{user.id}.{proof}", expires_at=expires_at,
        enrol_only=purpose is CodePurpose.ENROL_SECOND_FACTOR,
    )


@attrs.frozen(kw_only=True)
class PendingCheck:
    """A pending sign-in that is still good: its user and its stored row."""

    user: User
    code: OneTimeCode


def check_pending(
    uow: UnitOfWork,
    tenant: Tenant,
    token: object,
    purpose: CodePurpose,
    now: dt.datetime,
    *,
    key: bytes,
    rules: MfaRules,
) -> PendingCheck:
    """The user of a pending sign-in that is unused, unexpired and not locked.

    Raises:
        InvalidTokenError: For every reason (malformed, another user's or
            tenant's, used, expired, too many wrong codes, the security stamp
            changed, the user disabled): one message.
    """
    ended = InvalidTokenError(Msg("mfa.pending_ended"))
    user_id = pending_user_id(token)
    if user_id is None:
        raise ended
    assert isinstance(token, str)
    user = uow.users.get(tenant.id, user_id)
    stored = uow.codes.get_for(tenant.id, purpose, user_id)
    if user is None or not user.is_active or stored is None:
        raise ended
    digest = _digest(key, purpose, tenant, user, token.partition(".")[2])
    if (
        not hmac.compare_digest(stored.digest, digest)
        or stored.used_at is not None
        or stored.expires_at <= now
        or stored.failed_attempts >= rules.pending_attempts
    ):
        raise ended
    return PendingCheck(user=user, code=stored)
