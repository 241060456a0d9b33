"""Tests for portalkit.domain.identity: login precedence, codes, signed values, claims,
back-off."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.identity import (
    ClaimProblem,
    CodePurpose,
    CodeRules,
    IdentifierKind,
    OneTimeCode,
    ThrottleRule,
    ThrottleState,
    claim_problem,
    code_digest,
    login_candidates,
    normalize_code,
    read_signed_values,
    sign_values,
)
from portalkit.domain.records import CustomerRecord
from portalkit.errors import ConfigurationError, InvalidTokenError

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
KEY = b"k" * 32


def test_login_candidates_follow_the_documented_precedence() -> None:
    """Email first (lower-cased), then phone, then username (exact)."""
    kinds = [(c.kind, c.value) for c in login_candidates(" Ann@City.Example ")]
    assert kinds == [
        (IdentifierKind.EMAIL, "ann@city.example"),
        (IdentifierKind.USERNAME, "Ann@City.Example"),
    ]
    phone = login_candidates("(202) 555-0143")
    assert [c.kind for c in phone] == [IdentifierKind.PHONE, IdentifierKind.USERNAME]
    assert [c.kind for c in login_candidates("ann")] == [IdentifierKind.USERNAME]
    assert login_candidates("   ") == []


def test_code_rules_enforce_the_limits() -> None:
    """Codes live at most 15 minutes, allow 1-5 attempts and have at least 6 digits."""
    CodeRules(lifetime=dt.timedelta(minutes=10), max_attempts=3, digits=8)
    for bad in (
        {"lifetime": dt.timedelta(minutes=16)},
        {"max_attempts": 6},
        {"max_attempts": 0},
        {"digits": 5},
    ):
        with pytest.raises(ConfigurationError):
            CodeRules(**bad)  # type: ignore[arg-type]


def test_codes_are_normalized_and_digested_in_context() -> None:
    """Typed codes lose spaces/dashes; the digest depends on key, purpose, tenant and subject."""
    assert normalize_code(" 123-456 ") == "123456"
    assert normalize_code("12a456") is None
    assert normalize_code("١٢٣٤٥٦") is None  # non-ASCII digits
    assert normalize_code(None) is None
    base = code_digest(KEY, "reset", 1, 2, "123456")
    assert base != code_digest(KEY, "claim", 1, 2, "123456")
    assert base != code_digest(KEY, "reset", 1, 3, "123456")
    assert base != code_digest(b"x" * 32, "reset", 1, 2, "123456")
    assert base != code_digest(KEY, "reset", 1, 2, "123456", bound_to="stamp")
    assert "123456" not in base


def test_the_code_digest_format_is_fixed() -> None:
    """Stored digests stay valid across releases: HMAC-SHA256 of a fixed message; no binding."""
    expected = hmac.new(KEY, b"portalkit-code:reset:1:2::123456", hashlib.sha256).hexdigest()
    assert code_digest(KEY, "reset", 1, 2, "123456") == expected
    bound = hmac.new(KEY, b"portalkit-code:claim:1:2:stamp:9", hashlib.sha256).hexdigest()
    assert code_digest(KEY, "claim", 1, 2, "9", bound_to="stamp") == bound


def test_a_new_code_starts_without_failures() -> None:
    """renewed() replaces digest and expiry and forgets the old code's wrong guesses."""
    rules = CodeRules()
    code = OneTimeCode(
        id=1, tenant_id=1, purpose=CodePurpose.RESET, subject_id=2, digest="a",
        created_at=T0, expires_at=T0 + rules.lifetime, used_at=T0,
        failed_attempts=5, failures_since=T0,
    )
    later = T0 + dt.timedelta(minutes=1)
    fresh = code.renewed(digest="b", now=later, rules=rules)
    assert (fresh.digest, fresh.used_at, fresh.failed_attempts, fresh.failures_since) == (
        "b", None, 0, None)
    assert fresh.expires_at == later + rules.lifetime
    assert fresh.created_at == later


def test_tampered_or_foreign_signed_values_are_invalid() -> None:
    """A changed payload, another key, garbage or another purpose's string is refused."""
    token = sign_values(KEY, "claim", [3, 7, "x", 0])
    version, payload, signature = token.split(".")
    for bad in (
        f"{version}.{payload[:-2]}xx.{signature}",
        token + "x",
        "not a token",
        None,
        sign_values(KEY, "other", [3, 7, "x", 0]),
    ):
        with pytest.raises(InvalidTokenError):
            read_signed_values([KEY], "claim", bad)
    with pytest.raises(InvalidTokenError):
        read_signed_values([b"other" * 7], "claim", token)
    assert read_signed_values([b"new" * 11, KEY], "claim", token) == [3, 7, "x", 0]


