"""One composer and one delivery point for every email portalkit sends.

Reset codes, registration codes and notices, invitations and "account
created" emails are all built by :meth:`MailComposer.compose`, so each has:

* ``From``: the portal's name and the tenant's sender address
  (:attr:`~portalkit.domain.tenants.TenantSettings.sender_email`, else
  :attr:`~portalkit.config.PortalConfig.sender_email`), checked again here;
* ``Date``, a ``Message-ID`` on the sender's domain, ``Auto-Submitted:
  auto-generated`` (no out-of-office replies) and ``Content-Language``;
* a one-line subject (a line break is refused, never folded into a header);
* a plain-text part and an HTML alternative.

Texts come from the message catalogue (``mail.<kind>.subject`` /
``mail.<kind>.body`` in :mod:`portalkit.domain.i18n`) in the tenant's
:attr:`~portalkit.domain.tenants.TenantSettings.locale`, with English for any
language or message portalkit has no translation of.

:meth:`MailComposer.deliver` is the one place where a mailer's failure is
caught: it comes back as a :class:`~portalkit.errors.MailDeliveryError` value
for the caller to record (the invitation keeps it and stays unsent; identity
mail records it in the audit trail and as a ``mail.undelivered`` outbox
event), never swallowed. A portal without a mailer refuses to start sending
(:meth:`MailComposer.require_mailer`) before anything is stored.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from portalkit._services.invitation_types import (
    DEFAULT_ACCOUNT_TEMPLATE,
    DEFAULT_INVITATION_TEMPLATE,
)
from portalkit.domain.i18n import MESSAGES, Catalog, translate
from portalkit.domain.mail import check_display_name, check_sender_address, mail_domain
from portalkit.domain.templates import (
    MAX_RENDERED_SUBJECT_LENGTH,
    EmailTemplate,
    check_header_value,
    text_to_html,
)
from portalkit.domain.tenants import DEFAULT_SENDER, Tenant
from portalkit.errors import ConfigurationError, InvalidInputError, MailDeliveryError
from portalkit.locale import catalog as builtin_catalog
from portalkit.ports import Clock, Mailer

__all__ = ["NO_MAILER", "MailComposer", "reader_language"]

#: Why a portal without a mailer refuses to send.
NO_MAILER = (
    "This portal has no mailer, so it cannot send reset codes, registration codes or "
    "invitations: pass config=PortalConfig(mailer=SmtpMailer(...)) to Portal or from_url()."
)

#: The default templates and the message codes that translate them.
_TEMPLATE_CODES: dict[EmailTemplate, str] = {
    DEFAULT_INVITATION_TEMPLATE: "mail.invitation",
    DEFAULT_ACCOUNT_TEMPLATE: "mail.account_created",
}


_READER_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portalkit_mail_reader_language", default=None
)


@contextlib.contextmanager
def reader_language(locale: str | None) -> Iterator[None]:
    """Within the block, mail goes out in *locale* (None: the tenant's language).

    For a customer's own request (a reset code, a registration code): the
    language their browser asked for is the reader's. Staff sending an
    invitation do not set it, so the invitee gets the tenant's language.
    """
    token = _READER_LANGUAGE.set(locale or None)
    try:
        yield
    finally:
        _READER_LANGUAGE.reset(token)


def _english(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] == "en"


class MailComposer:
    """Builds and hands over the portal's emails.

    Args:
        mailer: Delivers the messages; None: every attempt to send raises
            ConfigurationError (:meth:`require_mailer`).
        clock: The ``Date`` header's time.
        sender_email: The From address of a tenant without its own.
        catalogs: The catalogue of a language (portalkit's built-in ones by
            default, see :func:`portalkit.locale.catalog`).
    """

    def __init__(
        self,
        *,
        mailer: Mailer | None,
        clock: Clock,
        sender_email: str = DEFAULT_SENDER,
        catalogs: Callable[[str], Catalog] | None = None,
    ) -> None:
        try:
            check_sender_address("sender_email", sender_email)
        except InvalidInputError as exc:
            raise ConfigurationError(f"sender_email: {exc.message}") from exc
        self._mailer = mailer
        self._clock = clock
        self._sender_email = sender_email
        self._catalogs: Callable[[str], Catalog] = catalogs or builtin_catalog

    # Before sending --------------------------------------------------------
    @property
    def has_mailer(self) -> bool:
        """Whether the portal has a mailer to send with."""
        return self._mailer is not None

    def require_mailer(self) -> Mailer:
        """The mailer, or ConfigurationError when the portal has none.

        Callers ask before they store a code or an invitation, so a portal
        without a mailer fails loudly and changes nothing.
        """
        if self._mailer is None:
            raise ConfigurationError(NO_MAILER)
        return self._mailer

    def ready(self, tenant: Tenant) -> None:
        """Raise ConfigurationError unless *tenant*'s mail can go out (a mailer, a usable sender).

        Asked before a use case stores anything, and before it knows whether
        a message is due, so a misconfiguration answers every caller alike.
        """
        self.require_mailer()
        self.sender(tenant)

    def sender(self, tenant: Tenant) -> Address:
        """The From address of *tenant*'s mail: its portal name and sender address.

        Raises:
            ConfigurationError: A sender address or portal name stored before
                these were checked on save, that cannot go into a header.
        """
        settings = tenant.settings
        try:
            address = check_sender_address(
                "sender_email", settings.sender_email or self._sender_email
            )
            name = check_display_name("portal_name", settings.portal_name or tenant.name)
        except InvalidInputError as exc:
            raise ConfigurationError(
                f"The portal's mail settings are not valid: {exc.fields or exc.message}"
            ) from exc
        return Address(display_name=" ".join(name.split()), addr_spec=address)

    def language(self, tenant: Tenant, locale: str | None = None) -> str:
        """The language of a message: *locale* if given, else the reader's
        (:func:`reader_language`), else the tenant's."""
        return locale or _READER_LANGUAGE.get() or tenant.settings.locale or "en"

    def _catalog(self, language: str) -> Catalog | None:
        return None if _english(language) else self._catalogs(language)

    def text(self, code: str, language: str, /, **params: Any) -> str:
        """The catalogue text *code* in *language* (English when untranslated)."""
        return translate(code, self._catalog(language), **params)

    def date(self, when: dt.datetime, language: str) -> str:
        """*when* as a date in *language*: ``30 March 2026``, ``30 de marzo de 2026``."""
        month = self.text(f"mail.month.{when.month}", language)
        return self.text("mail.date", language, day=when.day, month=month, year=when.year)

    def template(self, template: EmailTemplate, language: str) -> EmailTemplate:
        """*template* in *language* when it is one of portalkit's default templates.

        A host's or staff's own template is used as written.
        """
        code = _TEMPLATE_CODES.get(template)
        found = self._catalog(language) if code is not None else None
        if code is None or found is None:
            return template
        subject = found.pgettext(f"{code}.subject", MESSAGES[f"{code}.subject"])
        body = found.pgettext(f"{code}.body", MESSAGES[f"{code}.body"])
        try:
            return EmailTemplate(subject=subject, body=body)
        except InvalidInputError:  # a broken translation: the English original
            return template

    # Building --------------------------------------------------------------
    def compose(
        self,
        tenant: Tenant,
        *,
        to: str,
        to_name: str = "",
        subject: str,
        text: str,
        html: str | None = None,
        reply_to: Address | None = None,
        language: str | None = None,
    ) -> EmailMessage:
        """One message with every standard header, a text part and an HTML part.

        *html* defaults to the escaped *text* (:func:`text_to_html`).

        Raises:
            InvalidInputError: The subject has a line break or is too long
                (``fields`` names ``subject``); a recipient that is no address.
            ConfigurationError: The tenant's sender cannot be used.
        """
        check_header_value("subject", subject, max_length=MAX_RENDERED_SUBJECT_LENGTH)
        sender = self.sender(tenant)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        try:
            message["To"] = Address(display_name=to_name, addr_spec=to)
        except (ValueError, IndexError) as exc:
            raise InvalidInputError.for_field("email", "Enter a valid email address.") from exc
        if reply_to is not None:
            message["Reply-To"] = reply_to
        message["Date"] = format_datetime(self._clock.now())
        message["Message-ID"] = make_msgid(domain=mail_domain(sender.addr_spec))
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text if text.endswith("\n") else text + "\n")
        message.add_alternative(html if html is not None else text_to_html(text), subtype="html")
        # After the parts: set_content() drops every Content-* header.
        message["Content-Language"] = self.language(tenant, language)
        return message

    def notice(
        self,
        tenant: Tenant,
        kind: str,
        *,
        to: str,
        to_name: str = "",
        locale: str | None = None,
        **params: Any,
    ) -> EmailMessage:
        """A message whose subject and body are the catalogue's ``mail.<kind>.*`` texts.

        ``{portal_name}`` is filled in with the tenant's portal name; other
        placeholders from *params*.
        """
        language = self.language(tenant, locale)
        values = {"portal_name": tenant.settings.portal_name or tenant.name, **params}
        return self.compose(
            tenant,
            to=to,
            to_name=to_name,
            subject=self.text(f"mail.{kind}.subject", language, **values),
            text=self.text(f"mail.{kind}.body", language, **values),
            language=language,
        )

    # Sending ---------------------------------------------------------------
    def deliver(self, message: EmailMessage) -> MailDeliveryError | None:
        """Hand *message* to the mailer; the failure, if any, is returned for the caller to record.

        Any exception of a mailer that is not already a MailDeliveryError (a
        host's adapter raising OSError, say) is turned into one, so callers
        handle one type.

        Raises:
            ConfigurationError: The portal has no mailer.
        """
        mailer = self.require_mailer()
        try:
            mailer.send(message)
        except MailDeliveryError as exc:
            return exc
        except ConfigurationError:
            raise
        except Exception as exc:  # a host adapter's own error type
            return MailDeliveryError(f"{type(exc).__name__}: {exc}")
        return None
