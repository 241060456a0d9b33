"""Tests for portalkit.adapters.tokens: purpose-bound, expiring, rotating tokens."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_decode

from portalkit.adapters.clock import ManualClock
from portalkit.adapters.tokens import DEFAULT_MAX_AGES, ItsdangerousTokenSigner
from portalkit.errors import ConfigurationError, InvalidTokenError, TokenExpiredError
from portalkit.ports import TokenPurpose

KEY_A = "a" * 40
KEY_B = "b" * 40
KEY_C = "c" * 40
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)

ids = st.integers(min_value=0, max_value=2**53)
nonces = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    min_size=1,
    max_size=64,
)
purposes = st.sampled_from(list(TokenPurpose))


def make(keys: object = KEY_A, clock: ManualClock | None = None) -> ItsdangerousTokenSigner:
    """A signer on a manual clock."""
    return ItsdangerousTokenSigner(keys, clock=clock or ManualClock(START))  # type: ignore[arg-type]


@given(purpose=purposes, id_=ids, nonce=nonces)
def test_round_trip_gives_back_id_and_nonce(purpose: TokenPurpose, id_: int, nonce: str) -> None:
    """A fresh token verifies for its purpose and carries exactly its id and nonce."""
    signer = make()
    claims = signer.verify(purpose, signer.sign(purpose, id_, nonce))
    assert (claims.id, claims.nonce) == (id_, nonce)
    assert claims.signed_at == START


@given(id_=ids, nonce=nonces)
def test_token_carries_only_id_and_nonce(id_: int, nonce: str) -> None:
    """The readable payload of a token is the id and nonce, nothing else."""
    token = make().sign(TokenPurpose.INVITE, id_, nonce)
    compressed = token.startswith(".")
    raw = base64_decode(token.lstrip(".").split(".")[0])
    payload = json.loads(zlib.decompress(raw) if compressed else raw)
    assert payload == [id_, nonce]


@settings(max_examples=300)
@given(
    purpose=purposes,
    id_=ids,
    nonce=nonces,
    position=st.integers(min_value=0),
    replacement=st.characters(codec="ascii"),
)
def test_any_changed_character_is_refused(
    purpose: TokenPurpose, id_: int, nonce: str, position: int, replacement: str
) -> None:
    """Changing any one character of a token makes it invalid (never other claims)."""
    signer = make()
    token = signer.sign(purpose, id_, nonce)
    position %= len(token)
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidTokenError) as info:
        signer.verify(purpose, tampered)
    assert type(info.value) is InvalidTokenError


@given(purpose=purposes, id_=ids, nonce=nonces, cut=st.integers(min_value=1))
def test_truncated_tokens_are_refused(
    purpose: TokenPurpose, id_: int, nonce: str, cut: int
) -> None:
    """Any proper prefix of a token, or the token with extra text, is invalid."""
    signer = make()
    token = signer.sign(purpose, id_, nonce)
    with pytest.raises(InvalidTokenError):
        signer.verify(purpose, token[: cut % len(token)])
    with pytest.raises(InvalidTokenError):
        signer.verify(purpose, token + "A")


@given(made_for=purposes, used_for=purposes, id_=ids, nonce=nonces)
def test_wrong_purpose_is_refused(
    made_for: TokenPurpose, used_for: TokenPurpose, id_: int, nonce: str
) -> None:
    """A token made for one purpose never verifies for another."""
    signer = make()
    token = signer.sign(made_for, id_, nonce)
    if made_for == used_for:
        assert signer.verify(used_for, token).id == id_
    else:
        with pytest.raises(InvalidTokenError) as info:
            signer.verify(used_for, token)
        assert not isinstance(info.value, TokenExpiredError)


@given(purpose=purposes, extra=st.integers(min_value=1, max_value=10**7))
def test_expired_tokens_raise_token_expired(purpose: TokenPurpose, extra: int) -> None:
    """A genuine token older than its purpose's lifetime raises TokenExpiredError."""
    clock = ManualClock(START)
    signer = make(clock=clock)
    token = signer.sign(purpose, 7, "n0nce")
    clock.set(START + DEFAULT_MAX_AGES[purpose])
    assert signer.verify(purpose, token).id == 7  # exactly at the limit: still valid
    clock.set(START + DEFAULT_MAX_AGES[purpose] + dt.timedelta(seconds=extra))
    with pytest.raises(TokenExpiredError):
        signer.verify(purpose, token)


