"""Normalization of asset numbers and plates: the ASCII fast paths agree with the general rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.assets import _normalize_unicode, fold_similar, normalize_identifier

ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)


@given(text=ASCII | st.sampled_from(["FL-0001", "pl 12.3", "a\tb\x7f", "A-B-C", " - . "]))
def test_ascii_path_is_the_general_rule(text: str) -> None:
    """For ASCII text, the byte-level path gives what NFKC + casefold + dropping gives."""
    assert normalize_identifier(text) == _normalize_unicode(text)


@given(text=st.text(max_size=40))
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    """Normalizing a key again changes nothing, ASCII or not."""
    key = normalize_identifier(text)
    assert normalize_identifier(key) == key


@given(key=ASCII | st.text(max_size=20))
def test_fold_similar_folds_only_look_alikes(key: str) -> None:
    """O folds to 0 and I, L to 1, on both paths; nothing else changes."""
    folded = fold_similar(key)
    assert folded == key.replace("o", "0").replace("i", "1").replace("l", "1")
    assert fold_similar(folded) == folded


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("ABC-123", "abc123", id="ascii-dash"),
        pytest.param(" ab.c\t12\r\n3\x7f", "abc123", id="ascii-separators"),
        pytest.param("%_*\\Ab", "%_*\\ab", id="ascii-literals-stay"),
        pytest.param("\uff21\uff22\uff23\u3000\uff11\uff12\uff13", "abc123", id="full-width"),
        pytest.param("AB\u00b7C\u200b1\u20142\u20283", "abc123", id="unicode-separators"),
        pytest.param("STRASSE-Ä", "strasseä", id="case-folded"),
        pytest.param("Straße", "strasse", id="sharp-s-folds"),
    ],
)
def test_identifiers_normalize_to_their_key(text: str, key: str) -> None:
    """Case folded, width folded, separators (spaces, dashes, dots, format) dropped."""
    assert normalize_identifier(text) == key


@pytest.mark.parametrize(
    ("key", "folded"),
    [("oil-9", "011-9"), ("abc", "abc"), ("öil", "ö11"), ("ol0", "010")],
)
def test_plates_fold_o_i_and_l_to_digits(key: str, folded: str) -> None:
    """o becomes 0, i and l become 1, in ASCII and non-ASCII keys alike."""
    assert fold_similar(key) == folded