@given(st.lists(st.one_of(st.integers(), st.text(max_size=20)), max_size=5))
def test_signed_values_round_trip(values: list[int | str]) -> None:
    """sign_values/read_signed_values give back exactly what was signed."""
    assert read_signed_values([KEY], "claim", sign_values(KEY, "claim", values)) == values


def _record(**changes: object) -> CustomerRecord:
    fields: dict[str, object] = {
        "id": 1, "tenant_id": 1, "organization_id": 1, "external_key": "C1", "name": "Bob",
        "phone": "+12025550199", "email": "bob@builder.example", "postal_code": "12345",
        "portal_enabled": True, "is_account": True, "contract_count": 1, "quote_count": 0,
    }
    fields.update(changes)
    return CustomerRecord(**fields)  # type: ignore[arg-type]


def test_claim_eligibility_follows_seed_004() -> None:
    """Portal on, account customer, a contract or quote, phone/email/postal code on file."""
    assert claim_problem(_record()) is None
    assert claim_problem(_record(contract_count=0, quote_count=2)) is None
    assert claim_problem(_record(portal_enabled=False)) is ClaimProblem.PORTAL_DISABLED
    assert claim_problem(_record(is_account=False)) is ClaimProblem.CASH_CUSTOMER
    assert claim_problem(_record(contract_count=0)) is ClaimProblem.NO_HISTORY
    for missing in ("phone", "email", "postal_code"):
        assert claim_problem(_record(**{missing: None})) is ClaimProblem.MISSING_CONTACT


RULE = ThrottleRule(limit=10, window=dt.timedelta(minutes=15))


def _after(failures: int, step: dt.timedelta = dt.timedelta(seconds=1)) -> ThrottleState:
    state = ThrottleState()
    for i in range(failures):
        state = state.failed(RULE, T0 + step * i)
    return state


def test_ten_failures_then_a_block_that_doubles() -> None:
    """Up to 10 failures pass; then 15 min, then 30 min after each further failure."""
    nine = _after(9)
    assert nine.retry_after(RULE, T0 + dt.timedelta(seconds=9)) == 0
    ten = _after(10)
    last = T0 + dt.timedelta(seconds=9)
    assert ten.retry_after(RULE, last) == 15 * 60
    after_block = last + dt.timedelta(minutes=15)
    assert ten.retry_after(RULE, after_block) == 0
    eleven = ten.failed(RULE, after_block)
    assert eleven.retry_after(RULE, after_block) == 30 * 60
    assert RULE.backoff(40) == dt.timedelta(hours=24)


def test_windows_and_quiet_periods_forget_failures() -> None:
    """Failures under the limit expire with the window; a block is forgotten after quiet."""
    three = _after(3)
    assert three.refreshed(RULE, T0 + dt.timedelta(minutes=16)) == ThrottleState()
    ten = _after(10)
    gone = T0 + dt.timedelta(seconds=9) + dt.timedelta(minutes=30)
    assert ten.refreshed(RULE, gone) == ThrottleState()
    assert ten.forgiven().failures == 9
    assert ThrottleState().forgiven() == ThrottleState()


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=10_000))
def test_retry_after_is_never_negative_nor_beyond_the_cap(failures: int, seconds: int) -> None:
    """retry_after stays within [0, backoff_max] whatever the history."""
    state = _after(failures)
    wait = state.retry_after(RULE, T0 + dt.timedelta(seconds=failures + seconds))
    assert 0 <= wait <= RULE.backoff_max.total_seconds()


@given(st.integers(min_value=1, max_value=30))
def test_a_key_is_blocked_exactly_from_the_limit(failures: int) -> None:
    """With failures in quick succession, the key is blocked iff failures >= limit."""
    state = _after(failures)
    blocked = state.retry_after(RULE, T0 + dt.timedelta(seconds=failures)) > 0
    assert blocked == (failures >= RULE.limit)


# Rules pinned for mutation testing ----------------------------------------------------


