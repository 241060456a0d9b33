"""The rules a portal's mail settings meet (portalkit.domain.mail), checked when saved."""

from __future__ import annotations

import pytest

from portalkit.domain.mail import (
    MAX_DISPLAY_NAME_LENGTH,
    check_display_name,
    check_language,
    check_mail_settings,
    check_sender_address,
    mail_domain,
)
from portalkit.domain.tenants import DEFAULT_SENDER, TenantSettings
from portalkit.errors import InvalidInputError

ADDRESS = "Enter one email address, such as portal@example.com."
LANGUAGE = "Enter a language code such as en or es."


@pytest.mark.parametrize(
    "sender",
    [DEFAULT_SENDER, "portal@example.com", "Portal@Example.COM", "ops@LOCALHOST",
     "a" * 64 + "@" + "b" * 60 + ".example"],
)
def test_plain_addresses_are_accepted_as_written(sender: str) -> None:
    """One local@domain address comes back unchanged (not lower-cased); localhost needs no dot."""
    assert check_sender_address("sender_email", sender) == sender


@pytest.mark.parametrize(
    "sender",
    [" portal@example.com", "portal@example.com ", "Portal <portal@example.com>",
     "portal@example", "portal", "@localhost", "localhost", "a@b@example.com",
     "por tal@example.com", "a,b@example.com", "(x)a@example.com", "\"a\"@example.com",
     "a;b@example.com", "", "portal@localhost.", "portal@intranet"],
)
def test_anything_but_one_address_is_refused_with_the_address_rule(sender: str) -> None:
    """Surrounding spaces, display names, a missing dot or local part: the same words."""
    with pytest.raises(InvalidInputError) as caught:
        check_sender_address("sender_email", sender)
    assert caught.value.fields == {"sender_email": ADDRESS}


def test_a_sender_over_254_characters_is_refused_as_too_long() -> None:
    """The header limit comes first, naming the field and the limit."""
    sender = "a@" + ("b" * 63 + ".") * 3 + "c" * 56 + ".com"
    assert len(sender) == 254
    assert check_sender_address("sender", sender) == sender
    with pytest.raises(InvalidInputError) as caught:
        check_sender_address("sender", "a" + sender)
    assert caught.value.fields == {"sender": "Sender is longer than 254 characters."}


@pytest.mark.parametrize(
    "sender",
    [pytest.param("portal@example.com\r\nBcc: x@y.example", id="line-break"), None, 42],
)
def test_a_line_break_or_non_text_sender_is_refused(sender: object) -> None:
    """What cannot go into a header at all is refused for the named field."""
    with pytest.raises(InvalidInputError) as caught:
        check_sender_address("sender_email", sender)
    assert set(caught.value.fields) == {"sender_email"}


@pytest.mark.parametrize(
    ("sender", "domain"),
    [("portal@example.com", "example.com"), ("no-reply@localhost", "localhost"),
     ("odd@part@mail.example", "mail.example"), ("nodomain", "nodomain")],
)
def test_the_mail_domain_is_what_follows_the_last_at(sender: str, domain: str) -> None:
    """Message-IDs end in the text after the last '@'."""
    assert mail_domain(sender) == domain


def test_a_display_name_may_be_200_characters_and_no_more() -> None:
    """Exactly MAX_DISPLAY_NAME_LENGTH characters pass; one more names the limit."""
    assert MAX_DISPLAY_NAME_LENGTH == 200
    name = "N" * 200
    assert check_display_name("portal_name", name) == name
    with pytest.raises(InvalidInputError) as caught:
        check_display_name("portal_name", name + "N")
    assert caught.value.fields == {"portal_name": "Portal name is longer than 200 characters."}


@pytest.mark.parametrize(
    ("name", "message"),
    [pytest.param("", "Enter a name.", id="empty"),
     pytest.param("   ", "Enter a name.", id="blank"),
     pytest.param("Acme\x07Portal", "Use letters, digits and punctuation only.", id="bell"),
     pytest.param("Acme\x1bPortal", "Use letters, digits and punctuation only.", id="escape"),
     pytest.param("Acme\x00", "Portal name must be on one line.", id="nul"),
     pytest.param("Acme\nPortal", "Portal name must be on one line.", id="newline")],
)
def test_bad_display_names_say_what_is_wrong(name: str, message: str) -> None:
    """Empty or blank, a control character, a line break: each has its own words."""
    with pytest.raises(InvalidInputError) as caught:
        check_display_name("portal_name", name)
    assert caught.value.fields == {"portal_name": message}


@pytest.mark.parametrize("name", ["Acme  Fleet", "Müller & Söhne: Portal", " Acme"])
def test_ordinary_display_names_are_accepted_unchanged(name: str) -> None:
    """Letters, punctuation and spaces pass as written."""
    assert check_display_name("portal_name", name) == name


@pytest.mark.parametrize("tag", ["en", "es", "pt-BR", "zh_Hant_TW", "abcdefgh", "de-1996"])
def test_language_tags_are_accepted(tag: str) -> None:
    """Two to eight letters, then up to three subtags of one to eight letters or digits."""
    assert check_language("locale", tag) == tag


@pytest.mark.parametrize(
    "tag", ["e", "abcdefghi", "es-", "-es", "es-ES-x-y-z", "e5", "es ES", "", None, 5,
            "es-abcdefghi"],
)
def test_anything_else_is_not_a_language(tag: object) -> None:
    """Refused with one message naming the field."""
    with pytest.raises(InvalidInputError) as caught:
        check_language("locale", tag)
    assert caught.value.fields == {"locale": LANGUAGE}


def test_good_settings_come_back_unchanged() -> None:
    """Without a sender of their own, the name and language are all that is checked."""
    settings = TenantSettings(portal_name="Acme", locale="es")
    assert check_mail_settings(settings) is settings
    with_sender = TenantSettings(sender_email="portal@acme.example")
    assert check_mail_settings(with_sender) is with_sender


def test_every_bad_mail_setting_is_named_at_once() -> None:
    """Sender, name and language are all reported, in that order, in one error."""
    settings = TenantSettings(sender_email="not an address", portal_name=" ", locale="?")
    with pytest.raises(InvalidInputError) as caught:
        check_mail_settings(settings)
    assert caught.value.message == "Please correct the marked fields."
    assert list(caught.value.fields.items()) == [
        ("sender_email", ADDRESS), ("portal_name", "Enter a name."), ("locale", LANGUAGE),
    ]


def test_one_bad_setting_is_named_alone() -> None:
    """A good sender is not reported; only the bad language is."""
    settings = TenantSettings(sender_email="portal@acme.example", locale="x")
    with pytest.raises(InvalidInputError) as caught:
        check_mail_settings(settings)
    assert caught.value.fields == {"locale": LANGUAGE}
