"""Asset and licence-plate lookup rules (seed 000's entry screen).

The customer types an asset number or a plate. The text is validated and
normalized (:func:`portalkit.domain.assets.normalize_identifier`), matched
against the normalized keys of the assets *the principal may see* — the scope
filter is part of the one query, so an asset outside the principal's scope is
never loaded and its absence looks exactly like a nonexistent asset — and the
matches are grouped by organization:

- one organization: :class:`Found`;
- several: :class:`Ambiguous`, listing only those organizations (by name), to choose from;
- none: :data:`NOT_FOUND`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import attrs

from portalkit.domain.assets import fold_similar, normalize_identifier
from portalkit.domain.filters import Eq, Filter, all_of, any_of
from portalkit.domain.records import Asset
from portalkit.domain.scopes import organization_path
from portalkit.errors import InvalidInputError

__all__ = [
    "MAX_LOOKUP_LENGTH",
    "MAX_MATCHES",
    "MAX_REGION_LENGTH",
    "NOT_FOUND",
    "Ambiguous",
    "Candidate",
    "Found",
    "LookupOptions",
    "NotFound",
    "Resolution",
    "choose",
    "fold_similar",
    "lookup_filter",
    "lookup_key",
    "lookup_region",
]

#: Longest text accepted for a lookup, before normalization.
MAX_LOOKUP_LENGTH = 64
#: Most matching assets read for one lookup (more means several organizations anyway).
MAX_MATCHES = 50
#: Longest plate region (state, province) accepted for a lookup.
MAX_REGION_LENGTH = 32


@attrs.frozen
class LookupOptions:
    """Per-tenant lookup options.

    Attributes:
        fold_similar: Treat O and 0, and I, L and 1, alike on plates.
        match_plates: Look up licence plates as well as asset numbers.
    """

    fold_similar: bool = False
    match_plates: bool = True


def lookup_key(text: object) -> str:
    """Validate the typed text and return its normalized key.

    Raises InvalidInputError for non-text, empty or whitespace-only input,
    more than :data:`MAX_LOOKUP_LENGTH` characters, or control characters.
    """
    if not isinstance(text, str):
        raise InvalidInputError.for_field("query", "Enter an asset number or licence plate.")
    if len(text) > MAX_LOOKUP_LENGTH:
        raise InvalidInputError.for_field("query", f"Enter at most {MAX_LOOKUP_LENGTH} characters.")
    if any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in text):
        raise InvalidInputError.for_field(
            "query", "The text contains characters that are not allowed."
        )
    key = normalize_identifier(text)
    if not key:
        raise InvalidInputError.for_field("query", "Enter an asset number or licence plate.")
    return key


def lookup_region(region: object) -> str | None:
    """The plate region of a lookup, stripped and upper-cased (None when empty).

    Raises InvalidInputError (field ``region``) for non-text, more than
    :data:`MAX_REGION_LENGTH` characters, or control characters.
    """
    if region is None:
        return None
    if (
        not isinstance(region, str)
        or len(region) > MAX_REGION_LENGTH
        or any(unicodedata.category(ch) == "Cc" for ch in region)
    ):
        raise InvalidInputError.for_field("region", "Choose a valid region.")
    return region.strip().upper() or None


def lookup_filter(key: str, options: LookupOptions, region: str | None = None) -> Filter:
    """The match part of the lookup query (the caller adds the policy's scope filter)."""
    by_number = Eq("number_key", key)
    if not options.match_plates:
        return by_number
    by_plate: Filter = (
        Eq("plate_fold", fold_similar(key)) if options.fold_similar else Eq("plate_key", key)
    )
    if region:
        by_plate = all_of(by_plate, Eq("region", region.strip().upper()))
    return any_of(by_number, by_plate)


@attrs.frozen
class Candidate:
    """An organization to choose from when a lookup matched in several."""

    organization_path: str
    organization_id: int
    name: str


@attrs.frozen
class Found:
    """Exactly one asset matched among what the principal may see."""

    asset: Asset


@attrs.frozen
class Ambiguous:
    """Matches in several of the principal's organizations; choose one and look up again."""

    candidates: tuple[Candidate, ...]


@attrs.frozen
class NotFound:
    """Nothing the principal may see matched."""


#: The one NotFound value.
NOT_FOUND = NotFound()

Resolution = Found | Ambiguous | NotFound


def _rank(asset: Asset, key: str) -> tuple[bool, int]:
    """Number matches before plate matches, then the oldest record."""
    return (asset.number_key != key, asset.id)


def choose(matches: Sequence[Asset], key: str) -> Found | list[str] | NotFound:
    """Group matches by organization.

    Returns Found for one organization (a number match wins over a plate match
    inside it), the sorted organization paths when there are several, or
    NOT_FOUND when there are none.
    """
    if not matches:
        return NOT_FOUND
    by_org: dict[str, list[Asset]] = {}
    for asset in matches:
        by_org.setdefault(organization_path(asset.scope_path), []).append(asset)
    if len(by_org) == 1:
        (assets,) = by_org.values()
        return Found(min(assets, key=lambda a: _rank(a, key)))
    return sorted(by_org)
