"""Tests for portalkit.domain.contact: email and postal-code normalizers."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portalkit.domain.contact import (
    EMAIL_FIELD,
    POSTAL_CODE_FIELD,
    looks_like_email,
    looks_like_phone,
    normalize_email,
    normalize_name,
    normalize_postal_code,
    postal_codes_match,
)
from portalkit.errors import InvalidInputError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann.Lee@City.Example ", "ann.lee@city.example"),
        ("a_b+tag@mail.co.uk", "a_b+tag@mail.co.uk"),
        ("X@München.DE", "x@münchen.de"),
    ],
)
def test_valid_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    """Valid addresses come back trimmed and lower-cased as a whole."""
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "ann", "a@b", "a@@b.co", "a b@c.de", ".a@b.co", "a..b@c.de", "a@-b.co", "a@1.2.3.4",
     "a@b.c_d", None, 42, "x" * 250 + "@b.co"],
)
def test_malformed_emails_are_field_errors(raw: object) -> None:
    """Malformed addresses raise InvalidInputError for field 'email'."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(raw)
    assert set(caught.value.fields) == {EMAIL_FIELD}


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("12345", "US", "12345"),
        (" 12345-6789 ", "US", "12345-6789"),
        ("123456789", "us", "12345-6789"),
        ("k1a0b1", "CA", "K1A 0B1"),
        ("K1A 0B1", "CA", "K1A 0B1"),
        ("sw1a1aa", "UK", "SW1A 1AA"),
        ("EC1A 1BB", "GB", "EC1A 1BB"),
        ("m1 1ae", "GB", "M1 1AE"),
        ("GIR 0AA", "GB", "GIR 0AA"),
        ("10115", "DE", "10115"),
        ("1010", None, "1010"),
    ],
)
def test_postal_codes_normalize_per_country(raw: str, country: str | None, expected: str) -> None:
    """US ZIP/ZIP+4, Canadian A1A 1A1 and UK postcodes get their canonical form."""
    assert normalize_postal_code(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country"),
    [("1234", "US"), ("123456", "US"), ("12345-67", "US"), ("W1A 0B1", "CA"),
     ("D1A 1A1", "CA"), ("12345", "CA"), ("SW1A", "GB"), ("1AA 1AA", "GB"), ("!!", "DE"),
     ("A", "FR"), (None, "US")],
)
def test_malformed_postal_codes_are_field_errors(raw: object, country: str) -> None:
    """A code that is not valid for its country raises for field 'postal_code'."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_postal_code(raw, country)
    assert set(caught.value.fields) == {POSTAL_CODE_FIELD}


def test_us_zip_matches_zip_plus_4_with_the_same_five_digits() -> None:
    """'12345' matches '12345-6789'; two different +4 extensions do not match."""
    assert postal_codes_match("12345", "12345-6789", "US")
    assert postal_codes_match("12345 6789", "123456789", "US")
    assert not postal_codes_match("12345-1111", "12345-6789", "US")
    assert not postal_codes_match("12346", "12345", "US")
    assert postal_codes_match("k1a 0b1", "K1A0B1", "CA")
    assert not postal_codes_match("nonsense", "12345", "US")


def test_phone_and_email_shapes() -> None:
    """looks_like_phone accepts typed phone numbers; looks_like_email valid addresses."""
    assert looks_like_phone("(202) 555-0143")
    assert looks_like_phone("+44 20 7946 0958")
    assert not looks_like_phone("ann")
    assert not looks_like_phone("12345")
    assert looks_like_email("ann@city.example")
    assert not looks_like_email("ann")


@given(st.emails())
def test_email_normalization_is_idempotent(address: str) -> None:
    """Normalizing a normalized email gives it back unchanged."""
    try:
        once = normalize_email(address)
    except InvalidInputError:
        assume(False)
        return
    assert normalize_email(once) == once
    assert once == once.lower()


@given(
    local=st.from_regex(r"[a-z][a-z0-9.+]{0,10}[a-z0-9]", fullmatch=True),
    label=st.text(alphabet="abcdeüöéßçñøå", min_size=1, max_size=12),
)
def test_an_idn_domain_is_one_address_whichever_way_it_is_spelled(local: str, label: str) -> None:
    """Unicode and IDNA (xn--) spellings of a domain normalize to the same address."""
    try:
        ascii_label = label.encode("idna").decode()
        unicode_form = normalize_email(f"{local}@{label}.example")
    except (UnicodeError, InvalidInputError):
        assume(False)
        return
    assert normalize_email(f"{local}@{ascii_label.upper()}.example") == unicode_form
    assert normalize_email(unicode_form) == unicode_form


@given(st.text(max_size=30))
def test_email_normalizer_only_raises_field_errors(text: str) -> None:
    """Any text is either normalized idempotently or refused for field 'email'."""
    if not looks_like_email(text):
        with pytest.raises(InvalidInputError) as caught:
            normalize_email(text)
        assert set(caught.value.fields) == {EMAIL_FIELD}
        return
    once = normalize_email(text)
    assert normalize_email(once) == once


@given(
    st.sampled_from(["US", "CA", "GB", "DE", None]),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTVXYabc -", max_size=12),
)
def test_postal_normalization_is_idempotent(country: str | None, text: str) -> None:
    """A normalized postal code normalizes to itself and matches its raw form."""
    try:
        once = normalize_postal_code(text, country)
    except InvalidInputError:
        return
    assert normalize_postal_code(once, country) == once
    assert postal_codes_match(text, once, country)


@given(st.from_regex(r"\A\d{5}(-\d{4})?\Z"), st.from_regex(r"\A\d{5}(-\d{4})?\Z"))
def test_us_match_is_symmetric(left: str, right: str) -> None:
    """postal_codes_match gives the same answer both ways round."""
    assert postal_codes_match(left, right, "US") == postal_codes_match(right, left, "US")


# Rules pinned for mutation testing ----------------------------------------------------


def test_email_limits_are_inclusive() -> None:
    """A 64-character local part and a 254-character address are the longest accepted."""
    local = "a" * 64
    domain = ".".join(["b" * 63, "c" * 63, "d" * 57, "com"])
    address = f"{local}@{domain}"
    assert len(address) == 254
    assert normalize_email(address) == address


@pytest.mark.parametrize(
    "address", [None, "", "@example.com", "ann.@example.com", "ann@host.example.123",
                "a" * 65 + "@example.com"],
)
def test_a_refused_email_is_one_message_on_the_email_field(address: object) -> None:
    """Empty or dotted local parts, a numeric top label, too long: "Enter a valid email address"."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(address)
    assert caught.value.fields == {EMAIL_FIELD: "Enter a valid email address."}


