"""Normalization of asset numbers and plates: the ASCII fast paths agree with the general rule."""

from __future__ import annotations

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
