"""Tests for portalkit.domain.passwords: the NIST SP 800-63B rev. 4 password policy."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.data import COMMON_PASSWORDS, common_passwords
from portalkit.domain.passwords import (
    CONFIRMATION_FIELD,
    MAX_PASSWORD_CHARS,
    PASSWORD_FIELD,
    PasswordPolicy,
    context_words_of,
    normalize_password,
)
from portalkit.errors import ConfigurationError, InvalidInputError

POLICY = PasswordPolicy(blocklist=COMMON_PASSWORDS)
GOOD = "correct horse battery staple"


def reason(policy: PasswordPolicy, password: str, confirmation: str | None = None,
           context: tuple[str, ...] = ()) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        policy.check(password, confirmation, context)
    return caught.value.fields


def test_a_long_passphrase_is_accepted_with_its_confirmation() -> None:
    """A 28-character passphrase with spaces and no digits or symbols passes."""
    POLICY.check(GOOD, GOOD, context_words_of("ann@city.example", "Ann Lee"))


def test_default_minimum_is_15_characters() -> None:
    """Fourteen characters are refused with a reason naming the minimum."""
    fields = reason(POLICY, "abcdefgh-jk-mn")
    assert fields == {PASSWORD_FIELD: "Use at least 15 characters."}
    POLICY.check("abcdefgh-jk-mnx")


def test_minimum_is_configurable_but_never_below_8() -> None:
    """A tenant may lower the minimum to 8, not to 7."""
    PasswordPolicy(min_length=8).check("tr0ub4d!")
    with pytest.raises(ConfigurationError):
        PasswordPolicy(min_length=7)


def test_at_least_64_characters_are_allowed_and_1024_is_the_cap() -> None:
    """64 characters always pass; the cap is configurable from 64 to 1,024; over 1,024 fails."""
    POLICY.check("a quiet river " * 4 + "runs deep sea ab")  # 72 characters
    with pytest.raises(ConfigurationError):
        PasswordPolicy(max_length=63)
    with pytest.raises(ConfigurationError):
        PasswordPolicy(max_length=MAX_PASSWORD_CHARS + 1)
    fields = reason(POLICY, "x y z " * 200)
    assert fields[PASSWORD_FIELD] == "Use at most 1024 characters."


def test_no_composition_rules() -> None:
    """Lower-case letters only, or any Unicode, are fine: no mix of kinds is asked."""
    POLICY.check("thequickbrownfoxjumps")
    POLICY.check("ñandú volador sobre el río")


def test_common_passwords_are_refused() -> None:
    """A blocklisted password long enough for the minimum is refused as too common."""
    policy = PasswordPolicy(min_length=8, blocklist=COMMON_PASSWORDS)
    assert reason(policy, "Password1")[PASSWORD_FIELD] == (
        "This password is too common; choose another."
    )
    assert reason(policy, "BASEBALL!")[PASSWORD_FIELD].startswith("This password is too common")


def test_packaged_blocklist_has_at_least_10000_entries() -> None:
    """The shipped list (Django's, BSD-3) loads lazily and holds over 10,000 passwords."""
    assert len(common_passwords()) >= 10_000
    assert "password" in COMMON_PASSWORDS
    assert "correct horse battery staple" not in COMMON_PASSWORDS


def test_repetitions_and_sequences_are_refused() -> None:
    """'aaaa…', 'abab…' and '1234…' style passwords are refused."""
    for bad in ("a" * 20, "ab" * 10, "abcdefghijklmnopqrst", "98765432109876543210"[:10] * 2):
        fields = reason(POLICY, bad)
        assert PASSWORD_FIELD in fields


def test_context_words_cannot_pad_a_password() -> None:
    """The user's name, email or the portal's name cannot make up most of the password."""
    context = context_words_of("ann.lee@cityfleet.example", "Ann Lee", "City Fleet")
    fields = reason(POLICY, "cityfleet2026!!", context=context)
    assert fields[PASSWORD_FIELD].startswith("Do not build the password")
    fields = reason(PasswordPolicy(context_words=("Cityfleet",)), "CityFleet-123456")
    assert PASSWORD_FIELD in fields
    POLICY.check("my cityfleet van is blue and fast", context_words=context)


def test_confirmation_must_match_after_normalization() -> None:
    """A different confirmation is a field error; an NFKC-equal one is not."""
    assert reason(POLICY, GOOD, GOOD + "!") == {CONFIRMATION_FIELD: "The passwords do not match."}
    fullwidth = "\uff43\uff4f\uff52\uff52\uff45\uff43\uff54 horse battery staple"
    POLICY.check(fullwidth, GOOD)


def test_both_fields_are_reported_together() -> None:
    """A short password with a wrong confirmation reports both fields."""
    fields = reason(POLICY, "short", "other")
    assert set(fields) == {PASSWORD_FIELD, CONFIRMATION_FIELD}


def test_rules_are_data_and_text() -> None:
    """The rules come as data with codes and numbers, and as display sentences."""
    rules = PasswordPolicy(min_length=12).rules()
    codes = [r.code for r in rules]
    assert codes[:2] == ["min_length", "max_length"]
    assert rules[0].value == 12
    assert PasswordPolicy(min_length=12).rules_text()[0] == "At least 12 characters."
    assert "not_common" in codes
    assert "confirmation" in codes


def test_context_words_split_emails_and_names() -> None:
    """Emails give their local part and its pieces; short pieces are dropped."""
    assert context_words_of("ann.lee@city.example") == (
        "annlee", "annleecityexample", "city", "example"
    )
    assert context_words_of(None, "") == ()


@given(st.text(max_size=80))
def test_normalization_is_nfkc_and_idempotent(text: str) -> None:
    """normalize_password is NFKC and applying it twice changes nothing."""
    once = normalize_password(text)
    assert once == unicodedata.normalize("NFKC", text)
    assert normalize_password(once) == once


@given(st.text(min_size=0, max_size=40))
def test_check_raises_only_invalid_input(text: str) -> None:
    """Any text either passes or raises InvalidInputError with a password reason."""
    broken = POLICY.problem(text)
    if broken is None:
        POLICY.check(text, text)
    else:
        fields = reason(POLICY, text, text)
        assert set(fields) == {PASSWORD_FIELD}
