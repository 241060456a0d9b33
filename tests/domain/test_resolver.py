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
    NOT_FOUND,
    Found,
    LookupOptions,
    choose,
    fold_similar,
    lookup_filter,
    lookup_key,
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


def test_choose_groups_by_organization() -> None:
    """One organization is Found (number before plate); several list their paths."""
    by_plate = _asset(5, "/org:1/site:2/", "Z-9", plate="T 100")
    by_number = _asset(7, "/org:1/", "T-100")
    other = _asset(3, "/org:8/div:9/", "T-100")
    assert choose([], "t100") is NOT_FOUND
    assert choose([by_plate, by_number], "t100") == Found(by_number)
    assert choose([by_plate, by_number, other], "t100") == ["/org:1/", "/org:8/"]
