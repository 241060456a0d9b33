"""Customer-facing messages: a stable code for each, English text, translation.

Every message portalkit shows a customer has a **code** (``"action.past_slot"``)
and an English text (:data:`MESSAGES`). Code raising an error builds the text
with :class:`Msg`, a ``str`` that remembers its code and parameters; shown as
is it reads as English, and a translator (see :mod:`portalkit.locale`) can turn
it into any language whose gettext catalogue it has.

Catalogues are ordinary gettext catalogues: the English text is the ``msgid``
and the code is the ``msgctxt``, so translators see the sentence and a changed
code never silently reuses an old translation. Each error class of
:mod:`portalkit.errors` is covered under ``"error.<code>"`` with its default
message.

This module is pure: it defines texts and how to apply a catalogue; reading
``.mo`` files is :mod:`portalkit.locale`'s job.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from portalkit import errors

__all__ = [
    "MESSAGES",
    "Catalog",
    "LocalizedError",
    "Msg",
    "error_code_messages",
    "localize_error",
    "placeholders",
    "register_messages",
    "translate",
]


#: Action and validation messages (portalkit's own; hosts add theirs with
#: :func:`register_messages`).
_ACTION_MESSAGES: dict[str, str] = {
    "field.required": "This field is required.",
    "field.not_text": "Enter text.",
    "field.too_long": "Use {max} characters or fewer.",
    "field.not_allowed": "This field cannot be set here.",
    "field.not_a_number": "Enter a number.",
    "field.not_an_id": "Choose an item from the list.",
    "field.not_a_date": "Enter a date as YYYY-MM-DD.",
    "field.not_a_datetime": "Enter a date and time.",
    "field.not_a_choice": "Choose one of the offered options.",
    "field.not_a_flag": "Answer yes or no.",
    "field.bad_characters": "The text contains characters that are not allowed.",
    "field.nul_character": "The text must not contain a NUL character.",
    "field.wrong_type": "This value is not of the expected kind.",
    "field.idempotency_key": (
        "The request key must be 1 to 200 letters, digits or the characters . _ : -"
    ),
    "action.site_not_a_site": "Choose one of your sites.",
    "action.asset_not_at_site": "This asset is not at the chosen site.",
    "action.date_in_past": "Choose a date that is not in the past.",
    "action.date_too_far": "Choose a date within {days} days.",
    "action.slot_in_past": "This time has already passed. Choose a later time.",
    "action.slot_too_far": "Choose a time within {days} days.",
    "action.slot_not_offered": (
        "This time is not available for booking. Choose one of the offered times."
    ),
    "action.slot_full": "This time has just been booked by someone else. Choose another time.",
    "action.appointment_cancelled": "This appointment has been cancelled.",
    "action.appointment_past": "This appointment is in the past and cannot be changed.",
    "action.reading_in_future": "The reading date cannot be in the future.",
    "action.reading_too_old": "The reading date is too far in the past.",
    "action.reading_before_last": "A newer reading already exists for this meter.",
    "action.reading_below_last": (
        "The reading is lower than the last reading ({last}). "
        "Mark it as a meter replacement if the meter was replaced."
    ),
    "action.reading_implausible": (
        "The reading is more than this meter can have advanced since its last reading "
        "(at most {most}). Check the number, or contact us if it is right."
    ),
    "action.reading_negative": "The reading cannot be negative.",
    "action.reading_too_large": "The reading is too large.",
    "action.unit_mismatch": "This meter records in {unit}.",
    "action.quantity_too_small": "Enter a quantity of at least 1.",
    "action.quantity_too_large": "Only {remaining} can still be called off.",
    "action.already_called_off": "This item has already been called off rent or returned.",
    "action.no_items": "Choose at least one item.",
    "action.quote_not_decidable": "This quote can no longer be approved or declined.",
    "action.quote_decided": "A decision has already been recorded for this quote.",
    "action.idempotency_mismatch": "This request key was already used for a different request.",
    "action.in_progress": "This request is already being processed. Please wait a moment.",
    "action.contact_needed": "Give a phone number or an email address so we can reach you.",
}

#: The password policy's rules and reasons (:mod:`portalkit.domain.passwords`).
_PASSWORD_MESSAGES: dict[str, str] = {
    "password.rule.min_length": "At least {min} characters.",
    "password.rule.max_length": "At most {max} characters.",
    "password.rule.no_composition": (
        "Any characters may be used, spaces included; no mix of kinds is required."
    ),
    "password.rule.not_common": "Not a commonly used password.",
    "password.rule.not_repetitive": "Not a repeated character or a plain sequence.",
    "password.rule.not_context": (
        "Not built from your name, your email address or the portal's name."
    ),
    "password.rule.confirmation": "Type the same password twice.",
    "password.min_length": "Use at least {min} characters.",
    "password.max_length": "Use at most {max} characters.",
    "password.not_common": "This password is too common; choose another.",
    "password.not_repetitive": "Avoid repeated characters and plain sequences.",
    "password.not_context": "Do not build the password from your name, email or the portal's name.",
    "password.mismatch": "The passwords do not match.",
}

#: Messages of the account, registration and invitation flows.
_ACCOUNT_MESSAGES: dict[str, str] = {
    "form.invalid": "Please correct the marked fields.",
    "portal.unknown": "Unknown portal.",
    "portal.not_enabled": "The customer portal is not enabled.",
    "invitation.role_and_scope": "Give both a role and a scope, or neither.",
    "role.unknown": "Unknown role.",
    "group.unknown": "Unknown group.",
    "invitation.used": "This invitation has already been used to sign up.",
    "invitation.already_signed_up": "This address has already signed up; please log in.",
    "account.has_password": "This user has a password already.",
    "password.current_wrong": "The current password is not correct.",
    "email.unavailable": "This email address cannot be used. Choose another one.",
    "contact.incomplete": "A contact must have an email and a name.",
    "contact.bad_key": "The contact key must be short text.",
    "template.values_not_text": "Token values must be text.",
    "people.self": "You cannot change your own access. Ask another administrator.",
    "people.beyond_reach": (
        "This person has access you do not manage. Ask the portal's staff to change it."
    ),
    "mfa.code_wrong": (
        "This code is not correct. Enter the current code from your authenticator app, "
        "or one of your recovery codes."
    ),
    "mfa.pending_ended": "Your sign-in has expired. Please sign in again.",
    "mfa.off": "Second factors are not available on this portal.",
    "mfa.already_enrolled": "You already use an authenticator app. Remove it first.",
    "mfa.no_enrolment": "Start adding your authenticator app again.",
    "mfa.not_enrolled": "You do not use an authenticator app.",
    "mfa.enrol_first": "Add an authenticator app to continue.",
}

#: The texts of the emails portalkit sends (see :mod:`portalkit._services.mail_composer`):
#: ``mail.<kind>.subject`` and ``mail.<kind>.body``. The invitation and
#: account texts are the default templates, whose ``{tokens}`` are filled in later.
_MAIL_MESSAGES: dict[str, str] = {
    "mail.reset_code.subject": "{portal_name}: your password reset code",
    "mail.reset_code.body": (
        "Your code to set a new password is {code}.\n\n"
        "It works once, for {minutes} minutes. If you did not ask for it, "
        "ignore this email: your password has not changed."
    ),
    "mail.reset_unknown.subject": "{portal_name}: password reset requested",
    "mail.reset_unknown.body": (
        "Someone asked to reset the password of a {portal_name} account with this "
        "email address, but there is no account with it. If it was you, you may "
        "have signed up with another address. If not, ignore this email."
    ),
    "mail.mfa_enabled.subject": "{portal_name}: authenticator app added",
    "mail.mfa_enabled.body": (
        "An authenticator app was added to your {portal_name} account. From now on, "
        "signing in asks for a code from it. Your other sessions have ended.\n\n"
        "If this was not you, reset your password and contact us at once."
    ),
    "mail.mfa_removed.subject": "{portal_name}: authenticator app removed",
    "mail.mfa_removed.body": (
        "The authenticator app of your {portal_name} account was removed, with its "
        "recovery codes. Your other sessions have ended.\n\n"
        "If this was not you, reset your password and contact us at once."
    ),
    "mail.mfa_recovery_used.subject": "{portal_name}: a recovery code was used",
    "mail.mfa_recovery_used.body": (
        "A recovery code was used to sign in to your {portal_name} account. "
        "{remaining} recovery codes are left; you can make a new set in your "
        "security settings.\n\n"
        "If this was not you, reset your password and contact us at once."
    ),
    "mail.claim_code.subject": "{portal_name}: confirm your email address",
    "mail.claim_code.body": (
        "Your code to finish registering for {portal_name} is {code}.\n\n"
        "It works once, for {minutes} minutes. If you did not ask for it, ignore this email."
    ),
    "mail.claim_started.subject": "{portal_name}: your registration has started",
    "mail.claim_started.body": (
        "Someone has just started registering for {portal_name} with your account's "
        "details. If it was you, finish by choosing your password where you started, "
        "within {minutes} minutes. If it was not you, please contact us: whoever it was "
        "knows your phone number, email address and postal code."
    ),
    "mail.claim_notice.subject": "{portal_name}: someone tried to register your account",
    "mail.claim_notice.body": (
        "Someone just tried to register for the portal with your account's details, "
        "but you already have a sign-in. If it was you, sign in or reset your "
        "password. If not, you do not need to do anything."
    ),
    "mail.invitation.subject": (
        "{contact_name}, you are invited to the {company_name} customer portal"
    ),
    "mail.invitation.body": (
        "Dear {contact_name},\n\n"
        "{company_name} invites you to its customer portal, where you can see your "
        "documents and requests online.\n\n"
        "Sign up by choosing a password here:\n{portal_link}\n\n"
        "The link works until {expiry_date}. If you were not expecting this email, "
        "you can ignore it."
    ),
    "mail.account_created.subject": "Your {company_name} customer portal account",
    "mail.account_created.body": (
        "Dear {contact_name},\n\n"
        "{company_name} has created a customer portal account for you.\n\n"
        "Choose your password here:\n{portal_link}\n\n"
        "The link works until {expiry_date}. We never send passwords by email."
    ),
    # Customer self-administration: what the colleague whose access changed is told.
    "mail.people_role_changed.subject": "{portal_name}: your access has changed",
    "mail.people_role_changed.body": (
        "{by} changed your role at {scope} to {role}. "
        "If you did not expect this, contact your administrator."
    ),
    "mail.people_access_removed.subject": "{portal_name}: your access has changed",
    "mail.people_access_removed.body": (
        "{by} removed your access at {scope}. "
        "If you did not expect this, contact your administrator."
    ),
    "mail.people_disabled.subject": "{portal_name}: your account has been disabled",
    "mail.people_disabled.body": (
        "{by} disabled your {portal_name} account, and you have been signed out everywhere. "
        "If you think this is a mistake, contact your administrator."
    ),
    "mail.people_enabled.subject": "{portal_name}: your account is enabled again",
    "mail.people_enabled.body": (
        "{by} enabled your {portal_name} account again. You can sign in as before."
    ),
    # A date in an email ({expiry_date} of the default templates): "30 March 2026".
    "mail.date": "{day} {month} {year}",
    **{
        f"mail.month.{number}": name
        for number, name in enumerate(
            ("January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December"),
            start=1,
        )
    },
}

_lock = threading.Lock()


def error_code_messages() -> dict[str, str]:
    """``{"error.<code>": default message}`` for every error class in :mod:`portalkit.errors`."""
    out: dict[str, str] = {}
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, errors.PortalkitError):
            out[f"error.{cls.code}"] = cls.default_message
    return out


#: Every known message: code → English text.
MESSAGES: dict[str, str] = {
    **error_code_messages(),
    **_ACTION_MESSAGES,
    **_ACCOUNT_MESSAGES,
    **_PASSWORD_MESSAGES,
    **_MAIL_MESSAGES,
}


def register_messages(messages: Mapping[str, str]) -> None:
    """Add message codes (a host's, or another portalkit module's).

    Re-registering a code with the same text is allowed; a different text is a
    :class:`~portalkit.errors.ConfigurationError` (codes are stable).
    """
    with _lock:
        for code, text in messages.items():
            known = MESSAGES.get(code)
            if known is not None and known != text:
                raise errors.ConfigurationError(f"Message {code!r} is already defined differently.")
        MESSAGES.update(messages)


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders of a message text."""
    return frozenset(
        field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field
    )


