"""Identity: sign-in, and the login accounts it throttles.

Part of :class:`~portalkit._services.identity.IdentityService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import attrs

from portalkit._services.audit import FAILED, SUCCESS, record
from portalkit._services.identity_sessions import _IdentitySessions
from portalkit._services.identity_types import THROTTLED, SignIn
from portalkit._services.second_factor_pending import start_pending
from portalkit._services.throttle import Limit, account_limits, acquire_all
from portalkit.domain.filters import Eq
from portalkit.domain.identity import IdentifierKind, LoginCandidate, login_candidates
from portalkit.domain.passwords import MAX_PASSWORD_CHARS, normalize_password
from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    AuthenticationError,
    InvalidInputError,
    PortalClosedError,
    ThrottledError,
)
from portalkit.ports import UnitOfWork

#: The audit outcome of a right password that now waits for the second factor.
SECOND_FACTOR = "second_factor"


class _IdentitySignIn(_IdentitySessions):
    """Sign-in by email, phone number or username and password."""

    # Sign-in -----------------------------------------------------------------
    def _lookup(
        self, uow: UnitOfWork, tenant: Tenant, candidate: LoginCandidate
    ) -> list[User]:
        tid = tenant.id
        if candidate.kind is IdentifierKind.EMAIL:
            user = uow.users.get_by_email(tid, candidate.value)
            return [user] if user else []
        if candidate.kind is IdentifierKind.PHONE:
            if self._phones is None:
                return []
            try:
                e164 = self._phones.normalize(candidate.value, tenant.settings.default_region)
            except InvalidInputError:
                return []
            return uow.users.find(tid, Eq("phone", e164), limit=2)
        return uow.users.find(tid, Eq("username", candidate.value), limit=2)

    def login_account(self, tenant: Tenant, identifier: str) -> str:
        """The account a login string names, for throttling: its first reading, normalized.

        ``email:`` and the lower-cased address, ``phone:`` and the E.164
        number (when the string is one in the tenant's region), or
        ``username:`` and the trimmed text. The same for every spelling of one
        identifier, and computed without looking anything up, so an unknown
        identifier is counted exactly as a known one.
        """
        for candidate in login_candidates(identifier):
            if candidate.kind is IdentifierKind.PHONE:
                if self._phones is None:
                    continue
                try:
                    e164 = self._phones.normalize(candidate.value, tenant.settings.default_region)
                except InvalidInputError:
                    continue
                return f"phone:{e164}"
            return f"{candidate.kind.value}:{candidate.value}"
        return "username:"

    def _login_limits(
        self, tenant: Tenant, account: str, client_key: str | None
    ) -> list[Limit]:
        config = self.config
        return account_limits("login", tenant.id, account, client_key,
                              per_client=config.login_account,
                              overall=config.login_account_global, client=config.login_client)

    def _user_accounts(self, user: User) -> list[str]:
        """Every login account (see :meth:`login_account`) that names *user*."""
        accounts = [f"email:{user.email}", f"user:{user.id}"]
        if user.phone:
            accounts.append(f"phone:{user.phone}")
        if user.username:
            accounts.append(f"username:{user.username}")
        return accounts

    def find_login_user(self, tenant: Tenant, identifier: str) -> User | None:
        """The user a login string names, by the documented precedence, or None.

        Every applicable lookup runs; the first kind (email, phone, username)
        naming exactly one user wins.
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            found = [self._lookup(uow, tenant, c) for c in login_candidates(identifier)]
        return next((users[0] for users in found if len(users) == 1), None)

    def login(
        self,
        tenant: Tenant,
        identifier: str,
        password: str,
        *,
        client_key: str | None = None,
        user_agent: str | None = None,
    ) -> SignIn:
        """Sign in by email, username or phone number and password.

        Creates a session record (labelled from *user_agent*, the request's
        ``User-Agent`` header) and returns its token.

        Raises:
            AuthenticationError: For every kind of failure, after one Argon2
                computation (unknown user, wrong password, disabled user, no
                password set yet).
            ThrottledError: Too many failures for this account or client.
            SecondFactorRequired: The password was right and the tenant's
                policy asks this user for a second factor (or for enrolling
                one): no session was created; finish with
                ``portal.second_factors``.
        """
        now = self._clock.now()
        text = identifier if isinstance(identifier, str) else ""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS or len(text) > 320:
            self._hasher.verify_dummy("")
            self._audit_now(tenant, "login", FAILED, None, client_key, {"reason": "malformed"})
            raise AuthenticationError()
        user = self.find_login_user(tenant, text)
        limits = self._login_limits(tenant, self.login_account(tenant, text), client_key)
        try:
            attempt = acquire_all(self._throttle, limits, now)
        except ThrottledError:
            self._audit_now(tenant, "login", THROTTLED, user, client_key)
            raise
        normalized = normalize_password(password)
        if user is not None and user.password_hash:
            matched = self._hasher.verify(user.password_hash, normalized)
        else:
            matched = self._hasher.verify_dummy(normalized)
        if user is None or not matched or not user.is_active:
            self._audit_now(tenant, "login", FAILED, user, client_key)
            raise AuthenticationError()
        if not (tenant.settings.is_open or user.is_staff):
            # Only after the password is checked, so this tells nothing about accounts.
            self._audit_now(tenant, "login", FAILED, user, client_key, {"reason": "portal_closed"})
            raise PortalClosedError()
        attempt.succeeded(reset=[limit.key for limit in limits[-2:]])
        with self._storage.unit_of_work() as uow:
            current = uow.users.get(tenant.id, user.id) or user
            if current.password_hash and self._hasher.needs_rehash(current.password_hash):
                current = attrs.evolve(current, password_hash=self._hasher.hash(normalized))
                uow.users.update(current)
            pending = start_pending(uow, tenant, current, now, key=self._pending_key,
                                    rules=self.config.mfa)
            record(uow, self._clock, tenant_id=tenant.id, action="login",
                   outcome=SUCCESS if pending is None else SECOND_FACTOR,
                   actor=current.id, target=f"user:{current.id}", client_key=client_key)
            signed = None if pending else self._sign_in(uow, tenant, current, now, user_agent)
            uow.commit()
        if signed is None:
            assert pending is not None
            raise pending
        return signed
