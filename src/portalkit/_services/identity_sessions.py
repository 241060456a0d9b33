"""Identity: the service's ports and settings, and server-side sessions.

Part of :class:`~portalkit._services.identity.IdentityService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Sequence

from portalkit._services.audit import record
from portalkit._services.identity_types import (
    SESSION_ENDED,
    IdentityConfig,
    SessionInfo,
    SignIn,
    _derive,
)
from portalkit._services.mail_composer import MailComposer
from portalkit._services.mail_queue import MailQueue
from portalkit._services.stamps import rotate_security_stamp
from portalkit.domain.contact import EmailChecker, PhoneNormalizer
from portalkit.domain.i18n import Msg
from portalkit.domain.passwords import PasswordPolicy, PasswordRule
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.sessions import Session, SessionSummary, session_label, token_hash
from portalkit.domain.tenants import DEFAULT_SENDER, Tenant
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
)
from portalkit.ports import Clock, Mailer, PasswordHasher, Storage, Throttle, UnitOfWork


class _IdentitySessions:
    """The ports and settings every identity use case shares; sessions and the audit line."""

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
        self._pending_key = _derive(secret_keys[0], "second-factor-pending")
        self._recovery_keys = [_derive(k, "recovery-codes") for k in secret_keys]

    # Passwords ---------------------------------------------------------------
    @property
    def password_policy(self) -> PasswordPolicy:
        """The password rules in force."""
        return self.config.password_policy

    def password_rules(self) -> tuple[PasswordRule, ...]:
        """The password rules as data (:meth:`PasswordPolicy.rules_text` for display)."""
        return self.config.password_policy.rules()

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
            raise NotFoundError(Msg("portal.unknown"))
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

    def purge_sessions(
        self, *, idle: dt.timedelta | None = None, absolute: dt.timedelta | None = None
    ) -> int:
        """Delete every tenant's sessions that ended by time; returns how many.

        A session ends when it has been idle for *idle* or is *absolute* old
        (by default the configured ``session_idle_timeout`` and
        ``session_absolute_timeout``; pass the host's when this process does
        not have its configuration). Such a session can never be used again:
        sign-in makes a new one. Run it now and then (``portalkit sessions
        purge`` from cron); each tenant's sessions go in one statement.

        Raises:
            InvalidInputError: A timeout is not a positive duration.
        """
        idle = _positive("idle", idle, self.config.session_idle_timeout)
        absolute = _positive("absolute", absolute, self.config.session_absolute_timeout)
        now = self._clock.now()
        removed = 0
        with self._storage.unit_of_work() as uow:
            for tenant in uow.tenants.list():
                removed += uow.sessions.delete_expired(
                    tenant.id, seen_by=now - idle, created_by=now - absolute
                )
            uow.commit()
        return removed

    def _user(self, uow: UnitOfWork, tenant: Tenant, user_id: int) -> User:
        user = uow.users.get(tenant.id, user_id)
        if user is None or not user.is_active:
            raise InvalidTokenError(SESSION_ENDED)
        return user

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


def _positive(field: str, value: object, default: dt.timedelta) -> dt.timedelta:
    if value is None:
        return default
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        message = f"{field.capitalize()} must be a positive duration."
        raise InvalidInputError.for_field(field, message)
    return value
