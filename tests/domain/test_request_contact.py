"""A request's contact (domain._actions_contact): what a guest must leave, how it is read."""

from __future__ import annotations

import pytest

from portalkit.domain._actions_contact import RequestContact, clean_contact
from portalkit.domain.contact import MAX_NAME_LENGTH
from portalkit.domain.i18n import Msg
from portalkit.errors import InvalidInputError

#: An address of exactly 254 characters, the longest clean_text lets through.
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"


class Digits:
    """A phone normalizer that keeps the digits, reads them for a region, and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def normalize(self, number: str, region: str) -> str:
        self.calls.append((number, region))
        digits = "".join(ch for ch in number if ch.isdigit())
        if len(digits) < 6:
            raise InvalidInputError.for_field("phone", "Not a number of " + region + ".")
        return "+1" + digits


def _refused(name: object = None, phone: object = None, email: object = None,
             **options: object) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        clean_contact(name, phone, email, **options)  # type: ignore[arg-type]
    return caught.value


def _code(message: str) -> str:
    assert isinstance(message, Msg)
    return message.code


def test_nothing_given_is_an_empty_falsy_contact_when_not_required() -> None:
    """A signed-in user may leave no contact: None, blank and spaces all read as not given."""
    contact = clean_contact(None, "", "   ", required=False)
    assert contact == RequestContact(None, None, None)
    assert not contact


@pytest.mark.parametrize(
    "contact",
    [RequestContact(name="Ann"), RequestContact(phone="555 123 4567"),
     RequestContact(email="a@b.example")],
)
def test_any_one_part_makes_a_contact_true(contact: RequestContact) -> None:
    """A contact is true as soon as one of name, phone or email is given."""
    assert contact


def test_each_part_is_trimmed_and_normalized() -> None:
    """The name is trimmed, the email lower-cased, a phone kept as typed without a normalizer."""
    contact = clean_contact("  Ann Lee ", " 555 123 4567 ", " Ann@B.Example ", required=True)
    assert contact == RequestContact("Ann Lee", "555 123 4567", "ann@b.example")


def test_a_name_of_the_longest_length_is_kept_one_more_is_refused() -> None:
    """MAX_NAME_LENGTH characters are a name; one more is too long, keyed contact_name."""
    name = "n" * MAX_NAME_LENGTH
    assert clean_contact(name, None, None, required=False).name == name
    error = _refused("n" * (MAX_NAME_LENGTH + 1), required=False)
    assert error.fields == {"contact_name": Msg("field.too_long", max=MAX_NAME_LENGTH)}
    assert error.message == Msg("field.too_long", max=MAX_NAME_LENGTH)


@pytest.mark.parametrize("name", ["Ann\nLee", "Ann\x00"])
def test_a_name_with_a_line_break_or_nul_has_bad_characters(name: str) -> None:
    """A name that normalize_name refuses is field.bad_characters, keyed contact_name only."""
    error = _refused(name, required=False)
    assert error.fields == {"contact_name": Msg("field.bad_characters")}
    assert _code(error.fields["contact_name"]) == "field.bad_characters"


@pytest.mark.parametrize(("name", "phone", "email", "field"), [
    (5, None, None, "contact_name"), (None, 5, None, "contact_phone"),
    (None, None, 5, "contact_email"),
])
def test_a_part_that_is_not_text_is_refused(
    name: object, phone: object, email: object, field: str
) -> None:
    """A number where text belongs is field.not_text, keyed by its own field."""
    error = _refused(name, phone, email, required=False)
    assert error.fields == {field: Msg("field.not_text")}


def test_without_a_normalizer_a_phone_must_look_like_one() -> None:
    """Letters are not a phone number: 'Enter a valid phone number.' for contact_phone."""
    error = _refused(None, "call me", None, required=False)
    assert error.fields == {"contact_phone": "Enter a valid phone number."}
    assert error.message == "Enter a valid phone number."


def test_a_phone_of_32_characters_is_read_33_are_too_long() -> None:
    """Up to 32 characters reach the normalizer; 33 are field.too_long with max 32."""
    phones = Digits()
    typed = "+1 (555) 123-4567 / 000 000 0000"
    assert len(typed) == 32
    contact = clean_contact(None, typed, None, required=False, phones=phones)
    assert contact.phone == "+1" + "15551234567" + "0" * 10
    error = _refused(None, typed + "0", None, required=False, phones=phones)
    assert error.fields == {"contact_phone": Msg("field.too_long", max=32)}


def test_a_normalizer_reads_the_phone_for_the_region() -> None:
    """The trimmed number goes to the normalizer with the region (US unless told)."""
    phones = Digits()
    assert clean_contact(None, " 555 1234 ", None, required=False, phones=phones).phone == (
        "+15551234"
    )
    clean_contact(None, "555 1234", None, required=False, phones=phones, region="GB")
    assert phones.calls == [("555 1234", "US"), ("555 1234", "GB")]


def test_a_phone_the_normalizer_refuses_keeps_its_message_under_contact_phone() -> None:
    """The normalizer's own message, re-keyed from phone to contact_phone."""
    error = _refused(None, "12", None, required=False, phones=Digits(), region="GB")
    assert error.fields == {"contact_phone": "Not a number of GB."}


