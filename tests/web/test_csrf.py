"""CSRF tokens (portalkit.web.csrf): bound to a session, tamper-proof, expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit import Portal
from portalkit.adapters.clock import ManualClock
from portalkit.errors import InvalidTokenError, TokenExpiredError
from portalkit.web import CSRF_MAX_AGE, CsrfTokens, new_session_secret

KEY = "csrf-test-secret-key-0123456789-abcdefghij"
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clock() -> ManualClock:
    """A clock the tests move by hand."""
    return ManualClock(T0)


@pytest.fixture
def tokens(clock: ManualClock) -> CsrfTokens:
    """Tokens under the test key and clock."""
    return CsrfTokens(KEY, clock=clock)


def test_a_token_is_good_for_its_session(tokens: CsrfTokens) -> None:
    """Issued for a session, accepted for it (many times: one per form)."""
    secret = new_session_secret()
    token = tokens.issue(secret)
    tokens.verify(secret, token)
    assert tokens.is_valid(secret, token)
    assert tokens.is_valid(secret, tokens.issue(secret))


def test_another_session_cannot_use_it(tokens: CsrfTokens) -> None:
    """A token lifted from one session is worthless in another (or in none)."""
    token = tokens.issue(new_session_secret())
    with pytest.raises(InvalidTokenError):
        tokens.verify(new_session_secret(), token)
    assert not tokens.is_valid(None, token)
    assert not tokens.is_valid("", token)


def test_another_key_cannot_make_one() -> None:
    """Only the portal's key makes good tokens; a rotated-out key still verifies."""
    secret = new_session_secret()
    forged = CsrfTokens("another-key-of-enough-length-0123456789").issue(secret)
    assert not CsrfTokens(KEY).is_valid(secret, forged)
    old = CsrfTokens("the-old-key-still-accepted-0123456789ab").issue(secret)
    assert CsrfTokens([KEY, "the-old-key-still-accepted-0123456789ab"]).is_valid(secret, old)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: f"{int(t.split('.')[0], 16) + 1:x}." + t.split(".")[1],
        lambda t: t.split(".")[1],
        lambda t: t + "AAAA",
        lambda t: "",
        lambda t: "zz." + t.split(".")[1],
        lambda t: "1.%%%",
    ],
)
def test_tampered_tokens_are_refused(tokens: CsrfTokens, tamper: object) -> None:
    """Any change to the time or the MAC, or a malformed token, is refused."""
    secret = new_session_secret()
    token = tokens.issue(secret)
    assert callable(tamper)
    with pytest.raises(InvalidTokenError):
        tokens.verify(secret, tamper(token))


@given(st.text(max_size=120) | st.none() | st.integers())
def test_garbage_is_refused_without_crashing(token: object) -> None:
    """Whatever is posted as a token, the answer is a refusal, never a crash."""
    assert not CsrfTokens(KEY).is_valid("session-secret", token)


def test_tokens_expire(tokens: CsrfTokens, clock: ManualClock) -> None:
    """A genuine token older than max_age gets TokenExpiredError; one from the future too."""
    secret = new_session_secret()
    token = tokens.issue(secret)
    clock.set(T0 + CSRF_MAX_AGE)
    tokens.verify(secret, token)
    clock.set(T0 + CSRF_MAX_AGE + dt.timedelta(seconds=1))
    with pytest.raises(TokenExpiredError):
        tokens.verify(secret, token)
    clock.set(T0 - dt.timedelta(hours=1))
    with pytest.raises(TokenExpiredError):
        tokens.verify(secret, token)


def test_the_portal_offers_tokens_with_its_key() -> None:
    """portal.csrf is made from the portal's secret key."""
    secret = new_session_secret()
    with Portal.from_url("memory://", secret_key=KEY) as portal:
        token = portal.csrf.issue(secret)
        assert CsrfTokens(KEY).is_valid(secret, token)
        assert KEY not in repr(portal.csrf)


def test_needs_a_key_and_a_session_secret() -> None:
    """Empty keys and empty session secrets are mistakes, not tokens."""
    with pytest.raises(ValueError, match="secret key"):
        CsrfTokens("")
    with pytest.raises(ValueError, match="session"):
        CsrfTokens(KEY).issue("")