@pytest.mark.parametrize(
    ("text", "phone"), [("123 456", True), ("12 345", False), ("call 123456", False)]
)
def test_a_phone_needs_six_digits_and_only_phone_characters(text: str, phone: bool) -> None:
    """Six digits are enough; letters are never part of a phone number."""
    assert looks_like_phone(text) is phone


@pytest.mark.parametrize(
    ("value", "country", "code"),
    [
        ("im11aa", "IM", "IM1 1AA"),
        ("je23ab", "JE", "JE2 3AB"),
        ("gy11aa", "GG", "GY1 1AA"),
        ("gir 0aa", "GB", "GIR 0AA"),
        ("1234  ab", "NL", "1234 AB"),
        ("12 - 34", "PT", "12-34"),
        ("ab", None, "AB"),
    ],
)
def test_postal_codes_of_the_crown_dependencies_and_generic_spacing(
    value: str, country: str | None, code: str
) -> None:
    """IM, JE and GG use the UK format; elsewhere spaces collapse and dashes close up."""
    assert normalize_postal_code(value, country) == code


@pytest.mark.parametrize(("value", "country"), [("gir 1ab", "GB"), ("a", "NL")])
def test_refused_postal_codes_name_their_field(value: str, country: str) -> None:
    """GIR is only GIR 0AA; one character is too short; the error is on postal_code."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_postal_code(value, country)
    assert caught.value.fields == {POSTAL_CODE_FIELD: "Enter a valid postal code."}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("", "The name is required.", id="empty"),
        pytest.param("Ann\x00Lee", "The name must not contain a NUL character.", id="nul"),
        pytest.param("Ann\nLee", "The name must be on one line.", id="line-break"),
        pytest.param(5, "The name must be text.", id="not-text"),
        pytest.param("x" * 201, "The name is longer than 200 characters.", id="too-long"),
    ],
)
def test_a_bad_name_says_what_is_wrong_for_its_field(value: object, message: str) -> None:
    """Each refusal of normalize_name names the field, with the default label."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_name(value)
    assert caught.value.fields == {"name": message}


def test_a_name_refusal_uses_the_callers_field_and_label() -> None:
    """A contact name is refused as the contact name, under its own field."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_name("a\x00", field="contact_name", label="The contact name")
    assert caught.value.fields == {
        "contact_name": "The contact name must not contain a NUL character."
    }
    assert normalize_name("  Ann Lee  ") == "Ann Lee"
    assert normalize_name("x" * 200) == "x" * 200


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ann@xn--bcher-kva.example", "ann@bücher.example"),
     ("ann@BÜCHER.example", "ann@bücher.example")],
)
def test_an_idna_domain_is_kept_in_its_unicode_form(typed: str, stored: str) -> None:
    """The xn-- spelling and any case of a Unicode domain give one address."""
    assert normalize_email(typed) == stored
