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


# Rules pinned for mutation testing ----------------------------------------------------

EIGHT = PasswordPolicy(min_length=8, max_length=64)


def test_the_rules_as_data() -> None:
    """Codes, texts and numbers of the rules, in the order they are checked."""
    assert [(r.code, r.text, r.value) for r in PasswordPolicy().rules()] == [
        ("min_length", "At least 15 characters.", 15),
        ("max_length", "At most 1024 characters.", 1024),
        ("no_composition",
         "Any characters may be used, spaces included; no mix of kinds is required.", None),
        ("not_common", "Not a commonly used password.", None),
        ("not_repetitive", "Not a repeated character or a plain sequence.", None),
        ("not_context", "Not built from your name, your email address or the portal's name.",
         None),
        ("confirmation", "Type the same password twice.", None),
    ]


def test_context_words_take_the_local_part_before_the_first_at() -> None:
    """The part before the first @ is a word of its own; empty texts are skipped."""
    assert context_words_of(None, "annabel.lee@x@city.example") == (
        "annabellee", "annabelleexcityexample", "annabel", "city", "example")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("a b c d ~~~~~~~~", "not_repetitive"),  # a 4-letter sequence among symbols
        ("a" * 17, "not_repetitive"),  # one character, a prime number of times
        ("abxy" * 4, "not_repetitive"),  # a unit of four
        ("abxyz" * 3, None),  # a unit of five that is not itself repetitive
        ("a !!!!!!!!!!!!!", None),  # one letter among symbols
        ("a-a-a-a-a-a-a-a", "not_repetitive"),  # repetitive once symbols are dropped
    ],
)
def test_what_counts_as_repetitive(password: str, code: str | None) -> None:
    """Units of up to four characters and plain sequences of four or more are refused."""
    broken = PasswordPolicy().problem(password)
    assert (broken.code if broken else None) == code


def test_a_blocklisted_password_matches_with_symbols_removed() -> None:
    """The letters-and-digits form alone is enough to match the blocklist."""
    policy = PasswordPolicy(min_length=8, blocklist={"password1"})
    broken = policy.problem("Password-1")
    assert broken is not None
    assert broken.code == "not_common"


@pytest.mark.parametrize(
    ("password", "words", "refused"),
    [
        ("anna!!!!!123", ["anna"], True),  # a four-letter word counts
        ("!!!!!!!!a", ["lee-anne"], False),  # a word that does not appear does not count
    ],
)
def test_context_words_of_four_letters_count_only_where_they_appear(
    password: str, words: list[str], refused: bool
) -> None:
    """A context word is looked for only when it is in the password."""
    broken = EIGHT.problem(password, words)
    assert (broken is not None and broken.code == "not_context") is refused


def test_what_is_left_besides_a_context_word_must_be_half_the_minimum() -> None:
    """With 15 as minimum, 7 other characters are enough (15 // 2)."""
    assert PasswordPolicy().problem("annabel-1234567", ["annabel"]) is None


def test_length_limits_are_inclusive() -> None:
    """Exactly max_length, and exactly 1024 characters, are accepted; non-text is not."""
    assert EIGHT.problem("x" + "".join(str(i) for i in range(40))[:63]) is None
    long = "".join(f"{i:x}z" for i in range(400))[:MAX_PASSWORD_CHARS]
    assert len(long) == MAX_PASSWORD_CHARS
    assert PasswordPolicy().problem(long) is None
    broken = PasswordPolicy().problem(None)  # type: ignore[arg-type]
    assert broken is not None
    assert broken.code == "max_length"


def test_max_length_bounds_and_their_messages() -> None:
    """64 is the smallest maximum and may equal the minimum; the errors say the bounds."""
    assert PasswordPolicy(min_length=64, max_length=64).max_length == 64
    with pytest.raises(ConfigurationError) as low:
        PasswordPolicy(max_length=63)
    assert low.value.message == "The maximum password length must be between 64 and 1024."
    with pytest.raises(ConfigurationError) as below:
        PasswordPolicy(min_length=100, max_length=99)
    assert below.value.message == "The maximum password length is below the minimum."
    with pytest.raises(ConfigurationError) as short:
        PasswordPolicy(min_length=7)
    assert short.value.message == "The minimum password length cannot be below 8."


def test_check_names_the_broken_rule_in_its_message() -> None:
    """The error's message is the password field's reason; a non-text confirmation mismatches."""
    with pytest.raises(InvalidInputError) as caught:
        PasswordPolicy().check("a" * 20, confirmation=7)  # type: ignore[arg-type]
    assert caught.value.message == "Avoid repeated characters and plain sequences."
    assert caught.value.fields == {
        PASSWORD_FIELD: "Avoid repeated characters and plain sequences.",
        CONFIRMATION_FIELD: "The passwords do not match.",
    }


def test_a_password_over_the_policy_maximum_breaks_the_max_length_rule() -> None:
    """Longer than max_length (but under the hard cap) is the max_length rule."""
    broken = EIGHT.problem("".join(f"{i:x}z" for i in range(40))[:65])
    assert broken is not None
    assert broken.code == "max_length"
