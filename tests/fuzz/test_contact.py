"""Fuzzing the contact normalizers: email addresses, postal codes and phone numbers."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.adapters.emails import EmailValidatorChecker
from portalkit.adapters.phones import PhonenumbersNormalizer, phonenumbers_available
from portalkit.domain.contact import (
    MAX_EMAIL_LENGTH,
    looks_like_email,
    looks_like_phone,
    normalize_email,
    normalize_postal_code,
    postal_codes_match,
)
from portalkit.errors import InvalidInputError
from tests.fuzz.hostile import ANY_INPUT, FUZZ, HOSTILE_TEXT, typed

COUNTRIES = st.sampled_from(["US", "CA", "GB", "UK", "DE", "FR", "", "usa", "IM"]) | st.text(
    max_size=6
)


@FUZZ
@given(ANY_INPUT)
def test_normalize_email_takes_anything(value: Any) -> None:
    """Any input gives a bounded, idempotent address or InvalidInputError for ``email``."""
    result = typed(normalize_email, value)
    if isinstance(result, str):
        assert len(result) <= MAX_EMAIL_LENGTH
        assert result.count("@") == 1
        assert normalize_email(result) == result
        assert looks_like_email(result)
    else:
        assert isinstance(result, InvalidInputError)
        assert set(result.fields) == {"email"}


@FUZZ
@given(ANY_INPUT, st.none() | COUNTRIES)
def test_normalize_postal_code_takes_anything(value: Any, country: str | None) -> None:
    """Any input, for any country spelling, gives an idempotent code or InvalidInputError
    for ``postal_code``; matching two codes never raises."""
    result = typed(normalize_postal_code, value, country)
    if isinstance(result, str):
        assert normalize_postal_code(result, country) == result
        assert postal_codes_match(result, result, country)
    else:
        assert isinstance(result, InvalidInputError)
        assert set(result.fields) == {"postal_code"}
    if isinstance(value, str):
        assert isinstance(postal_codes_match(value, "12345", country), bool)


@FUZZ
@given(HOSTILE_TEXT)
def test_looks_like_phone_never_raises(text: str) -> None:
    """The cheap phone-shape test answers True or False for any text."""
    assert isinstance(looks_like_phone(text), bool)


@pytest.mark.skipif(not phonenumbers_available(), reason="needs portalkit[phone]")
@FUZZ
@given(
    ANY_INPUT | st.from_regex(r"\A\+?[0-9 ()./-]{0,45}\Z"),
    st.none() | st.sampled_from(["US", "GB", "UK", "DE", "us", "ZZ", "", "001"])
    | st.text(max_size=4),
)
def test_phone_normalizer_takes_anything(number: Any, region: str | None) -> None:
    """Any input and region give E.164 (``+`` and 8-15 digits, idempotent) or
    InvalidInputError for ``phone``."""
    normalizer = PhonenumbersNormalizer()
    result = typed(normalizer.normalize, number, region)
    if isinstance(result, str):
        assert result.startswith("+")
        assert result[1:].isdigit()
        assert normalizer.normalize(result, region) == result
    else:
        assert isinstance(result, InvalidInputError)
        assert set(result.fields) == {"phone"}


@pytest.mark.skipif(
    importlib.util.find_spec("email_validator") is None, reason="needs email-validator"
)
@FUZZ
@given(
    ANY_INPUT
    | st.emails()
    | st.from_regex(r"\A[a-zA-Z0-9.+_ -]{0,20}@[a-z0-9.\-]{0,30}\Z")
)
def test_strict_email_checker_takes_anything(value: Any) -> None:
    """The optional email-validator check gives an address that the plain
    normalizer accepts too, or InvalidInputError for ``email``; nothing else."""
    result = typed(EmailValidatorChecker().check, value)
    if isinstance(result, str):
        assert normalize_email(result) == result
    else:
        assert isinstance(result, InvalidInputError)
        assert set(result.fields) == {"email"}
