"""Fuzzing signed tokens: anything in place of a link's token is a typed refusal."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from portalkit.adapters.clock import ManualClock
from portalkit.adapters.tokens import MAX_TOKEN_LENGTH, ItsdangerousTokenSigner
from portalkit.errors import InvalidTokenError
from portalkit.ports import TokenPurpose
from tests.fuzz.hostile import ANY_INPUT, FUZZ, typed

KEY = "fuzzing-secret-key-that-is-long-enough-0123"
SIGNER = ItsdangerousTokenSigner(KEY, clock=ManualClock())
PURPOSES = st.sampled_from(list(TokenPurpose))
TOKEN_CHARS = st.sampled_from("abcXYZ019-_.=+/ \x00é")


@FUZZ
@given(PURPOSES, ANY_INPUT)
def test_verify_takes_anything(purpose: TokenPurpose, token: Any) -> None:
    """Any input in place of a token is refused with InvalidTokenError (or its
    TokenExpiredError subclass), never another exception."""
    result = typed(SIGNER.verify, purpose, token)
    assert isinstance(result, InvalidTokenError)


@st.composite
def mutated_tokens(draw: st.DrawFn) -> tuple[TokenPurpose, str, str]:
    """A genuine token and a copy with characters replaced, inserted or removed."""
    purpose = draw(PURPOSES)
    nonce = draw(st.text("ab12", min_size=1, max_size=64))
    genuine = SIGNER.sign(purpose, draw(st.integers(0, 2**40)), nonce)
    chars = list(genuine)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(chars)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "insert" or not chars or where == len(chars):
            chars.insert(where, draw(TOKEN_CHARS))
        elif action == "replace":
            chars[where] = draw(TOKEN_CHARS)
        else:
            del chars[where]
    return purpose, genuine, "".join(chars)


@FUZZ
@given(mutated_tokens())
def test_any_change_to_a_genuine_token_is_refused(case: tuple[TokenPurpose, str, str]) -> None:
    """Altering, adding or removing characters of a genuine token never gives a
    token that verifies (unless the edits cancel out), and never crashes."""
    purpose, genuine, mutated = case
    result = typed(SIGNER.verify, purpose, mutated)
    if mutated == genuine:
        assert not isinstance(result, InvalidTokenError)
    else:
        assert isinstance(result, InvalidTokenError)


@FUZZ
@given(PURPOSES, st.integers(MAX_TOKEN_LENGTH + 1, 200_000))
def test_oversized_tokens_are_refused_before_parsing(purpose: TokenPurpose, size: int) -> None:
    """A token longer than MAX_TOKEN_LENGTH is refused at once, whatever its size."""
    result = typed(SIGNER.verify, purpose, "a" * size)
    assert isinstance(result, InvalidTokenError)
