"""Identity use cases: sign-in, sessions, password change and reset, profile.

:class:`IdentityService` is built once by the composition root with its ports
(storage, password hasher, throttle, mailer, clock, phone normalizer) and the
portal's secret keys. Every method takes the :class:`~portalkit.domain.tenants.Tenant`
it works in and, where a customer is acting, the request's ``client_key``
(see :func:`portalkit.web.client_key`).

What a caller can observe never tells whether an account or customer record
exists: sign-in fails with one :class:`~portalkit.errors.AuthenticationError`
after exactly one Argon2 computation on every path, and a reset request answers
the same for any email. Registration by proof, which shares these ports and
settings, is in :mod:`portalkit._services.registration`.

:func:`set_password` and :func:`default_password_policy` are the pieces other
use cases (accepting an invitation) build on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from email.message import EmailMessage

import attrs

from portalkit._services.account_flow import checked_password_hash
from portalkit._services.audit import FAILED, SUCCESS, record
from portalkit._services.mail_composer import MailComposer
from portalkit._services.mail_queue import MailQueue
from portalkit._services.stamps import new_security_stamp, rotate_security_stamp
from portalkit._services.throttle import Limit, account_limits, acquire_all, throttle_key
from portalkit.data import COMMON_PASSWORDS
from portalkit.domain.contact import (
    EMAIL_FIELD,
    EmailChecker,
    PhoneNormalizer,
    normalize_email,
)
from portalkit.domain.filters import Eq
from portalkit.domain.identity import (
    CodePurpose,
    CodeRules,
    IdentifierKind,
    LoginCandidate,
    OneTimeCode,
    ThrottleRule,
    code_digest,
    login_candidates,
    normalize_code,
)
from portalkit.domain.passwords import (
    MAX_PASSWORD_CHARS,
    PasswordPolicy,
    PasswordRule,
    context_words_of,
    normalize_password,
)
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.sessions import Session, SessionSummary, session_label, token_hash
from portalkit.domain.tenants import DEFAULT_SENDER, Tenant, require_open
from portalkit.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PortalClosedError,
    ThrottledError,
)
from portalkit.ports import Clock, Mailer, PasswordHasher, Storage, Throttle, UnitOfWork

__all__ = [
    "CLAIM_FAILED",
    "CODE_FAILED",
    "CURRENT_PASSWORD_FIELD",
    "SESSION_ENDED",
    "ClaimTicket",
    "IdentityConfig",
    "IdentityService",
    "SessionInfo",
    "SessionSummary",
    "SignIn",
    "default_password_policy",
    "new_security_stamp",
    "set_password",
]

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

_LETTERS_EXTRA = frozenset(" -'\u2019.")


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


def _name_part(field: str, value: object, minimum: int, label: str) -> str | None:
    """The trimmed name, or None after recording the reason in the caller's fields."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    letters = sum(ch.isalpha() for ch in text)
    if letters < minimum or len(text) > 100:
        return None
    if not all(ch.isalpha() or ch in _LETTERS_EXTRA for ch in text):
        return None
    return text


