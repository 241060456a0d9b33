"""Row readers: the slot-writing shortcut builds exactly what ``__init__`` builds."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.adapters.sqlalchemy.action_repositories import ACTION_MAPPINGS
from portalkit.adapters.sqlalchemy.document_repositories import DOCUMENT_MAPPINGS
from portalkit.adapters.sqlalchemy.identity_repositories import IDENTITY_MAPPINGS
from portalkit.adapters.sqlalchemy.invitation_repositories import INVITATION_MAPPINGS
from portalkit.adapters.sqlalchemy.repositories import MAPPINGS, TableMapping
from portalkit.adapters.sqlalchemy.row_reader import init_row_reader, row_reader, slot_writable
from portalkit.errors import ConfigurationError

ALL_MAPPINGS: dict[str, TableMapping[Any]] = {
    **MAPPINGS,
    **IDENTITY_MAPPINGS,
    **INVITATION_MAPPINGS,
    **ACTION_MAPPINGS,
    **DOCUMENT_MAPPINGS,
}
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.booleans())


@pytest.mark.parametrize("name", sorted(ALL_MAPPINGS))
@given(data=st.data())
def test_fast_reader_equals_init(name: str, data: st.DataObject) -> None:
    """For every mapped record, any rows read the fast way equal rows read by __init__."""
    mapping = ALL_MAPPINGS[name]
    rows = data.draw(
        st.lists(st.tuples(*[VALUES for _ in mapping.names]), max_size=4), label="rows"
    )
    fast = row_reader(mapping.entity, mapping.names)(rows)
    slow = init_row_reader(mapping.entity, mapping.names)(rows)
    assert fast == slow
    for a, b in zip(fast, slow, strict=True):
        assert type(a) is type(b)
        assert [getattr(a, n) for n in mapping.names] == [getattr(b, n) for n in mapping.names]


def test_every_mapped_record_takes_the_shortcut() -> None:
    """The records portalkit maps are plain frozen slotted attrs classes (the fast path)."""
    slow = [n for n, m in ALL_MAPPINGS.items() if not slot_writable(m.entity, m.names)]
    assert slow == []


@attrs.frozen
class Plain:
    a: int
    b: str


@attrs.frozen
class Validated:
    a: int = attrs.field(validator=attrs.validators.instance_of(int))
    b: str = ""


@attrs.frozen
class Converted:
    a: int = attrs.field(converter=int)
    b: str = ""


@attrs.frozen
class PostInit:
    a: int
    b: str

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "b", self.b.upper())


@attrs.frozen(cache_hash=True)
class CachedHash:
    a: int
    b: str


@attrs.frozen(slots=False)
class NoSlots:
    a: int
    b: str


@pytest.mark.parametrize("cls", [Validated, Converted, PostInit, CachedHash, NoSlots])
def test_classes_with_init_logic_go_through_init(cls: type[Any]) -> None:
    """Validators, converters, hooks, cached hashes and dict classes keep their __init__."""
    assert not slot_writable(cls, ("a", "b"))
    read = row_reader(cls, ("a", "b"))
    assert read([(1, "x")]) == [cls(a=1, b="x")]


def test_post_init_still_runs() -> None:
    """The fallback really calls __init__ (the hook's effect is visible)."""
    assert row_reader(PostInit, ("a", "b"))([(1, "x")])[0].b == "X"


def test_validator_still_refuses() -> None:
    """A validator still sees every value on the fallback path."""
    with pytest.raises(TypeError):
        row_reader(Validated, ("a", "b"))([("not an int", "x")])


def test_missing_or_extra_columns_go_through_init() -> None:
    """Rows that do not supply every field (defaults apply) use __init__."""
    assert not slot_writable(Validated, ("a",))
    assert not slot_writable(Plain, ("a",))
    assert not slot_writable(Plain, ("a", "b", "c"))


def test_plain_frozen_class_takes_the_shortcut_and_stays_frozen() -> None:
    """The shortcut's records are still immutable and equal to constructed ones."""
    read = row_reader(Plain, ("b", "a"))
    (record,) = read([("x", 1)])
    assert slot_writable(Plain, ("b", "a"))
    assert record == Plain(a=1, b="x")
    assert hash(record) == hash(Plain(a=1, b="x"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.a = 2  # type: ignore[misc]


@pytest.mark.parametrize("names", [(), ("a", "b-c"), ("a", "import os")])
def test_bad_field_names_are_refused(names: tuple[str, ...]) -> None:
    """Only identifiers reach the generated source."""
    with pytest.raises(ConfigurationError):
        row_reader(Plain, names)