def test_login_candidates_of_non_text_is_nothing_and_a_phone_keeps_its_text() -> None:
    """Nothing typed (or not text) gives no reading; a phone reading is the text as typed."""
    assert login_candidates(None) == []  # type: ignore[arg-type]
    phone = [c for c in login_candidates(" +44 20 7946 0000 ")
             if c.kind is IdentifierKind.PHONE]
    assert [c.value for c in phone] == ["+44 20 7946 0000"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lifetime": dt.timedelta(0)}, "A one-time code may be valid for at most 15 minutes."),
        ({"max_attempts": 0}, "A one-time code allows 1 to 5 attempts."),
        ({"digits": 13}, "A one-time code has 6 to 12 digits."),
    ],
)
def test_code_rules_refusals_say_the_limit(changes: dict[str, object], message: str) -> None:
    """A zero lifetime, no attempts or 13 digits are refused with the limit in words."""
    with pytest.raises(ConfigurationError) as caught:
        CodeRules(**changes)  # type: ignore[arg-type]
    assert caught.value.message == message


def test_code_rules_accept_their_extremes() -> None:
    """One attempt, twelve digits and a one-second lifetime are all allowed."""
    rules = CodeRules(max_attempts=1, digits=12, lifetime=dt.timedelta(seconds=1))
    assert (rules.max_attempts, rules.digits) == (1, 12)


def test_a_code_of_40_characters_is_read_and_41_is_not() -> None:
    """Codes are read from at most 40 typed characters."""
    assert normalize_code("1 2-3\t4" + " " * 33) == "1234"
    assert normalize_code("1234" + " " * 37) is None


def test_signed_values_are_a_fixed_compact_format() -> None:
    """Version, unpadded URL-safe JSON without spaces, and the signature: a fixed vector."""
    token = sign_values(KEY, "session", [1, "a b"])
    assert token.split(".")[:2] == ["s1", "WzEsImEgYiJd"]
    assert "=" not in token
    assert read_signed_values([KEY], "session", token) == [1, "a b"]


def test_the_signature_covers_the_payload() -> None:
    """Another token's payload under this token's signature is refused."""
    one = sign_values(KEY, "p", [1]).split(".")
    two = sign_values(KEY, "p", [2]).split(".")
    with pytest.raises(InvalidTokenError):
        read_signed_values([KEY], "p", f"{one[0]}.{two[1]}.{one[2]}")


@pytest.mark.parametrize("token", [None, 7, "a.b"])
def test_a_token_that_is_not_three_parts_of_text_is_invalid(token: object) -> None:
    """Non-text or the wrong number of parts: InvalidTokenError, never another error."""
    with pytest.raises(InvalidTokenError):
        read_signed_values([KEY], "p", token)


def test_a_signed_token_longer_than_1024_characters_is_refused() -> None:
    """Even a genuine token is refused past 1024 characters (1025 here)."""
    token = sign_values(KEY, "p", ["x" * 729])
    assert len(token) == 1025
    with pytest.raises(InvalidTokenError):
        read_signed_values([KEY], "p", token)


@pytest.mark.parametrize(
    ("changes", "valid"),
    [
        ({"limit": 1}, True),
        ({"limit": 0}, False),
        ({"window": dt.timedelta(minutes=1)}, True),
        ({"window": dt.timedelta(0)}, False),
    ],
)
def test_a_throttle_needs_a_limit_of_one_and_a_window(
    changes: dict[str, object], valid: bool
) -> None:
    """Limit 1 and any positive window are fine; limit 0 or no window is refused."""
    if valid:
        ThrottleRule(**changes)  # type: ignore[arg-type]
        return
    with pytest.raises(ConfigurationError) as caught:
        ThrottleRule(**changes)  # type: ignore[arg-type]
    assert caught.value.message == "A throttle needs a limit of at least 1 and a window."


def test_backoff_doubles_at_most_twenty_times() -> None:
    """Past 20 doublings the block stops growing (before the cap applies)."""
    rule = ThrottleRule(limit=1, window=dt.timedelta(seconds=1),
                        backoff_max=dt.timedelta(days=10_000))
    assert rule.backoff(22) == dt.timedelta(seconds=2**20)


def test_forgiving_the_only_failure_forgets_the_window() -> None:
    """Forgiving one failure of one is a clean state; of two, one failure in the window."""
    rule = ThrottleRule()
    one = ThrottleState().failed(rule, T0)
    assert one.forgiven() == ThrottleState()
    two = one.failed(rule, T0)
    assert two.forgiven() == ThrottleState(failures=1, window_start=T0, last_failure=T0)


def test_refreshing_forgets_at_the_end_of_the_window_and_empty_windows() -> None:
    """Under the limit, failures are forgotten exactly when the window ends."""
    rule = ThrottleRule()
    one = ThrottleState().failed(rule, T0)
    assert one.refreshed(rule, T0 + rule.window - dt.timedelta(seconds=1)) == one
    assert one.refreshed(rule, T0 + rule.window) == ThrottleState()
    assert ThrottleState(failures=0, window_start=T0).refreshed(rule, T0) == ThrottleState()


