"""Identity: password change, and password reset by emailed code.

Part of :class:`~portalkit._services.identity.IdentityService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
import secrets
from email.message import EmailMessage

from portalkit._services.audit import FAILED, SUCCESS, record
from portalkit._services.identity_sign_in import _IdentitySignIn
from portalkit._services.identity_types import (
    CODE_FAILED,
    CURRENT_PASSWORD_FIELD,
    THROTTLED,
    SignIn,
    set_password,
)
from portalkit._services.one_time_codes import put_code
from portalkit._services.stamps import rotate_security_stamp
from portalkit._services.throttle import Limit, account_limits, acquire_all, throttle_key
from portalkit.domain.contact import normalize_email
from portalkit.domain.i18n import Msg
from portalkit.domain.identity import CodePurpose, OneTimeCode, code_digest, normalize_code
from portalkit.domain.passwords import MAX_PASSWORD_CHARS, context_words_of, normalize_password
from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant, require_open
from portalkit.errors import InvalidInputError, InvalidTokenError, ThrottledError
from portalkit.ports import UnitOfWork


class _IdentityPasswords(_IdentitySignIn):
    """A signed-in user's password change, and the reset by emailed code."""

    # Password change ---------------------------------------------------------
    def _check_current_password(
        self, tenant: Tenant, user: User, password: object, client_key: str | None,
        field: str = CURRENT_PASSWORD_FIELD,
    ) -> None:
        """One Argon2 verification of the user's current password, throttled per account."""
        now = self._clock.now()
        limits = self._login_limits(tenant, f"user:{user.id}", client_key)
        attempt = acquire_all(self._throttle, limits, now)
        text = password if isinstance(password, str) else ""
        normalized = normalize_password(text[:MAX_PASSWORD_CHARS])
        if user.password_hash and len(text) <= MAX_PASSWORD_CHARS:
            ok = self._hasher.verify(user.password_hash, normalized)
        else:
            ok = self._hasher.verify_dummy(normalized)
        if not ok:
            self._audit_now(tenant, "password.verify", FAILED, user, client_key)
            raise InvalidInputError.for_field(field, Msg("password.current_wrong"))
        attempt.succeeded(reset=[limit.key for limit in limits[-2:]])

    def change_password(
        self,
        tenant: Tenant,
        user_id: int,
        current_password: str,
        new_password: str,
        confirmation: str | None,
        *,
        client_key: str | None = None,
        user_agent: str | None = None,
    ) -> SignIn:
        """Change a signed-in user's password; every session ends.

        Returns a new session for the current browser (the old token stops
        working, as every other does). A host that prefers seed 003's "changing
        your password logs you out" simply drops it.

        Raises:
            InvalidInputError: ``current_password`` wrong, or the new password
                breaks the policy (``password`` / ``password_confirmation``).
            ThrottledError: Too many wrong current passwords.
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            user = self._user(uow, tenant, user_id)
        self.config.password_policy.check(
            new_password, confirmation, context_words_of(tenant.name, user.email, user.name)
        )
        self._check_current_password(tenant, user, current_password, client_key)
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            user = set_password(uow, tenant, user, new_password, confirmation,
                                hasher=self._hasher, policy=self.config.password_policy)
            record(uow, self._clock, tenant_id=tenant.id, action="password.change",
                   actor=user.id, target=f"user:{user.id}", client_key=client_key)
            signed = self._sign_in(uow, tenant, user, self._clock.now(), user_agent)
            uow.commit()
        return signed

    # Password reset ----------------------------------------------------------
    def _new_code(self) -> str:
        digits = self.config.codes.digits
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def _store_code(
        self, uow: UnitOfWork, tenant: Tenant, purpose: CodePurpose, subject_id: int,
        *, code: str, now: dt.datetime, bound_to: str,
    ) -> OneTimeCode:
        digest = code_digest(self._code_key, purpose.value, tenant.id, subject_id, code,
                             bound_to=bound_to)
        return put_code(uow.codes, OneTimeCode(
            id=0, tenant_id=tenant.id, purpose=purpose, subject_id=subject_id,
            digest=digest, created_at=now, expires_at=now + self.config.codes.lifetime,
        ))

    def request_password_reset(
        self, tenant: Tenant, email: str, *, client_key: str | None = None
    ) -> None:
        """Email a reset code to the address on file, if there is an account.

        The answer is the same whether or not the address has an account; the
        code goes only to the stored address, never to one the caller chose.

        Raises:
            InvalidInputError: ``email`` is not a valid address.
            ThrottledError: Too many requests for this address or client.
            ConfigurationError: The portal has no mailer, or the tenant's stored
                sender cannot be used (asked first, alike for every address).
        """
        require_open(tenant)
        self._mail.ready(tenant)
        address = normalize_email(email)
        now = self._clock.now()
        limits = account_limits("reset", tenant.id, address, client_key,
                                per_client=self.config.reset_requests,
                                overall=self.config.reset_requests_global,
                                client=self.config.reset_client)
        try:
            acquire_all(self._throttle, limits, now)
        except ThrottledError:
            self._audit_now(tenant, "password.reset_request", THROTTLED, None, client_key)
            raise
        # The same statements whatever the answer (issue 20, finding 2): a code
        # is stored (an unknown address renews a placeholder code of subject 0,
        # which no user has) and a message queued (an unknown address is told
        # there is no account), so the time taken tells nothing.
        code = self._new_code()
        with self._storage.unit_of_work() as uow:
            user = uow.users.get_by_email(tenant.id, address)
            known = user is not None and user.is_active
            self._store_code(uow, tenant, CodePurpose.RESET, user.id if user and known else 0,
                             code=code, now=now,
                             bound_to=user.security_stamp if user and known else "")
            if user is not None and known:
                message = self._reset_message(tenant, user, code)
            else:
                message = self._mail.notice(tenant, "reset_unknown", to=address)
            self.mail_queue.enqueue(uow, tenant.id, message,
                                    expires_at=now + self.config.codes.lifetime)
            record(uow, self._clock, tenant_id=tenant.id, action="password.reset_request",
                   outcome=SUCCESS if known else FAILED,
                   actor=user.id if user else None, client_key=client_key)
            uow.commit()
        self.mail_queue.notify()

    def reset_password(
        self,
        tenant: Tenant,
        email: str,
        code: str,
        password: str,
        confirmation: str | None,
        *,
        client_key: str | None = None,
    ) -> None:
        """Set a new password with an emailed code; every session of the user ends.

        The code is single use, valid for at most 15 minutes, allows at most 5
        wrong guesses (a new code starts afresh) and stops working when the
        user's security stamp changes (password change or reset, sign-out
        everywhere, disabling). A successful reset also clears the sign-in
        throttle of the user's account, so the proven owner can sign in
        whatever others have failed.

        Raises:
            InvalidInputError: Bad email, or the password breaks the policy.
            InvalidTokenError: The code is wrong, used, expired or locked (one
                message for all, known or unknown email).
            ThrottledError: Too many attempts from this client.
        """
        require_open(tenant)
        address = normalize_email(email)
        policy = self.config.password_policy
        policy.check(password, confirmation, context_words_of(tenant.name, address))
        now = self._clock.now()
        if client_key:
            acquire_all(self._throttle, [Limit(
                throttle_key("reset", tenant.id, "client", client_key), self.config.reset_client
            )], now)
        # Hash first: known and unknown addresses cost the same.
        new_hash = self._hasher.hash(normalize_password(password))
        digits = normalize_code(code)
        proven: User | None = None
        with self._storage.unit_of_work() as uow:
            user = uow.users.get_by_email(tenant.id, address)
            ok = False
            if user is not None and user.is_active and digits is not None:
                digest = code_digest(self._code_key, CodePurpose.RESET.value, tenant.id,
                                     user.id, digits, bound_to=user.security_stamp)
                ok = uow.codes.consume(tenant.id, CodePurpose.RESET, user.id, digest, now=now,
                                       max_attempts=self.config.codes.max_attempts)
            if user is not None and not ok:
                uow.codes.record_failure(tenant.id, CodePurpose.RESET, user.id, now=now,
                                         max_attempts=self.config.codes.max_attempts)
            if ok and user is not None:
                rotate_security_stamp(uow, user, password_hash=new_hash)
                proven = user
            record(uow, self._clock, tenant_id=tenant.id, action="password.reset",
                   outcome=SUCCESS if ok else FAILED,
                   actor=user.id if user else None, client_key=client_key)
            uow.commit()
        if proven is not None:
            # The owner proved themselves: whatever others failed, sign-in is open again.
            self._throttle.settle(reset=[
                limit.key for account in self._user_accounts(proven)
                for limit in self._login_limits(tenant, account, client_key)[-2:]
            ], now=now)
        if not ok:
            raise InvalidTokenError(CODE_FAILED)

    def _reset_message(self, tenant: Tenant, user: User, code: str) -> EmailMessage:
        minutes = int(self.config.codes.lifetime.total_seconds() // 60)
        return self._mail.notice(
            tenant, "reset_code", to=user.email, code=code, minutes=minutes
        )

