"""Tests for portalkit.adapters.emails: strict email checks with email-validator."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.adapters.emails import EmailValidatorChecker
from portalkit.domain.contact import EMAIL_FIELD, normalize_email
from portalkit.errors import InvalidInputError

CHECKER = EmailValidatorChecker()


def test_valid_addresses_are_lower_cased() -> None:
    """A valid address comes back like normalize_email gives it."""
    assert CHECKER.check(" Ann.Smith@Example.COM ") == "ann.smith@example.com"


@pytest.mark.parametrize("address", ["a@b", "a@example.local", "a@exa_mple.com", "no"])
def test_invalid_addresses_are_field_errors(address: str) -> None:
    """Addresses email-validator refuses raise InvalidInputError for 'email'."""
    with pytest.raises(InvalidInputError) as caught:
        CHECKER.check(address)
    assert set(caught.value.fields) == {EMAIL_FIELD}


def test_missing_library_is_a_configuration_error() -> None:
    """Without email-validator, check() says how to install it."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["email_validator"] = None
        from portalkit.adapters.emails import EmailValidatorChecker
        from portalkit.errors import ConfigurationError
        try:
            EmailValidatorChecker().check("ann@example.com")
        except ConfigurationError as exc:
            print(exc.message)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install email-validator" in result.stdout


@given(st.emails())
def test_strict_check_agrees_with_the_core_normalizer_when_it_accepts(address: str) -> None:
    """Whatever the strict checker accepts, the core normalizer gives the same value."""
    try:
        checked = CHECKER.check(address)
    except InvalidInputError:
        return
    assert checked == normalize_email(address)
