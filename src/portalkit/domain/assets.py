"""Normalization of asset numbers and licence plates.

The normalized key is what storage indexes and what a lookup compares, so
"abc-123", "ABC 123" and the full-width "ABC 123" all find the same asset.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold_similar", "normalize_identifier"]

_DROP_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Pd", "Cc"})
_DROP_CHARS = frozenset(" .\t\r\n\u00b7")
# For ASCII text NFKC changes nothing and case-folding is lower(): one deletion
# over the encoded bytes (a C table lookup, twice as fast as str.translate).
_ASCII_DROP = bytes(
    c for c in range(128) if chr(c) in _DROP_CHARS or chr(c) == "-" or c < 32 or c == 127
)


def normalize_identifier(text: str) -> str:
    """Normalize an asset number or plate: NFKC, case-folded, separators removed.

    Spaces, dashes, dots and zero-width/format characters go; everything else
    (including ``%``, ``_``, ``*`` and ``\\``) stays and matches literally. The
    function is idempotent.
    """
    if text.isascii():
        return text.encode().translate(None, _ASCII_DROP).lower().decode()
    return _normalize_unicode(text)


def _normalize_unicode(text: str) -> str:
    """The general case of :func:`normalize_identifier` (any text, ASCII included)."""
    result = text
    # Dropping a separator can bring a combining mark next to a new base letter,
    # and case-folding can un-normalize; repeat until nothing changes.
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", result).casefold())
        cleaned = "".join(
            ch for ch in folded
            if ch not in _DROP_CHARS and unicodedata.category(ch) not in _DROP_CATEGORIES
        )
        if cleaned == result:
            break
        result = cleaned
    return result


_SIMILAR = str.maketrans({"o": "0", "i": "1", "l": "1"})
_ASCII_SIMILAR = bytes.maketrans(b"oil", b"011")


def fold_similar(key: str) -> str:
    """Fold characters that look alike on plates (O/0, I/L/1) in a normalized key."""
    if key.isascii():
        return key.encode().translate(_ASCII_SIMILAR).decode()
    return key.translate(_SIMILAR)
