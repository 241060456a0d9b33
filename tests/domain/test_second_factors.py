"""The rules of second factors: policies, code reading, the accepted time step, digests."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.principals import User
from portalkit.domain.second_factors import (
    RECOVERY_ALPHABET,
    MfaRules,
    accepted_step,
    asks_second_factor,
    format_recovery_code,
    must_enrol,
    normalize_recovery_code,
    normalize_totp_code,
    recovery_digest,
    recovery_digests,
    time_step,
)
from portalkit.domain.tenants import MfaPolicy
from portalkit.errors import ConfigurationError

T0 = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.timezone.utc)


def _code_at(step: int) -> str:
    """A stand-in for an authenticator: a distinct code per step."""
    return f"{(step * 7919) % 10**6:06d}"


def _user(*, staff: bool) -> User:
    return User(id=1, tenant_id=1, email="a@b.example", name="A", is_staff=staff)


@pytest.mark.parametrize(
    ("policy", "staff", "enrolled", "asked", "enrol"),
    [
        (MfaPolicy.OFF, True, True, False, False),
        (MfaPolicy.OPTIONAL, False, True, True, False),
        (MfaPolicy.OPTIONAL, False, False, False, False),
        (MfaPolicy.STAFF, False, False, False, False),
        (MfaPolicy.STAFF, True, False, False, True),
        (MfaPolicy.STAFF, False, True, True, False),
        (MfaPolicy.EVERYONE, False, False, False, True),
        (MfaPolicy.EVERYONE, True, True, True, True),
    ],
)
def test_policies(
    policy: MfaPolicy, staff: bool, enrolled: bool, asked: bool, enrol: bool
) -> None:
    """Who is asked for a factor, and who must enrol, under each policy."""
    assert asks_second_factor(policy, enrolled=enrolled) is asked
    assert must_enrol(policy, _user(staff=staff)) is enrol


@pytest.mark.parametrize(
    ("typed", "read"),
    [("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456"),
     ("12345", None), ("1234567", None), ("12a456", None), ("", None), (None, None),
     (123456, None), ("\uff11" * 6, None), ("1" * 21, None),
     (" " * 14 + "123456", "123456"), (" " * 15 + "123456", None)],
)
def test_totp_codes_are_read_strictly(typed: object, read: str | None) -> None:
    """Six ASCII digits, spaces and dashes ignored, at most 20 characters typed; else None."""
    assert normalize_totp_code(typed) == read


def test_recovery_codes_read_any_spelling() -> None:
    """Case, spaces and the dash do not matter; look-alike letters are not in the alphabet."""
    code = "abcdefghjkmnpqrstuvwxyz23"
    assert format_recovery_code(code) == "abcde-fghjk-mnpqr-stuvw-xyz23"
    assert normalize_recovery_code(" ABCDE-fghjk-MNPQR-stuvw-xyz23 ") == code
    assert normalize_recovery_code("abcde fghjk mnpqr stuvw xyz23") == code
    assert normalize_recovery_code(code[:-1] + "0") is None  # 0 is not in the alphabet
    assert normalize_recovery_code(code[:-1]) is None
    assert normalize_recovery_code(code.encode()) is None


def test_a_typed_recovery_code_may_be_80_characters_long_not_81() -> None:
    """Separators count towards the 80 characters read: 80 is read, 81 is None."""
    code = "abcdefghjkmnpqrstuvwxyz23"
    assert normalize_recovery_code(" " * 55 + code) == code
    assert normalize_recovery_code(" " * 56 + code) is None


@given(st.text(max_size=50))
def test_normalizing_a_recovery_code_is_idempotent(text: str) -> None:
    """A normalized code normalizes to itself; its shown form reads back to it."""
    code = normalize_recovery_code(text)
    if code is not None:
        assert normalize_recovery_code(code) == code
        assert normalize_recovery_code(format_recovery_code(code)) == code


@given(st.text(max_size=30))
def test_normalizing_a_totp_code_is_idempotent(text: str) -> None:
    """A read TOTP code reads as itself."""
    code = normalize_totp_code(text)
    if code is not None:
        assert normalize_totp_code(code) == code


@given(st.lists(st.text(alphabet=RECOVERY_ALPHABET, min_size=25, max_size=25), max_size=5))
def test_recovery_codes_of_the_alphabet_are_always_read(codes: list[str]) -> None:
    """Every code the service can make is read back, in its shown form too."""
    for code in codes:
        assert normalize_recovery_code(format_recovery_code(code).upper()) == code


def test_one_step_either_side_and_never_an_used_one() -> None:
    """Steps now-1, now and now+1 match; now±2 does not; a used step never again."""
    now = time_step(T0)
    for offset in (-1, 0, 1):
        assert accepted_step(_code_at(now + offset), T0, 0, _code_at) == now + offset
    for offset in (-2, 2):
        assert accepted_step(_code_at(now + offset), T0, 0, _code_at) is None
    assert accepted_step(_code_at(now), T0, now, _code_at) is None
    assert accepted_step(_code_at(now - 1), T0, now, _code_at) is None
    assert accepted_step(_code_at(now + 1), T0, now, _code_at) == now + 1


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(-3, 3)), max_size=40))
def test_a_code_is_accepted_at_most_once(attempts: list[tuple[int, int]]) -> None:
    """Whatever codes arrive when, accepted steps strictly increase: no code works twice."""
    last = 0
    accepted: list[int] = []
    elapsed = 0
    for wait, offset in attempts:
        elapsed += wait
        now = T0 + dt.timedelta(seconds=elapsed)
        step = accepted_step(_code_at(time_step(now) + offset), now, last, _code_at)
        if step is not None:
            assert step > last
            assert abs(step - time_step(now)) <= 1
            last = step
            accepted.append(step)
    assert len(accepted) == len(set(accepted))
    assert accepted == sorted(accepted)


def test_recovery_digests_are_keyed_and_bound_to_the_user() -> None:
    """Another key, tenant or user gives another digest."""
    base = recovery_digest(b"k", 1, 2, "abcdefghjk")
    assert base != recovery_digest(b"j", 1, 2, "abcdefghjk")
    assert base != recovery_digest(b"k", 9, 2, "abcdefghjk")
    assert base != recovery_digest(b"k", 1, 9, "abcdefghjk")
    assert "abcdefghjk" not in base


@pytest.mark.parametrize(
    "changes",
    [{"pending_lifetime": dt.timedelta(0)}, {"pending_lifetime": dt.timedelta(hours=1)},
     {"pending_attempts": 0}, {"recovery_codes": 2}],
)
def test_rules_are_checked(changes: dict[str, object]) -> None:
    """Out-of-range settings stop the portal at start-up."""
    with pytest.raises(ConfigurationError):
        MfaRules(**changes)  # type: ignore[arg-type]


def test_when_two_steps_share_a_code_the_earliest_unused_is_accepted() -> None:
    """A code that matches several steps is taken at the earliest one after last_step."""
    now = time_step(T0)
    same = "424242"
    assert accepted_step(same, T0, 0, lambda step: same) == now - 1
    assert accepted_step(same, T0, now - 1, lambda step: same) == now
    assert accepted_step(same, T0, now, lambda step: same) == now + 1
    assert accepted_step(same, T0, now + 1, lambda step: same) is None


def test_a_recovery_code_has_a_digest_per_key_newest_first() -> None:
    """One digest for each key, in the order of the keys; no key, no digest."""
    assert recovery_digests([b"new", b"old"], 1, 2, "abcdefghjk") == [
        recovery_digest(b"new", 1, 2, "abcdefghjk"),
        recovery_digest(b"old", 1, 2, "abcdefghjk"),
    ]
    assert recovery_digests([], 1, 2, "abcdefghjk") == []


def test_recovery_digest_is_hmac_sha256_of_owner_and_code() -> None:
    """HMAC-SHA256 (hex) of portalkit-recovery:tenant:user:code; another form loses stored codes."""
    message = b"portalkit-recovery:1:2:abcdefghjk"
    assert recovery_digest(b"k", 1, 2, "abcdefghjk") == hmac.new(
        b"k", message, hashlib.sha256
    ).hexdigest()


def test_default_rules_are_accepted() -> None:
    """The defaults: 5 minutes, 5 attempts, 10 codes, 15 minutes of step-up."""
    rules = MfaRules()
    assert rules.pending_lifetime == dt.timedelta(minutes=5)
    assert rules.pending_attempts == 5
    assert rules.recovery_codes == 10
    assert rules.step_up_window == dt.timedelta(minutes=15)


TICK = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    "changes",
    [{"pending_lifetime": TICK}, {"pending_lifetime": dt.timedelta(minutes=15)},
     {"pending_attempts": 1}, {"pending_attempts": 10},
     {"recovery_codes": 5}, {"recovery_codes": 20},
     {"step_up_window": dt.timedelta(minutes=1)}, {"step_up_window": dt.timedelta(hours=12)}],
)
def test_rules_at_their_limits_are_accepted(changes: dict[str, object]) -> None:
    """Each range includes its ends (the pending lifetime only has to be above zero)."""
    rules = MfaRules(**changes)  # type: ignore[arg-type]
    for name, value in changes.items():
        assert getattr(rules, name) == value


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"pending_lifetime": dt.timedelta(0)},
      "mfa.pending_lifetime must be between 0 and 15 minutes."),
     ({"pending_lifetime": dt.timedelta(minutes=15, seconds=1)},
      "mfa.pending_lifetime must be between 0 and 15 minutes."),
     ({"pending_attempts": 0}, "mfa.pending_attempts must be 1 to 10."),
     ({"pending_attempts": 11}, "mfa.pending_attempts must be 1 to 10."),
     ({"recovery_codes": 4}, "mfa.recovery_codes must be 5 to 20."),
     ({"recovery_codes": 21}, "mfa.recovery_codes must be 5 to 20."),
     ({"step_up_window": dt.timedelta(minutes=1) - TICK},
      "mfa.step_up_window must be between 1 minute and 12 hours."),
     ({"step_up_window": dt.timedelta(hours=12) + TICK},
      "mfa.step_up_window must be between 1 minute and 12 hours.")],
)
def test_rules_just_outside_their_limits_name_the_setting(
    changes: dict[str, object], message: str
) -> None:
    """One step past either end is a ConfigurationError that names the setting and its range."""
    with pytest.raises(ConfigurationError) as caught:
        MfaRules(**changes)  # type: ignore[arg-type]
    assert caught.value.message == message