def _format(text: str, params: Mapping[str, Any]) -> str:
    try:
        return text.format_map(dict(params))
    except (KeyError, IndexError, ValueError, AttributeError):
        return text


class Msg(str):
    """A message text that knows its code and parameters.

    ``Msg("field.too_long", max=200)`` is the English text ``"Use 200
    characters or fewer."``; :attr:`code` and :attr:`params` let a translator
    render it in another language.
    """

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> Msg:
        """Build the English text of *code* with *params* filled in."""
        english = MESSAGES.get(code)
        if english is None:
            raise errors.ConfigurationError(f"Unknown message code {code!r}.")
        self = super().__new__(cls, _format(english, params))
        self.code = code
        self.params = dict(params)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, self.params))


def _rebuild(code: str, params: dict[str, Any]) -> Msg:
    return Msg(code, **params)


class Catalog(Protocol):
    """What a translation catalogue must do (:class:`gettext.GNUTranslations` does)."""

    def pgettext(self, context: str, message: str, /) -> str:
        """The translation of *message* in *context*, or *message* itself."""
        ...


def translate(message: str, catalog: Catalog | None, /, **params: Any) -> str:
    """*message* in the catalogue's language.

    *message* is a :class:`Msg` (its code and parameters are used) or a code
    from :data:`MESSAGES`; any other text is returned unchanged (it has no code
    to look up). Without a catalogue the English text is returned.
    """
    if isinstance(message, Msg):
        code, values = message.code, {**message.params, **params}
    elif message in MESSAGES:
        code, values = message, params
    else:
        return message
    english = MESSAGES[code]
    text = catalog.pgettext(code, english) if catalog is not None else english
    return _format(text, values)


