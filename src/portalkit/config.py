"""How a portal behaves: :class:`PortalConfig`, one frozen object for everything a host configures.

The rule: the configuration says how portalkit behaves (limits, templates,
permissions, mail defaults); the :class:`~portalkit.Portal` constructor's other
arguments connect the host's data and time (storage, clock, document and
account sources, KPI values, availability)::

    from datetime import timedelta
    from portalkit import Portal, PortalConfig, perms
    from portalkit.adapters.smtp import SmtpMailer
    from portalkit.config import InvitationConfig
    from portalkit.domain.templates import TemplateToken
    from portalkit.perms import Permission

    config = PortalConfig(
        default_tenant="acme",
        mailer=SmtpMailer("smtp.acme.example", 587),
        sender_email="portal@acme.example",
        permissions=perms.catalogue(Permission("fuel.view", label="Fuel View")),
        invitations=InvitationConfig(
            validity=timedelta(days=7),
            extra_tokens=(TemplateToken(name="po_number", label="PO number"),),
        ),
    )
    portal = Portal.from_url("sqlite:///portal.db", secret_key=key, config=config)

Every value is checked when the object is built: a value that cannot work
raises :class:`~portalkit.errors.ConfigurationError` naming the field
(``invitations.validity must be positive``). Per-tenant switches (branding,
disabled features, the lookup rate …) stay in
:class:`~portalkit.domain.tenants.TenantSettings`, which staff edit at run time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from portalkit import perms
from portalkit._services.action_base import ACTION_LIMIT
from portalkit._services.identity import IdentityConfig
from portalkit._services.invitation_types import (
    DEFAULT_ACCOUNT_TEMPLATE,
    DEFAULT_INVITATION_TEMPLATE,
    english_date,
)
from portalkit._services.listing import MAX_SEARCH_CHOICES, MAX_SEARCH_LENGTH
from portalkit._services.mail_queue import MAIL_DELIVERY_MODES, delivery_mode
from portalkit._services.sync import MAX_BATCH_SIZE
from portalkit.adapters.tokens import DEFAULT_MAX_AGES
from portalkit.domain.documents import KindRegistry, default_kinds
from portalkit.domain.fields import ASSET, JOB, FieldOverride, VisibleField, visible_fields
from portalkit.domain.identity import CodeRules, ThrottleRule
from portalkit.domain.mail import check_sender_address
from portalkit.domain.pagination import MAX_PAGE_SIZE
from portalkit.domain.passwords import MAX_PASSWORD_CHARS, PasswordPolicy
from portalkit.domain.resolver import MAX_LOOKUP_LENGTH
from portalkit.domain.second_factors import MfaRules
from portalkit.domain.templates import EmailTemplate, TemplateToken, token_menu
from portalkit.domain.tenants import DEFAULT_SENDER, validate_slug
from portalkit.errors import ConfigurationError, InvalidInputError, PortalkitError
from portalkit.ports import Mailer, PasswordHasher, TokenPurpose

__all__ = [
    "ASSET",
    "JOB",
    "MAX_BATCH_SIZE",
    "MAX_INVITATION_VALIDITY",
    "MAX_LOOKUP_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_PASSWORD_CHARS",
    "MAX_SEARCH_CHOICES",
    "MAX_SEARCH_LENGTH",
    "CodeRules",
    "EmailTemplate",
    "FieldOverride",
    "IdentityConfig",
    "InvitationConfig",
    "KindRegistry",
    "LimitsConfig",
    "PasswordPolicy",
    "PortalConfig",
    "TemplateToken",
    "ThrottleRule",
    "VisibleField",
    "default_kinds",
    "token_menu",
    "visible_fields",
]

#: The longest an invitation can work: the lifetime of the signed link.
MAX_INVITATION_VALIDITY = DEFAULT_MAX_AGES[TokenPurpose.INVITE]


def _refuse(field: str, reason: str) -> ConfigurationError:
    return ConfigurationError(f"{field} {reason}")


def _positive(prefix: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, dt.timedelta):
            raise _refuse(f"{prefix}{attribute.name}", "must be a timedelta.")
        if value <= dt.timedelta(0):
            raise _refuse(f"{prefix}{attribute.name}", "must be positive.")

    return check


def _instance_of(prefix: str, kind: type | tuple[type, ...], what: str) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            raise _refuse(f"{prefix}{attribute.name}", f"must be {what}, not {value!r}.")

    return check


def _path(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.startswith("/") or "?" in value or "#" in value:
        raise _refuse(
            f"invitations.{attribute.name}", f"must be a path starting with / and no query, "
            f"not {value!r}."
        )


@attrs.frozen(kw_only=True)
class InvitationConfig:
    """How invitations and account-created emails work.

    Attributes:
        validity: How long an invitation works (14 days; at most
            :data:`MAX_INVITATION_VALIDITY`, the signed link's lifetime).
        accept_path: The sign-up page's path below the tenant's base URL; the
            token is added as ``?token=`` (``/invitations/accept``).
        login_path: The login page's path below the tenant's base URL (``/login``).
        template: The default invitation email.
        account_template: The default account-created email (seed 001).
        extra_tokens: The host's own template tokens (``{po_number}``); their
            values come with each contact (``values``) or the send call.
        format_date: How ``{expiry_date}`` is written (``30 March 2026``).
        chunk_size: Contacts handled per transaction in a bulk send (200).
    """

    validity: dt.timedelta = attrs.field(
        default=dt.timedelta(days=14), validator=_positive("invitations.")
    )
    accept_path: str = attrs.field(default="/invitations/accept", validator=_path)
    login_path: str = attrs.field(default="/login", validator=_path)
    template: EmailTemplate = attrs.field(
        default=DEFAULT_INVITATION_TEMPLATE,
        validator=_instance_of("invitations.", EmailTemplate, "an EmailTemplate"),
    )
    account_template: EmailTemplate = attrs.field(
        default=DEFAULT_ACCOUNT_TEMPLATE,
        validator=_instance_of("invitations.", EmailTemplate, "an EmailTemplate"),
    )
    extra_tokens: tuple[TemplateToken, ...] = attrs.field(default=(), converter=tuple)
    format_date: Callable[[dt.datetime], str] = attrs.field(default=english_date)
    chunk_size: int = attrs.field(default=200)

    @validity.validator
    def _check_validity(self, _attribute: object, value: dt.timedelta) -> None:
        if value > MAX_INVITATION_VALIDITY:
            raise _refuse(
                "invitations.validity",
                f"must be at most {MAX_INVITATION_VALIDITY.days} days (the link's lifetime).",
            )

    @extra_tokens.validator
    def _check_tokens(self, _attribute: object, value: tuple[object, ...]) -> None:
        for token in value:
            if not isinstance(token, TemplateToken):
                raise _refuse(
                    "invitations.extra_tokens", f"must hold TemplateToken objects, not {token!r}."
                )

    @format_date.validator
    def _check_format_date(self, _attribute: object, value: object) -> None:
        if not callable(value):
            raise _refuse("invitations.format_date", "must be a function of a datetime.")

    @chunk_size.validator
    def _check_chunk_size(self, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _refuse("invitations.chunk_size", "must be an integer of at least 1.")

    def __attrs_post_init__(self) -> None:
        # Checked here, not at the first send: an unknown token is a set-up mistake.
        for name in ("template", "account_template"):
            try:
                getattr(self, name).check(self.extra_tokens)
            except PortalkitError as error:
                raise _refuse(f"invitations.{name}", f"is not usable: {error}") from error


@attrs.frozen(kw_only=True)
class LimitsConfig:
    """Rate limits that are the same for every tenant.

    The sign-in, claim and reset throttles are in :class:`IdentityConfig`;
    how many asset lookups a principal may make per window is the tenant's
    :attr:`~portalkit.domain.tenants.TenantSettings.lookup_rate`.

    Attributes:
        lookup_window: The window a tenant's lookup rate counts in (1 minute).
        lookup_backoff_max: The longest a principal or client that kept looking
            up past the limit is blocked (24 hours; the block starts at one
            window and doubles).
        action_principal: Customer-side writes (service and job requests,
            appointments, meter readings, call-off, quote decisions) per
            principal: 100 per hour, then blocked for up to an hour. Every
            anonymous visitor is the one guest principal, so this also caps
            what guests together may submit.
        action_client: The same writes per client (the request's client key,
            usually its address): 100 per hour, then blocked for up to an hour.
    """

    lookup_window: dt.timedelta = attrs.field(
        default=dt.timedelta(minutes=1), validator=_positive("limits.")
    )
    lookup_backoff_max: dt.timedelta = attrs.field(
        default=dt.timedelta(hours=24), validator=_positive("limits.")
    )
    action_principal: ThrottleRule = attrs.field(
        default=ACTION_LIMIT, validator=_instance_of("limits.", ThrottleRule, "a ThrottleRule")
    )
    action_client: ThrottleRule = attrs.field(
        default=ACTION_LIMIT, validator=_instance_of("limits.", ThrottleRule, "a ThrottleRule")
    )


_IDENTITY_RULES = (
    "login_account",
    "login_account_global",
    "login_client",
    "claim_record",
    "claim_record_global",
    "claim_client",
    "reset_requests",
    "reset_requests_global",
    "reset_client",
)


def _check_identity(_instance: Any, _attribute: object, value: Any) -> None:
    if not isinstance(value, IdentityConfig):
        raise _refuse("identity", f"must be an IdentityConfig, not {value!r}.")
    if not isinstance(value.password_policy, PasswordPolicy):
        raise _refuse("identity.password_policy", "must be a PasswordPolicy.")
    for name in _IDENTITY_RULES:
        if not isinstance(getattr(value, name), ThrottleRule):
            raise _refuse(f"identity.{name}", "must be a ThrottleRule.")
    if not isinstance(value.codes, CodeRules):
        raise _refuse("identity.codes", "must be CodeRules.")
    if not isinstance(value.mfa, MfaRules):
        raise _refuse("identity.mfa", "must be MfaRules.")
    if not isinstance(value.claim_email_proof, bool):
        raise _refuse("identity.claim_email_proof", "must be True or False.")
    if value.claim_role is not None and (
        not isinstance(value.claim_role, str) or not value.claim_role.strip()
    ):
        raise _refuse("identity.claim_role", "must be a role name or None.")


def _check_default_tenant(_instance: Any, _attribute: object, value: Any) -> None:
    try:
        validate_slug(value)
    except PortalkitError as error:
        raise _refuse("default_tenant", f"must be a tenant slug: {error}") from error


def _check_port(*methods: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not all(callable(getattr(value, m, None)) for m in methods):
            wanted = ", ".join(f"{m}()" for m in methods)
            raise _refuse(attribute.name, f"must have {wanted}, or be None; got {value!r}.")

    return check


def _check_sender(_instance: Any, _attribute: object, value: Any) -> None:
    try:
        check_sender_address("sender_email", value)
    except PortalkitError as error:
        raise _refuse("sender_email", f"must be an email address, not {value!r}.") from error


def _check_delivery(instance: object, attribute: object, value: str | None) -> None:
    if value is None:
        return
    try:
        delivery_mode(value if isinstance(value, str) else repr(value))
    except InvalidInputError as error:
        raise _refuse("mail_delivery", f"must be one of {', '.join(MAIL_DELIVERY_MODES)}, "
                      f"not {value!r}.") from error


@attrs.frozen(kw_only=True)
class PortalConfig:
    """Everything a host can configure about a portal, checked when built.

    Pass it as ``Portal(storage, secret_key=..., config=...)`` or
    ``Portal.from_url(url, secret_key=..., config=...)``. Each field has a
    working default, so ``PortalConfig()`` is the standard portal.

    Attributes:
        default_tenant: The tenant slug used when a call names none (``"default"``).
        identity: Sign-in, session, password, reset and registration settings
            and throttles (:class:`IdentityConfig`).
        hasher: Password hashing; None is Argon2id with RFC 9106 parameters.
        mailer: Delivers invitations, codes and notices
            (:class:`~portalkit.adapters.smtp.SmtpMailer`; the demo prints with
            :class:`~portalkit.adapters.mail.ConsoleMailer`). None: the
            portal sends no mail; a reset request, claim or invitation is
            refused with ConfigurationError before anything is stored, and
            setting :attr:`sender_email` without a mailer is refused here.
        sender_email: The From address of every email of a tenant whose
            :attr:`~portalkit.domain.tenants.TenantSettings.sender_email` is
            empty: identity codes and notices, invitations and account emails
            alike (:data:`DEFAULT_SENDER`; set a real one in production). Its
            domain is the domain of every Message-ID; one line, no display name.
        invitations: Validity, paths, default templates and host tokens
            (:class:`InvitationConfig`).
        permissions: The permission catalogue of this portal: the built-in one
            (:data:`portalkit.perms.default_registry`) or the built-ins plus
            the host's own (:func:`portalkit.perms.catalogue`).
        document_kinds: The document kinds (the six built-in ones; a fresh
            :class:`~portalkit.domain.documents.KindRegistry` per config). Each
            kind's view permission must be in :attr:`permissions`.
        limits: Rate limits that are the same for every tenant (:class:`LimitsConfig`).
        mail_delivery: Who sends the mail that requests queue (reset and
            registration codes and notices; see
            :class:`~portalkit._services.mail_queue.MailQueue`):
            ``"background"``, a thread of this process (small hosts, the demo);
            ``"worker"``, ``portalkit mail deliver --loop`` processes
            (production); ``"inline"``, right after each request (tests and
            scripts: the request then waits for the mail server). None:
            ``$PORTALKIT_MAIL_DELIVERY``, else ``"background"``.

    Raises:
        ConfigurationError: A value that cannot work; the message names the field.
    """

    default_tenant: str = attrs.field(default="default", validator=_check_default_tenant)
    identity: IdentityConfig = attrs.field(factory=IdentityConfig, validator=_check_identity)
    hasher: PasswordHasher | None = attrs.field(
        default=None, validator=_check_port("hash", "verify", "verify_dummy", "needs_rehash")
    )
    mailer: Mailer | None = attrs.field(default=None, validator=_check_port("send"))
    sender_email: str = attrs.field(default=DEFAULT_SENDER, validator=_check_sender)
    invitations: InvitationConfig = attrs.field(
        factory=InvitationConfig,
        validator=_instance_of("", InvitationConfig, "an InvitationConfig"),
    )
    permissions: perms.PermissionRegistry = attrs.field(
        default=perms.default_registry,
        validator=_instance_of("", perms.PermissionRegistry, "a PermissionRegistry"),
    )
    document_kinds: KindRegistry = attrs.field(
        factory=KindRegistry, validator=_instance_of("", KindRegistry, "a KindRegistry")
    )
    limits: LimitsConfig = attrs.field(
        factory=LimitsConfig, validator=_instance_of("", LimitsConfig, "a LimitsConfig")
    )
    mail_delivery: str | None = attrs.field(default=None, validator=_check_delivery)

    def __attrs_post_init__(self) -> None:
        if self.mailer is None and self.sender_email != DEFAULT_SENDER:
            # A sender address says the host means to send mail; fail at start-up,
            # not at the first reset code.
            raise _refuse(
                "mailer",
                "is missing: sender_email is set but there is no mailer to send with "
                "(pass mailer=SmtpMailer(...)).",
            )
        for kind in self.document_kinds:
            if kind.permission not in self.permissions:
                raise _refuse(
                    "document_kinds",
                    f"has the kind {kind.name!r} whose view permission {kind.permission!r} "
                    "is not in permissions (add it with perms.catalogue(...)).",
                )
