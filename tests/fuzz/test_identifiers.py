"""Fuzzing the asset number and licence plate normalizers (the lookup box's input)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.assets import fold_similar, normalize_identifier
from portalkit.domain.resolver import MAX_LOOKUP_LENGTH, lookup_key
from portalkit.errors import InvalidInputError
from tests.fuzz.hostile import ANY_INPUT, FUZZ, HOSTILE_TEXT, typed


@FUZZ
@given(ANY_INPUT)
def test_lookup_key_takes_anything(text: Any) -> None:
    """Any input gives a non-empty normalized key or InvalidInputError (field ``query``),
    never another exception, and the key is a fixed point of the normalizer."""
    result = typed(lookup_key, text)
    if isinstance(result, str):
        assert result
        assert normalize_identifier(result) == result
        assert isinstance(text, str)
        assert len(text) <= MAX_LOOKUP_LENGTH
    else:
        assert isinstance(result, InvalidInputError)
        assert set(result.fields) == {"query"}


@FUZZ
@given(HOSTILE_TEXT)
def test_normalize_identifier_is_total_and_idempotent(text: str) -> None:
    """Every text normalizes (even 100,000 characters, within the deadline) and
    normalizing twice changes nothing; folding similar characters is idempotent too."""
    key = normalize_identifier(text)
    assert normalize_identifier(key) == key
    assert fold_similar(fold_similar(key)) == fold_similar(key)


@FUZZ
@given(st.text(max_size=MAX_LOOKUP_LENGTH))
def test_lookup_key_agrees_with_the_stored_key(text: str) -> None:
    """When a lookup is accepted, its key is exactly what storage indexes for the same text."""
    result = typed(lookup_key, text)
    if isinstance(result, str):
        assert result == normalize_identifier(text)