@attrs.frozen
class LocalizedError:
    """An error as a customer should see it, in one language.

    Attributes:
        code: The error's stable code (``"invalid_input"`` …).
        message: The whole-error message.
        fields: Field name → message, for input errors.
    """

    code: str
    message: str
    fields: dict[str, str] = attrs.field(factory=dict)


def localize_error(error: errors.PortalkitError, catalog: Catalog | None) -> LocalizedError:
    """The error's message and field messages translated with *catalog*.

    A message built with :class:`Msg` is translated by its code; the class's
    default message by ``"error.<code>"``. Any other text (written without a
    code) is kept in English when no catalogue is given, and otherwise replaced
    by the translated generic message of its error class, so a customer never
    sees a half-translated page.
    """

    def one(text: str, fallback_code: str) -> str:
        if isinstance(text, Msg) or text in MESSAGES:
            return translate(text, catalog)
        if catalog is None:
            return text
        return translate(fallback_code, catalog)

    error_code = f"error.{error.code}"
    if error_code not in MESSAGES:  # a host's error class registered nowhere
        register_messages({error_code: type(error).default_message})
    message = error.message
    if not isinstance(message, Msg) and message == type(error).default_message:
        message = error_code
    fields = getattr(error, "fields", {}) or {}
    return LocalizedError(
        code=error.code,
        message=one(message, error_code),
        fields={name: one(text, "error.invalid_input") for name, text in fields.items()},
    )
