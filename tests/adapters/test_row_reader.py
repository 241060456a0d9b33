"""Row readers: records are built by their class's own ``__init__``."""

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
from portalkit.adapters.sqlalchemy.row_reader import row_reader
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
def test_reader_builds_what_the_constructor_builds(name: str, data: st.DataObject) -> None:
    """For every mapped record, rows read equal records constructed from the same values,
    and a record's fields round-trip through to_row."""
    mapping = ALL_MAPPINGS[name]
    rows = data.draw(
        st.lists(st.tuples(*[VALUES for _ in mapping.names]), max_size=4), label="rows"
    )
    read = mapping.from_rows(rows)
    built = [mapping.entity(**dict(zip(mapping.names, row, strict=True))) for row in rows]
    assert read == built
    for record, row in zip(read, rows, strict=True):
        assert type(record) is mapping.entity
        assert [getattr(record, n) for n in mapping.names] == list(row)
        written = mapping.to_row(record)
        assert list(written) == list(mapping.write_names)
        assert written == {n: getattr(record, n) for n in mapping.write_names}


@attrs.frozen
class Plain:
    a: int
    b: str


@attrs.frozen
class Validated:
    a: int = attrs.field(validator=attrs.validators.instance_of(int))
    b: str = ""


@attrs.frozen
class PostInit:
    a: int
    b: str

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "b", self.b.upper())


def test_columns_may_come_in_any_order() -> None:
    """Values go to the fields the columns name, whatever the field order."""
    assert row_reader(Plain, ("b", "a"))([("x", 1)]) == [Plain(a=1, b="x")]


def test_post_init_runs() -> None:
    """The class's own __init__ builds each record (its hook's effect is visible)."""
    assert row_reader(PostInit, ("a", "b"))([(1, "x")])[0].b == "X"


def test_validator_refuses() -> None:
    """A validator sees every value read."""
    with pytest.raises(TypeError):
        row_reader(Validated, ("a", "b"))([("not an int", "x")])


def test_missing_columns_take_defaults() -> None:
    """Rows that do not supply every field get the class's defaults."""
    assert row_reader(Validated, ("a",))([(3,)]) == [Validated(a=3)]


@pytest.mark.parametrize("names", [(), ("a", "b-c"), ("a", "import os")])
def test_bad_field_names_are_refused(names: tuple[str, ...]) -> None:
    """Column names must be field names (identifiers)."""
    with pytest.raises(ConfigurationError):
        row_reader(Plain, names)
