"""Tests for portalkit.domain.messages: audience, time window, validation, order."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.messages import (
    BroadcastMessage,
    applies_to,
    is_live,
    newest_first,
    validate_message,
)
from portalkit.errors import InvalidInputError

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


def message(**changes: object) -> BroadcastMessage:
    """A message to everyone from T0 for a day."""
    base = BroadcastMessage(
        id=1,
        tenant_id=1,
        title="Depot closed",
        body="The depot is closed on Friday.",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(days=1),
        created_at=T0,
    )
    return attrs.evolve(base, **changes)


def test_window_is_start_inclusive_end_exclusive() -> None:
    """Live from starts_at up to (not including) ends_at; forever without an end."""
    m = message()
    assert not is_live(m, T0 - dt.timedelta(seconds=1))
    assert is_live(m, T0)
    assert not is_live(m, T0 + dt.timedelta(days=1))
    assert is_live(message(ends_at=None), T0 + dt.timedelta(days=9999))


@given(
    to_everyone=st.booleans(),
    targets=st.frozensets(st.integers(1, 6), min_size=1),
    mine=st.frozensets(st.integers(1, 6)),
    offset=st.integers(-100_000, 200_000),
)
def test_applies_to_is_window_and_audience(
    to_everyone: bool, targets: frozenset[int], mine: frozenset[int], offset: int
) -> None:
    """A user sees a message iff it is live and (to everyone or a shared group)."""
    m = validate_message(message(to_everyone=to_everyone, group_ids=targets))
    now = T0 + dt.timedelta(seconds=offset)
    expected = is_live(m, now) and (to_everyone or bool(targets & mine))
    assert applies_to(m, mine, now) is expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "a\nb"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"to_everyone": False, "group_ids": frozenset()}, "group_ids"),
        ({"ends_at": T0}, "ends_at"),
        ({"starts_at": T0.replace(tzinfo=None), "ends_at": None}, "starts_at"),
    ],
)
def test_validation(changes: dict[str, object], field: str) -> None:
    """Bad titles, bodies, audiences and windows are refused with the field named."""
    with pytest.raises(InvalidInputError) as info:
        validate_message(message(**changes))
    assert field in info.value.fields


def test_validation_trims_and_drops_groups_for_everyone() -> None:
    """Texts are trimmed; a message to everyone keeps no group list."""
    m = validate_message(message(title="  Hi ", group_ids=frozenset({3})))
    assert m.title == "Hi"
    assert m.group_ids == frozenset()


def test_newest_first_by_start_then_id() -> None:
    """Order: latest start first; equal starts by id, highest first."""
    a = message(id=1, starts_at=T0)
    b = message(id=2, starts_at=T0 + dt.timedelta(hours=1))
    c = message(id=3, starts_at=T0)
    assert [m.id for m in newest_first([a, b, c])] == [2, 3, 1]