class IdentityService:
    """Sign-in, sessions, passwords, profile and registration by proof.

    Args:
        storage: Where users, codes and the audit trail live.
        hasher: The password hasher (Argon2id).
        throttle: Failure counters shared by every worker.
        mailer: Sends codes and notices; None refuses every call that would
            send one with ConfigurationError, before anything is stored.
        clock: Where time comes from.
        secret_keys: The portal's secret keys, newest first (the first signs).
        phones: Normalizes phone numbers; None disables sign-in by phone and
            registration by proof.
        emails: A stricter email check for the profile (the email-validator
            adapter); None uses portalkit's own syntax check only.
        config: Limits and switches (:class:`IdentityConfig`).
        sender_email: The From address when the tenant has none.
        mail_delivery: Who sends the queued codes and notices
            (:class:`~portalkit._services.mail_queue.MailQueue`); None:
            ``$PORTALKIT_MAIL_DELIVERY``, else ``"background"``.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        hasher: PasswordHasher,
        throttle: Throttle,
        mailer: Mailer | None,
        clock: Clock,
        secret_keys: Sequence[bytes],
        phones: PhoneNormalizer | None = None,
        emails: EmailChecker | None = None,
        config: IdentityConfig | None = None,
        sender_email: str = DEFAULT_SENDER,
        mail_delivery: str | None = None,
    ) -> None:
        if not secret_keys:
            raise ConfigurationError("A secret key is required.")
        self._storage = storage
        self._hasher = hasher
        self._throttle = throttle
        self._mail = MailComposer(mailer=mailer, clock=clock, sender_email=sender_email)
        self.mail_queue = MailQueue(storage, self._mail, clock, delivery=mail_delivery)
        self._clock = clock
        self._phones = phones
        self._emails = emails
        self.config = config or IdentityConfig()
        self._ticket_keys = [_derive(k, "claim-ticket") for k in secret_keys]
        self._code_key = _derive(secret_keys[0], "codes")

    # Passwords ---------------------------------------------------------------
    @property
    def password_policy(self) -> PasswordPolicy:
        """The password rules in force."""
        return self.config.password_policy

    def password_rules(self) -> tuple[PasswordRule, ...]:
        """The password rules as data (:meth:`PasswordPolicy.rules_text` for display)."""
        return self.config.password_policy.rules()

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
            record(uow, self._clock, tenant_id=tenant.id, action="login", outcome=SUCCESS,
                   actor=current.id, target=f"user:{current.id}", client_key=client_key)
            signed = self._sign_in(uow, tenant, current, now, user_agent)
            uow.commit()
        return signed

    # Sessions ----------------------------------------------------------------
    def _live(self, session: Session, user: User, now: dt.datetime) -> bool:
        config = self.config
        return (
            session.is_live(now, idle=config.session_idle_timeout,
                            absolute=config.session_absolute_timeout)
            and user.is_active
            and not session.ended_by_stamp(user.security_stamp)
        )

    def _sign_in(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        user: User,
        now: dt.datetime,
        user_agent: str | None = None,
    ) -> SignIn:
        """Create a session record for *user* inside *uow* (the caller commits).

        The user's sessions that have ended (timed out, or from before a stamp
        change) are deleted on the way, so the table holds about one row per
        device in use.
        """
        dead = [s.id for s in uow.sessions.for_user(tenant.id, user.id)
                if not self._live(s, user, now)]
        if dead:
            uow.sessions.delete(tenant.id, user.id, dead)
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        assert digest is not None  # token_urlsafe's alphabet is the accepted one
        stored = uow.sessions.add(Session(
            id=0, tenant_id=tenant.id, user_id=user.id, token_hash=digest, created_at=now,
            last_seen_at=now, label=session_label(user_agent),
            security_stamp=user.security_stamp,
        ))
        return SignIn(
            principal=Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=user.id),
            user=user,
            session=token,
            session_id=stored.id,
            expires_at=now + self.config.session_absolute_timeout,
        )

    def authenticate(self, tenant: Tenant, session: str) -> SessionInfo:
        """The signed-in user of a session token: one read (the session joined with its user).

        Writes nothing; when :attr:`SessionInfo.touch_due` is True the caller
        records the activity with :meth:`touch`.

        Raises:
            InvalidTokenError: With :data:`SESSION_ENDED` for every kind of
                failure: malformed or unknown token, another tenant's, signed
                out, idle or absolute timeout passed, the user disabled or
                gone, or the security stamp changed since sign-in (password
                change or reset, sign-out everywhere).
        """
        digest = token_hash(session)
        if digest is None:
            raise InvalidTokenError(SESSION_ENDED)
        with self._storage.unit_of_work(read_only=True) as uow:
            found = uow.sessions.find_with_user(tenant.id, digest)
        return self._session_info(tenant, found)

    def authenticate_in(self, slug: str, session: str | None) -> tuple[Tenant, SessionInfo | None]:
        """The tenant named *slug* and the session of *session* in it, in one read.

        A request's first read: the session check rides on the tenant lookup.
        The session part is None when *session* is None or is no live session
        of that tenant (any of the reasons of :meth:`authenticate`).

        Raises:
            NotFoundError: No tenant has this slug.
        """
        digest = token_hash(session) if session is not None else None
        with self._storage.unit_of_work(read_only=True) as uow:
            if digest is None:
                tenant = uow.tenants.get_by_slug(slug)
                found = None
            else:
                both = uow.sessions.find_with_tenant(slug, digest)
                tenant, found = both if both is not None else (None, None)
        if tenant is None:
            raise NotFoundError("Unknown portal.")
        if digest is None:
            return tenant, None
        try:
            return tenant, self._session_info(tenant, found)
        except InvalidTokenError:
            return tenant, None

    def _session_info(self, tenant: Tenant, found: tuple[Session, User] | None) -> SessionInfo:
        ended = InvalidTokenError(SESSION_ENDED)
        if found is None:
            raise ended
        now = self._clock.now()
        stored, user = found
        if stored.tenant_id != tenant.id or user.tenant_id != tenant.id:
            raise ended
        if not self._live(stored, user, now):
            raise ended
        if not (tenant.settings.is_open or user.is_staff):
            raise ended
        config = self.config
        return SessionInfo(
            principal=Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=user.id),
            user=user,
            session_id=stored.id,
            issued_at=stored.created_at,
            last_seen_at=stored.last_seen_at,
            expires_at=stored.expires_at(idle=config.session_idle_timeout,
                                          absolute=config.session_absolute_timeout),
            touch_due=stored.touch_due(now, config.session_touch_interval),
        )

    def touch(self, tenant: Tenant, session_id: int, *, wait: bool = True) -> bool:
        """Record activity on a session ("last seen" = now), if it is due.

        One conditional write: nothing happens unless the last recorded
        activity is at least ``session_touch_interval`` old (so concurrent
        requests write once) and the session has not idled out. Returns True
        if it wrote. With ``wait=False`` it does not wait for another writer
        (SQLite): a busy database raises a StorageError at once instead.
        """
        now = self._clock.now()
        with self._storage.unit_of_work(wait=wait) as uow:
            written = uow.sessions.touch(
                tenant.id, session_id, now=now,
                seen_by=now - self.config.session_touch_interval,
                seen_after=now - self.config.session_idle_timeout,
            )
            if written:
                uow.commit()
        return written

    def sign_out(
        self, tenant: Tenant, session: str, *, client_key: str | None = None
    ) -> None:
        """End exactly this session on the server (a copy of the token stops working).

        Does nothing, and says nothing, for a token that names no session of
        this tenant.
        """
        digest = token_hash(session)
        if digest is None:
            return
        with self._storage.unit_of_work() as uow:
            found = uow.sessions.find_with_user(tenant.id, digest)
            if found is None:
                return
            ended, user = found
            uow.sessions.delete(tenant.id, user.id, [ended.id])
            record(uow, self._clock, tenant_id=tenant.id, action="session.end",
                   actor=user.id, target=f"session:{ended.id}", client_key=client_key)
            uow.commit()

    def sessions(
        self, tenant: Tenant, user_id: int, *, current: str | None = None
    ) -> list[SessionSummary]:
        """The user's live sessions, oldest first; *current* (this request's
        token) marks the one it belongs to."""
        now = self._clock.now()
        mine = token_hash(current) if current is not None else None
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            stored = uow.sessions.for_user(tenant.id, user.id)
        return [
            SessionSummary(
                id=s.id, created_at=s.created_at, last_seen_at=s.last_seen_at, label=s.label,
                current=mine is not None and hmac.compare_digest(s.token_hash, mine),
            )
            for s in stored
            if self._live(s, user, now)
        ]

    def end_session(
        self, tenant: Tenant, user_id: int, session_id: int, *, client_key: str | None = None
    ) -> None:
        """End one of the user's own sessions (by its id from :meth:`sessions`).

        Raises:
            NotFoundError: No such session of this user (another user's session
                is not there, as far as this user can tell; nothing is ended).
        """
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            if not isinstance(session_id, int) or isinstance(session_id, bool) or not (
                uow.sessions.delete(tenant.id, user.id, [session_id])
            ):
                raise NotFoundError()
            record(uow, self._clock, tenant_id=tenant.id, action="session.end",
                   actor=user.id, target=f"session:{session_id}", client_key=client_key)
            uow.commit()

    def sign_out_everywhere(
        self, tenant: Tenant, user_id: int, *, client_key: str | None = None
    ) -> None:
        """End every session of the user at once (rotates the security stamp and
        deletes the session records); outstanding reset codes and set-password
        links stop working too."""
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            rotate_security_stamp(uow, user)
            uow.sessions.delete_for_user(tenant.id, user.id)
            record(uow, self._clock, tenant_id=tenant.id, action="session.revoke_all",
                   actor=user.id, target=f"user:{user.id}", client_key=client_key)
            uow.commit()

    def _user(self, uow: UnitOfWork, tenant: Tenant, user_id: int) -> User:
        user = uow.users.get(tenant.id, user_id)
        if user is None or not user.is_active:
            raise InvalidTokenError(SESSION_ENDED)
        return user

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
            raise InvalidInputError.for_field(field, "The current password is not correct.")
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
        existing = uow.codes.get_for(tenant.id, purpose, subject_id)
        if existing is not None:
            fresh = existing.renewed(digest=digest, now=now, rules=self.config.codes)
        else:
            fresh = OneTimeCode(
                id=0, tenant_id=tenant.id, purpose=purpose, subject_id=subject_id,
                digest=digest, created_at=now, expires_at=now + self.config.codes.lifetime,
            )
        return uow.codes.save(fresh)

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

    # Profile -----------------------------------------------------------------
    def update_profile(
        self,
        tenant: Tenant,
        user_id: int,
        *,
        first_name: str,
        last_name: str,
        email: str,
        phone: str | None = None,
        current_password: str | None = None,
        client_key: str | None = None,
    ) -> User:
        """Validate and save a user's own profile (seed 003).

        First name: at least 2 letters; last name: at least 1; letters, spaces,
        hyphens and apostrophes only. The name is stored as "first last".
        Changing the email or phone number needs the current password.

        Raises:
            InvalidInputError: ``fields`` has one reason per bad field
                (``first_name``, ``last_name``, ``email``, ``phone``,
                ``current_password``).
        """
        fields: dict[str, str] = {}
        first = _name_part("first_name", first_name, 2, "First")
        if first is None:
            fields["first_name"] = (
                "First name must have at least 2 letters. "
                "Numbers and special characters are not allowed."
            )
        last = _name_part("last_name", last_name, 1, "Last")
        if last is None:
            fields["last_name"] = (
                "Last name must have at least 1 letter. "
                "Numbers and special characters are not allowed."
            )
        address: str | None = None
        try:
            address = (self._emails.check if self._emails else normalize_email)(email)
        except InvalidInputError as exc:
            fields.update(exc.fields)
        e164: str | None = None
        if phone is not None and str(phone).strip():
            if self._phones is None:
                raise ConfigurationError(
                    "Phone numbers need the phonenumbers library: "
                    "install it with `pip install portalkit[phone]`."
                )
            try:
                e164 = self._phones.normalize(phone, tenant.settings.default_region)
            except InvalidInputError as exc:
                fields.update(exc.fields)
        with self._storage.unit_of_work(read_only=True) as uow:
            user = self._user(uow, tenant, user_id)
        contact_changed = address != user.email or e164 != user.phone
        if contact_changed and not current_password:
            fields[CURRENT_PASSWORD_FIELD] = _NEED_CURRENT_PASSWORD
        if fields:
            raise InvalidInputError("Please correct the marked fields.", fields=fields)
        if contact_changed:
            self._check_current_password(tenant, user, current_password, client_key)
        assert first is not None and last is not None and address is not None  # noqa: PT018
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            other = uow.users.get_by_email(tenant.id, address)
            if other is not None and other.id != user.id:
                raise InvalidInputError.for_field(
                    EMAIL_FIELD, "This email address cannot be used. Choose another one."
                )
            updated = attrs.evolve(user, name=f"{first} {last}", email=address, phone=e164)
            uow.users.update(updated)
            record(uow, self._clock, tenant_id=tenant.id, action="profile.update",
                   actor=user.id, target=f"user:{user.id}", client_key=client_key,
                   detail={"contact_changed": str(contact_changed).lower()})
            uow.commit()
        return updated

    # Mail and audit ----------------------------------------------------------
    def _reset_message(self, tenant: Tenant, user: User, code: str) -> EmailMessage:
        minutes = int(self.config.codes.lifetime.total_seconds() // 60)
        return self._mail.notice(
            tenant, "reset_code", to=user.email, code=code, minutes=minutes
        )

    def _audit_now(
        self,
        tenant: Tenant,
        action: str,
        outcome: str,
        user: User | None,
        client_key: str | None,
        *details: dict[str, str],
    ) -> None:
        detail = details[0] if details else None
        with self._storage.unit_of_work() as uow:
            record(uow, self._clock, tenant_id=tenant.id, action=action, outcome=outcome,
                   actor=user.id if user else None,
                   target=f"user:{user.id}" if user else None,
                   client_key=client_key, detail=detail)
            uow.commit()
