"""Lookup rules: input validation, normalization, and grouping by organization."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.assets import normalize_identifier
from portalkit.domain.filters import evaluate
from portalkit.domain.records import Asset
from portalkit.domain.resolver import (
    MAX_LOOKUP_LENGTH,
    MAX_REGION_LENGTH,
    NOT_FOUND,
    Found,
    LookupOptions,
    choose,
    fold_similar,
    lookup_filter,
    lookup_key,
    lookup_region,
)
from portalkit.errors import InvalidInputError


def _asset(id_: int, path: str, number: str, plate: str | None = None, **kw: object) -> Asset:
    number_key = normalize_identifier(number)
    plate_key = normalize_identifier(plate) if plate else None
    return Asset(
        id=id_,
        tenant_id=1,
        scope_id=1,
        scope_path=path,
        number=number,
        number_key=number_key,
        plate=plate,
        plate_key=plate_key,
        plate_fold=fold_similar(plate_key) if plate_key else None,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "text", ["", "   ", "\t", "-- ..", "a" * (MAX_LOOKUP_LENGTH + 1), "ab\x00c", "ab\ncd", None, 42]
)
def test_bad_input_is_a_field_error(text: object) -> None:
    """Empty, too long, control characters or non-text: InvalidInputError on "query"."""
    with pytest.raises(InvalidInputError) as info:
        lookup_key(text)
    assert set(info.value.fields) == {"query"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "Enter an asset number or licence plate."),
        (" - ", "Enter an asset number or licence plate."),
        ("a" * (MAX_LOOKUP_LENGTH + 1), f"Enter at most {MAX_LOOKUP_LENGTH} characters."),
        ("ab\x07c", "The text contains characters that are not allowed."),
    ],
)
def test_bad_input_says_what_to_type(text: object, message: str) -> None:
    """Each refusal carries its own customer-facing message, on the "query" field."""
    with pytest.raises(InvalidInputError) as info:
        lookup_key(text)
    assert info.value.fields == {"query": message}
    assert info.value.message == message


def test_longest_accepted_lookup_is_max_lookup_length() -> None:
    """Exactly MAX_LOOKUP_LENGTH characters are accepted; one more is refused."""
    assert lookup_key("a" * MAX_LOOKUP_LENGTH) == "a" * MAX_LOOKUP_LENGTH


def test_tab_is_the_one_control_character_allowed() -> None:
    """A pasted tab separates like a space; other control characters are refused."""
    assert lookup_key("abc\t123") == "abc123"
    with pytest.raises(InvalidInputError):
        lookup_key("abc\r123")


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("ABC 123", "abc123"),
        ("abc-123", "abc123"),
        ("A.B.C.1.2.3", "abc123"),
        ("\uff21\uff22\uff23\uff11\uff12\uff13", "abc123"),
        ("ab\u200bc123", "abc123"),
        ("a%_*\\", "a%_*\\"),
    ],
)
def test_spelling_variants_share_one_key(spelling: str, key: str) -> None:
    """Case, spaces, dashes, dots, full width and zero-width characters do not matter."""
    assert lookup_key(spelling) == key


@given(st.text(max_size=80))
def test_normalize_is_idempotent(text: str) -> None:
    """Normalizing a normalized key changes nothing."""
    once = normalize_identifier(text)
    assert normalize_identifier(once) == once


@given(st.text(max_size=80))
def test_lookup_key_only_raises_typed_errors(text: str) -> None:
    """Any text gives a key or InvalidInputError, never another exception."""
    try:
        key = lookup_key(text)
    except InvalidInputError:
        return
    assert key
    assert key == normalize_identifier(key)


@pytest.mark.parametrize("confusable", ["\u0410\u0412\u0421123", "\u0391\u0392\u0393123"])
def test_confusables_from_other_scripts_never_match_latin(confusable: str) -> None:
    """Cyrillic or Greek look-alikes do not normalize to the Latin plate."""
    latin = _asset(1, "/org:1/", "X-1", plate="ABC 123")
    assert not evaluate(lookup_filter(lookup_key(confusable), LookupOptions()), latin)


def test_fold_similar_is_opt_in() -> None:
    """O/0 and I/1 are alike only when the tenant switches it on."""
    asset = _asset(1, "/org:1/", "X-1", plate="OI 100")
    key = lookup_key("01 1OO")
    assert not evaluate(lookup_filter(key, LookupOptions()), asset)
    assert evaluate(lookup_filter(key, LookupOptions(fold_similar=True)), asset)


def test_plates_can_be_switched_off_and_qualified_by_region() -> None:
    """Plate matching can be off; a region narrows plate matches."""
    asset = _asset(1, "/org:1/", "X-1", plate="ABC 123", region="CA")
    key = lookup_key("abc123")
    assert not evaluate(lookup_filter(key, LookupOptions(match_plates=False)), asset)
    assert evaluate(lookup_filter(key, LookupOptions(), region="ca"), asset)
    assert not evaluate(lookup_filter(key, LookupOptions(), region="NY"), asset)


def test_number_matches_with_plates_on() -> None:
    """With plate matching on, the asset number still matches by itself."""
    asset = _asset(1, "/org:1/", "T-100", plate="ZZ 999")
    assert evaluate(lookup_filter(lookup_key("t100"), LookupOptions()), asset)
    assert not evaluate(lookup_filter(lookup_key("t101"), LookupOptions()), asset)


def test_region_narrows_plates_and_does_not_match_alone() -> None:
    """A region only qualifies a plate match: the region alone matches nothing."""
    asset = _asset(1, "/org:1/", "X-1", plate="ZZ 999", region="CA")
    assert not evaluate(lookup_filter(lookup_key("abc123"), LookupOptions(), region="CA"), asset)


@pytest.mark.parametrize(
    ("region", "expected"),
    [(None, None), ("", None), ("   ", None), (" on ", "ON"), ("r" * MAX_REGION_LENGTH, "R" * 32)],
)
def test_region_is_stripped_and_upper_cased(region: object, expected: str | None) -> None:
    """A region is stripped and upper-cased; blank means none; 32 characters are accepted."""
    assert lookup_region(region) == expected


@pytest.mark.parametrize("region", [7, "r" * (MAX_REGION_LENGTH + 1), "o\nn", "\x00"])
def test_bad_region_is_a_region_field_error(region: object) -> None:
    """Non-text, too long or control characters: InvalidInputError on "region"."""
    with pytest.raises(InvalidInputError) as info:
        lookup_region(region)
    assert info.value.fields == {"region": "Choose a valid region."}


def test_choose_groups_by_organization() -> None:
    """One organization is Found (number before plate); several list their paths."""
    by_plate = _asset(5, "/org:1/site:2/", "Z-9", plate="T 100")
    by_number = _asset(7, "/org:1/", "T-100")
    other = _asset(3, "/org:8/div:9/", "T-100")
    assert choose([], "t100") is NOT_FOUND
    assert choose([by_plate, by_number], "t100") == Found(by_number)
    assert choose([by_plate, by_number, other], "t100") == ["/org:1/", "/org:8/"]


def test_choose_prefers_a_number_match_then_the_oldest() -> None:
    """Inside one organization a number match wins whatever its id; ties go to the lowest id."""
    by_number = _asset(9, "/org:1/", "T-100")
    by_plate = _asset(2, "/org:1/site:3/", "Z-9", plate="T 100")
    older_plate = _asset(1, "/org:1/", "Z-8", plate="T-100")
    assert choose([by_plate, by_number], "t100") == Found(by_number)
    assert choose([by_plate, older_plate], "t100") == Found(older_plate)