def test_an_email_of_254_characters_is_read_255_are_too_long() -> None:
    """254 characters reach normalize_email; 255 are field.too_long with max 254."""
    assert len(LONGEST_EMAIL) == 254
    assert clean_contact(None, None, LONGEST_EMAIL, required=False).email == LONGEST_EMAIL
    error = _refused(None, None, "a" + LONGEST_EMAIL, required=False)
    assert error.fields == {"contact_email": Msg("field.too_long", max=254)}


def test_a_bad_email_keeps_its_message_under_contact_email() -> None:
    """normalize_email's message, re-keyed from email to contact_email."""
    error = _refused(None, None, "not an address", required=False)
    assert error.fields == {"contact_email": "Enter a valid email address."}


def test_every_bad_field_is_reported_at_once() -> None:
    """Three bad parts: three keyed errors and the form's message."""
    error = _refused("A\nB", "call me", "nope", required=False)
    assert error.fields == {
        "contact_name": Msg("field.bad_characters"),
        "contact_phone": "Enter a valid phone number.",
        "contact_email": "Enter a valid email address.",
    }
    assert error.message == Msg("form.invalid")
    assert _code(error.message) == "form.invalid"


def test_two_bad_fields_also_give_the_forms_message() -> None:
    """More than one bad field is form.invalid, not one field's message."""
    error = _refused(None, "call me", "nope", required=False)
    assert error.message == Msg("form.invalid")


@pytest.mark.parametrize(("phone", "email"), [("555 123 4567", None), (None, "a@b.example")])
def test_a_guest_leaves_a_name_and_a_phone_or_an_email(
    phone: str | None, email: str | None
) -> None:
    """Required: a name with a phone number alone, or with an email address alone, is enough."""
    contact = clean_contact("Ann", phone, email, required=True)
    assert contact == RequestContact("Ann", phone, email)


def test_a_guest_without_a_name_is_told_it_is_required() -> None:
    """Required and no name: field.required on contact_name, and only there."""
    error = _refused(None, "555 123 4567", None, required=True)
    assert error.fields == {"contact_name": Msg("field.required")}
    assert _code(error.message) == "field.required"


def test_a_guest_without_a_way_to_reach_them_is_told_on_the_phone_field() -> None:
    """Required, a name, no phone and no email: action.contact_needed on contact_phone."""
    error = _refused("Ann", None, None, required=True)
    assert error.fields == {"contact_phone": Msg("action.contact_needed")}
    assert _code(error.fields["contact_phone"]) == "action.contact_needed"


def test_a_guest_who_left_nothing_is_told_both() -> None:
    """Required and nothing given: the name is required and a way to reach them is needed."""
    error = _refused(required=True)
    assert error.fields == {
        "contact_name": Msg("field.required"),
        "contact_phone": Msg("action.contact_needed"),
    }
    assert error.message == Msg("form.invalid")


def test_a_bad_name_is_not_replaced_by_required() -> None:
    """A refused name keeps its own message, not field.required."""
    error = _refused("A\nB", "555 123 4567", None, required=True)
    assert error.fields == {"contact_name": Msg("field.bad_characters")}


@pytest.mark.parametrize(("phone", "email", "field", "message"), [
    ("call me", None, "contact_phone", "Enter a valid phone number."),
    (None, "nope", "contact_email", "Enter a valid email address."),
])
def test_a_bad_phone_or_email_is_not_replaced_by_contact_needed(
    phone: str | None, email: str | None, field: str, message: str
) -> None:
    """A refused phone or email says what is wrong with it, not that a contact is needed."""
    error = _refused("Ann", phone, email, required=True)
    assert error.fields == {field: message}
