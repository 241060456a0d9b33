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

Where the parts live: :class:`IdentityService` is this module's profile on top
of ``identity_passwords`` (password change and reset), ``identity_sign_in``
(sign-in) and ``identity_sessions`` (the ports and settings, sessions), each a
base class of the next; the settings, results and messages are in
``identity_types``.
"""

from __future__ import annotations

import unicodedata

import attrs

from portalkit._services.audit import record
from portalkit._services.identity_passwords import _IdentityPasswords
from portalkit._services.identity_types import (
    _NEED_CURRENT_PASSWORD,
    CLAIM_FAILED,
    CODE_FAILED,
    CURRENT_PASSWORD_FIELD,
    SESSION_ENDED,
    ClaimTicket,
    IdentityConfig,
    SessionInfo,
    SignIn,
    default_password_policy,
    set_password,
)
from portalkit._services.identity_types import (
    THROTTLED as THROTTLED,  # noqa: PLC0414 (registration imports it from here)
)
from portalkit._services.stamps import new_security_stamp
from portalkit.domain.contact import EMAIL_FIELD, normalize_email
from portalkit.domain.i18n import Msg
from portalkit.domain.principals import User
from portalkit.domain.sessions import SessionSummary
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConfigurationError, InvalidInputError

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

_LETTERS_EXTRA = frozenset(" -'\u2019.")


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


class IdentityService(_IdentityPasswords):
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
            raise InvalidInputError(Msg("form.invalid"), fields=fields)
        if contact_changed:
            self._check_current_password(tenant, user, current_password, client_key)
        assert first is not None and last is not None and address is not None  # noqa: PT018
        with self._storage.unit_of_work() as uow:
            user = self._user(uow, tenant, user_id)
            other = uow.users.get_by_email(tenant.id, address)
            if other is not None and other.id != user.id:
                raise InvalidInputError.for_field(
                    EMAIL_FIELD, Msg("email.unavailable")
                )
            updated = attrs.evolve(user, name=f"{first} {last}", email=address, phone=e164)
            uow.users.update(updated)
            record(uow, self._clock, tenant_id=tenant.id, action="profile.update",
                   actor=user.id, target=f"user:{user.id}", client_key=client_key,
                   detail={"contact_changed": str(contact_changed).lower()})
            uow.commit()
        return updated
