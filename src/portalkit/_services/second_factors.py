"""Second factors: authenticator apps (TOTP, RFC 6238) and recovery codes.

:class:`SecondFactorService` (``portal.second_factors``; ``req.second_factors``
for one request) builds on the identity service's ports and flows: sessions
and the security stamp, the throttle, the audit trail and the mail queue.

- **Enrolment** begins with a fresh secret (sealed at rest with a key derived
  from the portal's secret keys, bound to its tenant and user), shown as text,
  as an ``otpauth://`` URI and as a QR code (inline SVG); it is confirmed by a
  first valid code. Confirming gives ten recovery codes, shown once.
- **A code** is accepted one time step either side of now (30 s steps), and
  only once: the last used step is stored and a code of that step or an
  earlier one is refused, with one conditional UPDATE.
- **Recovery codes** are stored as keyed digests, each works once, and a new
  set voids the old one. Using one is audited and mailed to the user.
- **Every check** (sign-in, confirming, removing) is throttled per user and
  client like passwords, and audited (``mfa.enrol``, ``mfa.remove``,
  ``mfa.verify``, ``mfa.recovery_codes``) with its outcome. A wrong code
  changes nothing but the failure counts.
- **Adding or removing** the authenticator app rotates the security stamp
  (every other session ends, outstanding codes and links are void), gives this
  browser a new session and mails the user.

Sign-in with a second factor starts in
:meth:`~portalkit._services.identity.IdentityService.login`, which raises
:class:`~portalkit.errors.SecondFactorRequired` (see
:mod:`portalkit._services.second_factor_pending`); :meth:`complete_sign_in`
and, for a user who must enrol first, :meth:`begin_enrolment` /
:meth:`confirm_enrolment` finish it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any, TypeVar

import attrs

from portalkit._services.audit import FAILED, SUCCESS, THROTTLED, record
from portalkit._services.identity import IdentityService
from portalkit._services.identity_types import SESSION_ENDED, SignIn
from portalkit._services.one_time_codes import insert_or_replace, put_code
from portalkit._services.second_factor_pending import (
    check_pending,
    pending_user_id,
)
from portalkit._services.second_factor_types import (
    RecoveryCodes,
    SecondFactorStatus,
    TotpEnabled,
    TotpEnrolment,
)
from portalkit._services.stamps import rotate_security_stamp
from portalkit._services.throttle import Attempt, Limit, account_limits, acquire_all, throttle_key
from portalkit.domain.i18n import Msg
from portalkit.domain.identity import CodePurpose, OneTimeCode, code_digest
from portalkit.domain.principals import User
from portalkit.domain.second_factors import (
    RECOVERY_ALPHABET,
    RECOVERY_LENGTH,
    RecoveryCode,
    TotpFactor,
    accepted_step,
    must_enrol,
    normalize_recovery_code,
    normalize_totp_code,
    recovery_digests,
)
from portalkit.domain.sessions import token_hash
from portalkit.domain.tenants import MfaPolicy, Tenant
from portalkit.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    ReauthenticationRequired,
    ThrottledError,
)
from portalkit.ports import SecretBox, TotpAlgorithm, UnitOfWork

__all__ = ["CODE_FIELD", "SecondFactorService"]

#: The field a wrong code is reported under.
CODE_FIELD = "code"
_R = TypeVar("_R")


def _context(factor_or_user: TotpFactor | User) -> str:
    if isinstance(factor_or_user, TotpFactor):
        return f"totp:{factor_or_user.tenant_id}:{factor_or_user.user_id}"
    return f"totp:{factor_or_user.tenant_id}:{factor_or_user.id}"


class SecondFactorService:
    """Authenticator apps and recovery codes, and signing in with them.

    Args:
        identity: The identity service whose ports, settings and flows
            (sessions, stamp, throttle, audit, mail) this builds on.
        totp: The TOTP algorithm (:class:`~portalkit.adapters.second_factors.PyotpTotp`).
        box: Seals secrets at rest
            (:class:`~portalkit.adapters.second_factors.AesGcmSecretBox`).
    """

    def __init__(self, identity: IdentityService, *, totp: TotpAlgorithm, box: SecretBox) -> None:
        self._identity = identity
        self._storage = identity._storage
        self._clock = identity._clock
        self._totp = totp
        self._box = box

    # Reading -----------------------------------------------------------------
    def status(self, tenant: Tenant, user_id: int) -> SecondFactorStatus:
        """The user's second factors and whether the tenant requires one of them."""
        with self._storage.unit_of_work(read_only=True) as uow:
            user = self._identity._user(uow, tenant, user_id)
            factor = uow.second_factors.totp(tenant.id, user.id)
            left = uow.second_factors.recovery_codes_left(tenant.id, user.id)
        return SecondFactorStatus(
            policy=tenant.settings.mfa,
            totp=factor is not None and factor.confirmed,
            recovery_codes_left=left,
            required=must_enrol(tenant.settings.mfa, user),
        )

    # Enrolment ---------------------------------------------------------------
    def begin_totp(self, tenant: Tenant, user_id: int) -> TotpEnrolment:
        """Start adding an authenticator app: a new secret, its URI and QR code.

        A pending enrolment of the user is replaced; a confirmed app is not.

        Raises:
            PermissionDeniedError: The tenant's policy is off.
            ConflictError: The user already has an authenticator app.
        """
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            enrolment = self._begin(uow, tenant, user)
            uow.commit()
        return enrolment

    def _begin(self, uow: UnitOfWork, tenant: Tenant, user: User) -> TotpEnrolment:
        if tenant.settings.mfa is MfaPolicy.OFF:
            raise PermissionDeniedError(Msg("mfa.off"))
        existing = uow.second_factors.totp(tenant.id, user.id)
        if existing is not None and existing.confirmed:
            raise ConflictError(Msg("mfa.already_enrolled"))
        secret = self._totp.new_secret()
        sealed = self._box.seal(secret.encode(), _context(user))
        factors = uow.second_factors
        insert_or_replace(
            lambda: factors.totp(tenant.id, user.id), factors.add_totp, factors.update_totp,
            TotpFactor(
                id=0, tenant_id=tenant.id, user_id=user.id, secret=sealed,
                created_at=self._clock.now(),
            ),
        )
        uri = self._totp.uri(
            secret, account=user.email, issuer=tenant.name
        )
        return TotpEnrolment(secret=secret, uri=uri, qr_svg=self._totp.qr_svg(uri))

    def confirm_totp(
        self, tenant: Tenant, user_id: int, code: str, *,
        client_key: str | None = None, user_agent: str | None = None,
    ) -> TotpEnabled:
        """Finish adding the authenticator app with its first code.

        Every other session of the user ends (the security stamp rotates);
        the result holds a new session for this browser and the first set of
        recovery codes. The user is mailed.

        Raises:
            InvalidInputError: The code is wrong or malformed (``fields["code"]``).
            NotFoundError: No enrolment was started.
            ThrottledError: Too many wrong codes for this user or client.
        """
        now = self._clock.now()
        attempt = self._acquire(tenant, user_id, client_key, now)
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            result = self._confirm(uow, tenant, user, code, now=now, client_key=client_key,
                                   user_agent=user_agent)
            uow.commit()
        return self._settle(tenant, attempt, user_id, client_key, result)

    def _confirm(
        self, uow: UnitOfWork, tenant: Tenant, user: User, code: str, *, now: dt.datetime,
        client_key: str | None, user_agent: str | None,
    ) -> TotpEnabled | None:
        """Confirm in *uow* (the caller commits either way); None when the code is wrong."""
        factor = uow.second_factors.totp(tenant.id, user.id)
        if factor is None or factor.confirmed:
            raise NotFoundError(Msg("mfa.no_enrolment"))
        step = self._totp_step(factor, code, now)
        if step is None:
            self._audit(uow, tenant, user, "mfa.enrol", FAILED, client_key=client_key)
            return None
        uow.second_factors.update_totp(attrs.evolve(factor, confirmed_at=now, last_step=step))
        codes = self._new_recovery_codes(uow, tenant, user, now)
        signed = self._end_other_sessions(uow, tenant, user, now, user_agent)
        self._audit(uow, tenant, user, "mfa.enrol", SUCCESS, client_key=client_key)
        self._notify(uow, tenant, user, "mfa_enabled")
        return TotpEnabled(sign_in=signed, recovery_codes=codes)

    def remove_totp(
        self, tenant: Tenant, user_id: int, code: str, *,
        client_key: str | None = None, user_agent: str | None = None,
    ) -> SignIn:
        """Remove the authenticator app and the recovery codes, proven by a current code.

        *code* is a code from the app or a recovery code. Every other session
        ends; the result is a new session for this browser. The user is mailed.

        Raises:
            InvalidInputError: The code is wrong, used or malformed.
            NotFoundError: The user has no authenticator app.
            ThrottledError: Too many wrong codes for this user or client.
        """
        now = self._clock.now()
        attempt = self._acquire(tenant, user_id, client_key, now)
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            factor = uow.second_factors.totp(tenant.id, user.id)
            if factor is None or not factor.confirmed:
                raise NotFoundError(Msg("mfa.not_enrolled"))
            signed: SignIn | None = None
            if self._verify(uow, tenant, user, factor, code, now=now, client_key=client_key):
                uow.second_factors.delete_totp(tenant.id, user.id)
                uow.second_factors.replace_recovery_codes(tenant.id, user.id, [])
                signed = self._end_other_sessions(uow, tenant, user, now, user_agent)
                self._audit(uow, tenant, user, "mfa.remove", SUCCESS, client_key=client_key)
                self._notify(uow, tenant, user, "mfa_removed")
            else:
                self._audit(uow, tenant, user, "mfa.remove", FAILED, client_key=client_key)
            uow.commit()
        return self._settle(tenant, attempt, user_id, client_key, signed)

    def regenerate_recovery_codes(
        self, tenant: Tenant, user_id: int, *, client_key: str | None = None
    ) -> RecoveryCodes:
        """A new set of recovery codes (shown once); the old set stops working.

        Raises:
            NotFoundError: The user has no authenticator app.
        """
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            factor = uow.second_factors.totp(tenant.id, user.id)
            if factor is None or not factor.confirmed:
                raise NotFoundError(Msg("mfa.not_enrolled"))
            codes = self._new_recovery_codes(uow, tenant, user, now)
            self._audit(uow, tenant, user, "mfa.recovery_codes", SUCCESS, client_key=client_key)
            uow.commit()
        return codes

    # Signing in --------------------------------------------------------------
    def complete_sign_in(
        self, tenant: Tenant, pending: str, code: str, *,
        client_key: str | None = None, user_agent: str | None = None,
    ) -> SignIn:
        """Finish a sign-in that raised ``SecondFactorRequired``, with a code.

        *code* is a code from the authenticator app or a recovery code. The
        pending sign-in works once; a wrong code counts against it (then the
        password must be entered again) and against the throttle.

        Raises:
            InvalidInputError: The code is wrong, used or malformed (nothing changes).
            InvalidTokenError: The pending sign-in is malformed, expired, used,
                locked, another user's, or its user's stamp changed.
            ThrottledError: Too many wrong codes for this user or client.
        """
        now = self._clock.now()
        attempt = self._acquire(tenant, pending_user_id(pending), client_key, now)
        rules = self._identity.config.mfa
        ended: InvalidTokenError | None = None
        signed: SignIn | None = None
        with self._storage.unit_of_work() as uow:
            try:
                checked = check_pending(uow, tenant, pending, CodePurpose.SECOND_FACTOR, now,
                                        key=self._identity._pending_key, rules=rules)
            except InvalidTokenError as exc:
                ended = exc
                self._audit(uow, tenant, None, "mfa.verify", FAILED, client_key=client_key,
                            detail={"reason": "pending"})
            else:
                user = checked.user
                factor = uow.second_factors.totp(tenant.id, user.id)
                ok = factor is not None and factor.confirmed and self._verify(
                    uow, tenant, user, factor, code, now=now, client_key=client_key
                )
                if ok and not uow.codes.consume(
                    tenant.id, CodePurpose.SECOND_FACTOR, user.id, checked.code.digest,
                    now=now, max_attempts=rules.pending_attempts,
                ):
                    uow.rollback()  # a concurrent completion won: this one leaves no trace
                    raise InvalidTokenError(Msg("mfa.pending_ended"))
                if ok:
                    self._audit(uow, tenant, user, "mfa.verify", SUCCESS, client_key=client_key)
                    signed = self._identity._sign_in(uow, tenant, user, now, user_agent)
                    self._record_step_up(uow, tenant, user, signed.session_id, now)
                else:
                    uow.codes.record_failure(tenant.id, CodePurpose.SECOND_FACTOR, user.id,
                                             now=now, max_attempts=rules.pending_attempts)
                    self._audit(uow, tenant, user, "mfa.verify", FAILED, client_key=client_key)
            uow.commit()
        if ended is not None:
            raise ended
        return self._settle(tenant, attempt, pending_user_id(pending), client_key, signed)

    def begin_enrolment(self, tenant: Tenant, pending: str) -> TotpEnrolment:
        """Start adding an authenticator app during a sign-in that must enrol first.

        Raises:
            InvalidTokenError: The pending sign-in is not good (any reason).
        """
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            checked = check_pending(uow, tenant, pending, CodePurpose.ENROL_SECOND_FACTOR, now,
                                    key=self._identity._pending_key,
                                    rules=self._identity.config.mfa)
            enrolment = self._begin(uow, tenant, checked.user)
            uow.commit()
        return enrolment

    def confirm_enrolment(
        self, tenant: Tenant, pending: str, code: str, *,
        client_key: str | None = None, user_agent: str | None = None,
    ) -> TotpEnabled:
        """Finish enrolling during sign-in: the app is in use and the user is signed in.

        Raises:
            InvalidInputError: The code is wrong or malformed.
            InvalidTokenError: The pending sign-in is not good (any reason).
            ThrottledError: Too many wrong codes for this user or client.
        """
        now = self._clock.now()
        rules = self._identity.config.mfa
        attempt = self._acquire(tenant, pending_user_id(pending), client_key, now)
        with self._storage.unit_of_work() as uow:
            checked = check_pending(uow, tenant, pending, CodePurpose.ENROL_SECOND_FACTOR, now,
                                    key=self._identity._pending_key, rules=rules)
            user = checked.user
            result = self._confirm(uow, tenant, user, code, now=now, client_key=client_key,
                                   user_agent=user_agent)
            if result is None:
                uow.codes.record_failure(tenant.id, CodePurpose.ENROL_SECOND_FACTOR, user.id,
                                         now=now, max_attempts=rules.pending_attempts)
            elif not uow.codes.consume(
                tenant.id, CodePurpose.ENROL_SECOND_FACTOR, user.id, checked.code.digest,
                now=now, max_attempts=rules.pending_attempts,
            ):
                uow.rollback()
                raise InvalidTokenError(Msg("mfa.pending_ended"))
            uow.commit()
        return self._settle(tenant, attempt, user.id, client_key, result)

    def staff_reset(
        self, tenant: Tenant, user_id: int, *, staff_user_id: int | None, reason: str
    ) -> None:
        """Remove every second factor of a user who lost them, after staff proved who they are.

        The staff reset path: the app and the recovery codes go, the security
        stamp rotates (every session and pending sign-in ends), the user is
        mailed, and the audit trail records ``mfa.reset`` with the staff user
        and *reason*. The user then signs in with the password alone and,
        where the policy requires one, enrols again.

        Raises:
            InvalidInputError: *reason* is empty (say how the identity was proven).
            InvalidTokenError: No such active user.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInputError.for_field("reason", Msg("field.required"))
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            uow.second_factors.delete_totp(tenant.id, user.id)
            uow.second_factors.replace_recovery_codes(tenant.id, user.id, [])
            rotate_security_stamp(uow, user)
            uow.sessions.delete_for_user(tenant.id, user.id)
            record(uow, self._clock, tenant_id=tenant.id, action="mfa.reset", outcome=SUCCESS,
                   actor=staff_user_id, target=f"user:{user.id}",
                   detail={"reason": reason.strip()[:200]})
            self._notify(uow, tenant, user, "mfa_removed")
            uow.commit()
        self._identity.mail_queue.notify()

    # Step-up -----------------------------------------------------------------
    def step_up(
        self, tenant: Tenant, user_id: int, session: str, code: str, *,
        client_key: str | None = None,
    ) -> None:
        """Check a code for this session: its sensitive actions are allowed for a while.

        For ``IdentityConfig.mfa.step_up_window`` (15 minutes) after a good
        code from the app or a recovery code, :meth:`require_step_up` lets the
        session through.

        Raises:
            InvalidInputError: The code is wrong, used or malformed.
            NotFoundError: The user has no authenticator app.
            InvalidTokenError: *session* is not a live session of the user.
            ThrottledError: Too many wrong codes for this user or client.
        """
        now = self._clock.now()
        attempt = self._acquire(tenant, user_id, client_key, now)
        with self._storage.unit_of_work() as uow:
            user = self._identity._user(uow, tenant, user_id)
            factor = uow.second_factors.totp(tenant.id, user.id)
            if factor is None or not factor.confirmed:
                raise NotFoundError(Msg("mfa.not_enrolled"))
            session_id = self._session_of(uow, tenant, user, session)
            ok = self._verify(uow, tenant, user, factor, code, now=now, client_key=client_key)
            if ok:
                self._record_step_up(uow, tenant, user, session_id, now)
            self._audit(uow, tenant, user, "mfa.step_up", SUCCESS if ok else FAILED,
                        client_key=client_key)
            uow.commit()
        self._settle(tenant, attempt, user_id, client_key, True if ok else None)

    def require_step_up(self, tenant: Tenant, user: User, session: str | None, action: str) -> None:
        """Raise ReauthenticationRequired unless *action* may go ahead in this session.

        It may when the tenant's policy is off, the action is not one of
        ``IdentityConfig.mfa.sensitive``, the user has no authenticator app
        (a password is then all they have), or the session passed a
        second-factor check (sign-in or :meth:`step_up`) within the window.
        """
        rules = self._identity.config.mfa
        if tenant.settings.mfa is MfaPolicy.OFF or action not in rules.sensitive:
            return
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            factor = uow.second_factors.totp(tenant.id, user.id)
            if factor is None or not factor.confirmed:
                return
            found = (uow.sessions.find_with_user(tenant.id, token_hash(session) or "")
                     if session else None)
            checked = (uow.codes.get_for(tenant.id, CodePurpose.STEP_UP, found[0].id)
                       if found is not None and found[1].id == user.id else None)
        if (
            checked is None or found is None or checked.expires_at <= now
            or not hmac.compare_digest(
                checked.digest, self._step_up_digest(tenant, found[1], found[0].id)
            )
        ):
            raise ReauthenticationRequired(action)

    def _session_of(self, uow: UnitOfWork, tenant: Tenant, user: User, session: str) -> int:
        found = uow.sessions.find_with_user(tenant.id, token_hash(session) or "")
        if found is None or found[1].id != user.id:
            raise InvalidTokenError(SESSION_ENDED)
        return found[0].id

    def _step_up_digest(self, tenant: Tenant, user: User, session_id: int) -> str:
        return code_digest(self._identity._pending_key, CodePurpose.STEP_UP.value, tenant.id,
                           session_id, "", bound_to=user.security_stamp)

    def _record_step_up(
        self, uow: UnitOfWork, tenant: Tenant, user: User, session_id: int, now: dt.datetime
    ) -> None:
        """This session passed a second-factor check now (the caller commits)."""
        put_code(uow.codes, OneTimeCode(
            id=0, tenant_id=tenant.id, purpose=CodePurpose.STEP_UP,
            subject_id=session_id, digest=self._step_up_digest(tenant, user, session_id),
            created_at=now, expires_at=now + self._identity.config.mfa.step_up_window,
        ))

    # The pieces --------------------------------------------------------------
    def _limits(self, tenant: Tenant, user_id: int | None, client_key: str | None) -> list[Limit]:
        rules = self._identity.config.mfa
        if user_id is None:  # a malformed pending value: only the client is known
            return [Limit(throttle_key("mfa", tenant.id, "client", client_key or "-"),
                          rules.client)]
        return account_limits("mfa", tenant.id, f"user:{user_id}", client_key,
                              per_client=rules.account, overall=rules.account_global,
                              client=rules.client)

    def _acquire(
        self, tenant: Tenant, user_id: int | None, client_key: str | None, now: dt.datetime
    ) -> Attempt:
        try:
            return acquire_all(self._identity._throttle, self._limits(tenant, user_id, client_key),
                               now)
        except ThrottledError:
            self._identity._audit_now(tenant, "mfa.verify", THROTTLED, None, client_key)
            raise

    def _settle(
        self, tenant: Tenant, attempt: Attempt, user_id: int | None, client_key: str | None,
        result: _R | None,
    ) -> _R:
        """After the commit: a wrong code stays counted and is an error; a right one is forgiven."""
        if result is None:
            raise InvalidInputError.for_field(CODE_FIELD, Msg("mfa.code_wrong"))
        attempt.succeeded(reset=[limit.key for limit in attempt.limits[-2:]])
        self._identity.mail_queue.notify()
        return result

    def _totp_step(self, factor: TotpFactor, code: str, now: dt.datetime) -> int | None:
        digits = normalize_totp_code(code)
        if digits is None:
            return None
        secret = self._box.open(factor.secret, _context(factor)).decode()
        return accepted_step(digits, now, factor.last_step,
                             lambda step: self._totp.code_at(secret, step))

    def _verify(
        self, uow: UnitOfWork, tenant: Tenant, user: User, factor: TotpFactor, code: str, *,
        now: dt.datetime, client_key: str | None,
    ) -> bool:
        """Whether *code* (from the app, or a recovery code) is good; uses it if so."""
        step = self._totp_step(factor, code, now)
        if step is not None:
            return uow.second_factors.use_step(tenant.id, factor.id, step)
        recovery = normalize_recovery_code(code)
        if recovery is None:
            return False
        digests = recovery_digests(self._identity._recovery_keys, tenant.id, user.id, recovery)
        if not uow.second_factors.use_recovery_code(tenant.id, user.id, digests, now=now):
            return False
        left = uow.second_factors.recovery_codes_left(tenant.id, user.id)
        self._audit(uow, tenant, user, "mfa.recovery_code", SUCCESS, client_key=client_key,
                    detail={"remaining": str(left)})
        self._notify(uow, tenant, user, "mfa_recovery_used", remaining=left)
        return True

    def _new_recovery_codes(
        self, uow: UnitOfWork, tenant: Tenant, user: User, now: dt.datetime
    ) -> RecoveryCodes:
        raw = [
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
            for _ in range(self._identity.config.mfa.recovery_codes)
        ]
        key = self._identity._recovery_keys[0]
        uow.second_factors.replace_recovery_codes(tenant.id, user.id, [
            RecoveryCode(id=0, tenant_id=tenant.id, user_id=user.id, created_at=now,
                         digest=recovery_digests([key], tenant.id, user.id, code)[0])
            for code in raw
        ])
        return RecoveryCodes.of(raw)

    def _end_other_sessions(
        self, uow: UnitOfWork, tenant: Tenant, user: User, now: dt.datetime,
        user_agent: str | None,
    ) -> SignIn:
        """Rotate the stamp (every session and outstanding proof ends); a new session here."""
        rotated = rotate_security_stamp(uow, user)
        uow.sessions.delete_for_user(tenant.id, user.id)
        signed = self._identity._sign_in(uow, tenant, rotated, now, user_agent)
        # The user just proved the second factor in this browser.
        self._record_step_up(uow, tenant, rotated, signed.session_id, now)
        return signed

    def _notify(self, uow: UnitOfWork, tenant: Tenant, user: User, kind: str,
                **params: Any) -> None:
        mail = self._identity._mail
        if mail.has_mailer:
            message = mail.notice(tenant, kind, to=user.email, to_name=user.name, **params)
            self._identity.mail_queue.enqueue(uow, tenant.id, message)

    def _audit(
        self, uow: UnitOfWork, tenant: Tenant, user: User | None, action: str, outcome: str,
        *, client_key: str | None, detail: dict[str, str] | None = None,
    ) -> None:
        record(uow, self._clock, tenant_id=tenant.id, action=action, outcome=outcome,
               actor=user.id if user else None, target=f"user:{user.id}" if user else None,
               client_key=client_key, detail=detail)