@given(seconds=st.integers(min_value=1, max_value=3600))
def test_max_age_only_shortens(seconds: int) -> None:
    """A per-call max_age shortens the lifetime; a longer one does not extend it."""
    clock = ManualClock(START)
    signer = make(clock=clock)
    token = signer.sign(TokenPurpose.DOWNLOAD, 1, "x")
    clock.set(START + dt.timedelta(seconds=seconds))
    with pytest.raises(TokenExpiredError):
        signer.verify(TokenPurpose.DOWNLOAD, token, max_age=dt.timedelta(seconds=seconds - 1))
    clock.set(START + DEFAULT_MAX_AGES[TokenPurpose.DOWNLOAD] + dt.timedelta(seconds=seconds))
    with pytest.raises(TokenExpiredError):
        signer.verify(TokenPurpose.DOWNLOAD, token, max_age=dt.timedelta(days=365))


@given(purpose=purposes, ahead=st.integers(min_value=31, max_value=10**8))
def test_future_dated_tokens_are_invalid(purpose: TokenPurpose, ahead: int) -> None:
    """A token dated later than now (beyond 30 s of clock skew) is invalid, not expired."""
    future = ManualClock(START + dt.timedelta(seconds=ahead))
    token = make(clock=future).sign(purpose, 3, "abc")
    signer = make(clock=ManualClock(START))
    with pytest.raises(InvalidTokenError) as info:
        signer.verify(purpose, token)
    assert not isinstance(info.value, TokenExpiredError)
    # Within the allowed skew the token is accepted.
    near = make(clock=ManualClock(START + dt.timedelta(seconds=30))).sign(purpose, 3, "abc")
    assert signer.verify(purpose, near).id == 3


@given(purpose=purposes, id_=ids, nonce=nonces)
def test_key_rotation_first_signs_all_verify(purpose: TokenPurpose, id_: int, nonce: str) -> None:
    """After rotation old tokens still verify; once the old key is dropped they do not."""
    old_token = make([KEY_A]).sign(purpose, id_, nonce)
    rotated = make([KEY_B, KEY_A])
    assert rotated.verify(purpose, old_token).id == id_
    new_token = rotated.sign(purpose, id_, nonce)
    assert make([KEY_B]).verify(purpose, new_token).id == id_  # the first key signs
    with pytest.raises(InvalidTokenError):
        make([KEY_A]).verify(purpose, new_token)
    with pytest.raises(InvalidTokenError):
        make([KEY_B, KEY_C]).verify(purpose, old_token)  # KEY_A rotated out


@given(garbage=st.text(max_size=600))
def test_arbitrary_text_never_crashes(garbage: str) -> None:
    """Any string is either refused with InvalidTokenError or is not a token at all."""
    with pytest.raises(InvalidTokenError):
        make().verify(TokenPurpose.INVITE, garbage)


def test_payload_of_the_wrong_shape_is_refused() -> None:
    """A correctly signed token whose payload is not [id, nonce] is invalid."""
    signer = make()
    raw = signer._serializers[TokenPurpose.INVITE]
    for payload in ({"id": 1}, [1], ["1", "n"], [True, "n"], [1, ""], [-1, "n"], "x"):
        with pytest.raises(InvalidTokenError):
            signer.verify(TokenPurpose.INVITE, str(raw.dumps(payload)))


@pytest.mark.parametrize("keys", ["short", b"x" * 31, [], [KEY_A, "short"]])
def test_short_or_missing_keys_are_a_startup_error(keys: object) -> None:
    """Keys under 32 bytes (or none) raise ConfigurationError when the signer is built."""
    with pytest.raises(ConfigurationError):
        make(keys)


def test_non_positive_lifetime_is_a_configuration_error() -> None:
    """A lifetime of zero would make every token expired: refused at start-up."""
    with pytest.raises(ConfigurationError):
        ItsdangerousTokenSigner(KEY_A, max_ages={TokenPurpose.RESET: dt.timedelta(0)})


@pytest.mark.parametrize(("id_", "nonce"), [(-1, "n"), (1, ""), (1, "x" * 65)])
def test_sign_refuses_bad_claims(id_: int, nonce: str) -> None:
    """Signing a negative id or an empty/oversized nonce is a programming error."""
    with pytest.raises(ValueError):
        make().sign(TokenPurpose.INVITE, id_, nonce)
