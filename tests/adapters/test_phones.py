"""Tests for portalkit.adapters.phones: E.164 with the phonenumbers library."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.adapters.phones import PhonenumbersNormalizer, phonenumbers_available
from portalkit.domain.contact import PHONE_FIELD
from portalkit.errors import InvalidInputError

PHONES = PhonenumbersNormalizer("US")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(202) 555-0143", None, "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("2025550143", "us", "+12025550143"),
        ("+1 202 555 0143", "DE", "+12025550143"),
        ("030 1234567", "DE", "+49301234567"),
        ("020 7946 0958", "UK", "+442079460958"),
    ],
)
def test_numbers_normalize_to_e164(raw: str, region: str | None, expected: str) -> None:
    """Local and international spellings give one E.164 string, per region."""
    assert PHONES.normalize(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "12", "abc", "555-0143", "+1 000 000 0000", "1" * 41, None])
def test_malformed_numbers_are_field_errors(raw: object) -> None:
    """Invalid numbers raise InvalidInputError for field 'phone'."""
    with pytest.raises(InvalidInputError) as caught:
        PHONES.normalize(raw)  # type: ignore[arg-type]
    assert set(caught.value.fields) == {PHONE_FIELD}


def test_library_is_available_here() -> None:
    """The test environment has the phone extra installed."""
    assert phonenumbers_available()


def test_missing_library_gives_a_configuration_error_naming_the_extra() -> None:
    """Without phonenumbers, normalize() raises ConfigurationError telling to install the extra."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["phonenumbers"] = None  # makes the import fail
        from portalkit.adapters.phones import PhonenumbersNormalizer, phonenumbers_available
        from portalkit.errors import ConfigurationError
        assert not phonenumbers_available()
        try:
            PhonenumbersNormalizer().normalize("2025550143")
        except ConfigurationError as exc:
            print(exc.message)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "portalkit[phone]" in result.stdout


def test_importing_the_adapter_does_not_import_the_library() -> None:
    """phonenumbers is imported on first use only."""
    code = (
        "import sys, portalkit.adapters.phones\n"
        "print('phonenumbers' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


@given(st.from_regex(r"\A\(?[2-9]\d{2}\)? ?[2-9]\d{2}-?\d{4}\Z"))
def test_normalization_is_idempotent(raw: str) -> None:
    """E.164 output normalizes to itself."""
    try:
        once = PHONES.normalize(raw)
    except InvalidInputError:
        return
    assert once.startswith("+1")
    assert PHONES.normalize(once) == once
