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


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        pytest.param({"title": 5}, "title", "Title must be text.", id="title-not-text"),
        pytest.param({"title": " \t "}, "title", "Title is required.", id="title-blank"),
        pytest.param({"title": "x" * 201}, "title", "Title is longer than 200 characters.",
                     id="title-too-long"),
        pytest.param({"title": "a\x00b"}, "title", "Title contains a NUL character.",
                     id="title-nul"),
        pytest.param({"title": "a\rb"}, "title", "Title must be on one line.", id="title-cr"),
        pytest.param({"title": "a\nb"}, "title", "Title must be on one line.", id="title-lf"),
        pytest.param({"body": None}, "body", "Body must be text.", id="body-not-text"),
        pytest.param({"body": "  "}, "body", "Body is required.", id="body-blank"),
        pytest.param({"body": "x" * 10_001}, "body", "Body is longer than 10000 characters.",
                     id="body-too-long"),
        pytest.param({"to_everyone": False, "group_ids": frozenset()}, "group_ids",
                     "Choose at least one group, or send the message to everyone.",
                     id="no-audience"),
        pytest.param({"ends_at": T0}, "ends_at", "The end must be after the start.",
                     id="end-at-start"),
        pytest.param({"ends_at": T0 - dt.timedelta(seconds=1)}, "ends_at",
                     "The end must be after the start.", id="end-before-start"),
        pytest.param({"starts_at": T0.replace(tzinfo=None), "ends_at": None}, "starts_at",
                     "Give a date and time with a time zone.", id="naive-start"),
        pytest.param({"ends_at": (T0 + dt.timedelta(days=1)).replace(tzinfo=None)}, "ends_at",
                     "Give a date and time with a time zone.", id="naive-end"),
        pytest.param({"ends_at": dt.date(2026, 3, 2)}, "ends_at",
                     "Give a date and time with a time zone.", id="date-end"),
    ],
)
def test_each_refusal_names_its_field_in_words(
    changes: dict[str, object], field: str, words: str
) -> None:
    """Every rule of validate_message has one field and one sentence."""
    with pytest.raises(InvalidInputError) as info:
        validate_message(message(**changes))
    assert info.value.fields == {field: words}


def test_the_longest_title_and_body_are_accepted_trimmed() -> None:
    """200 and 10,000 characters after trimming pass; surrounding spaces do not count."""
    m = validate_message(message(title=" " + "t" * 200 + " ", body="\n" + "b" * 10_000 + " "))
    assert m.title == "t" * 200
    assert m.body == "b" * 10_000


def test_a_message_to_groups_keeps_its_groups_as_a_frozenset() -> None:
    """Not to everyone: the chosen groups are kept (as a frozenset), nothing else changes."""
    m = validate_message(message(to_everyone=False, group_ids={4, 5}, ends_at=None))
    assert m.group_ids == frozenset({4, 5})
    assert isinstance(m.group_ids, frozenset)
    assert m.ends_at is None
    assert m == attrs.evolve(message(to_everyone=False, ends_at=None), group_ids=frozenset({4, 5}))


def test_a_group_message_reaches_members_only_while_live() -> None:
    """Members of a chosen group see it in its window; others and latecomers do not."""
    m = validate_message(message(to_everyone=False, group_ids=frozenset({4})))
    assert applies_to(m, [4, 9], T0)
    assert not applies_to(m, [9], T0)
    assert not applies_to(m, [4], T0 + dt.timedelta(days=1))
    assert applies_to(message(), [], T0)


def test_a_title_may_hold_any_letter() -> None:
    """Only line breaks are refused in a title: capitals such as X are fine."""
    assert validate_message(message(title="X-ray clinic closed")).title == "X-ray clinic closed"
