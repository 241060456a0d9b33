"""Filter specifications: evaluate() semantics and the all_of/any_of laws."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.filters import (
    FALSE,
    TRUE,
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    Range,
    ScopeUnder,
    all_of,
    any_of,
    evaluate,
    fields_of,
)
from portalkit.domain.records import Document
from portalkit.errors import InvalidInputError
from tests.strategies import DOCUMENT_FIELDS, documents, filters, leaf_filters, scope_trees


@st.composite
def spec_pair(draw: st.DrawFn) -> tuple[list[Filter], Document]:
    """A few specs and one record over the same scope tree."""
    paths = draw(scope_trees(max_nodes=4))
    specs = draw(st.lists(filters(DOCUMENT_FIELDS, paths), min_size=0, max_size=4))
    return specs, draw(documents(paths, 0))


def _row(**values: Any) -> dict[str, Any]:
    return values


def _get(record: object, field: str) -> Any:
    assert isinstance(record, dict)
    return record[field]


@given(spec_pair())
def test_all_of_is_conjunction(pair: tuple[list[Filter], Document]) -> None:
    """all_of(parts) holds exactly when every part holds."""
    specs, record = pair
    assert evaluate(all_of(*specs), record) == all(evaluate(s, record) for s in specs)


@given(spec_pair())
def test_any_of_is_disjunction(pair: tuple[list[Filter], Document]) -> None:
    """any_of(parts) holds exactly when some part holds."""
    specs, record = pair
    assert evaluate(any_of(*specs), record) == any(evaluate(s, record) for s in specs)


@given(spec_pair())
def test_de_morgan(pair: tuple[list[Filter], Document]) -> None:
    """Not(And(ps)) == Or(Not(p)...) and Not(Or(ps)) == And(Not(p)...): two-valued logic."""
    specs, record = pair
    negated = [Not(s) for s in specs]
    assert evaluate(Not(And(specs)), record) == evaluate(Or(negated), record)
    assert evaluate(Not(Or(specs)), record) == evaluate(And(negated), record)


@given(spec_pair())
def test_absorbing_and_neutral_elements(pair: tuple[list[Filter], Document]) -> None:
    """FALSE absorbs all_of and TRUE absorbs any_of; TRUE/FALSE are dropped as neutral."""
    specs, _ = pair
    assert all_of(*specs, FALSE) == FALSE
    assert any_of(TRUE, *specs) == TRUE
    assert all_of(TRUE, *specs) == all_of(*specs)
    assert any_of(*specs, FALSE) == any_of(*specs)


@given(st.lists(leaf_filters(DOCUMENT_FIELDS, ["/org:1/"]), min_size=2, max_size=4))
def test_results_are_flat(leaves: list[Filter]) -> None:
    """all_of splices And arguments into one And; any_of does the same for Or."""
    assert all_of(And(leaves), *leaves) == And([*leaves, *leaves])
    assert any_of(*leaves, Or(leaves)) == Or([*leaves, *leaves])


def test_single_part_and_empty() -> None:
    """One part comes back as itself; no parts give TRUE / FALSE."""
    eq = Eq("kind", "invoice")
    assert all_of(eq) == eq
    assert any_of(eq) == eq
    assert all_of() == TRUE
    assert any_of() == FALSE


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (Eq("f", None), None, True),
        (Eq("f", None), 1, False),
        (Eq("f", 1), None, False),
        (Not(Eq("f", 1)), None, True),
        (In("f", ()), 1, False),
        (In("f", (None,)), None, False),
        (In("f", (1, 2, 1)), 2, True),
        (Range("f"), None, False),
        (Range("f"), 0, True),
        (Range("f", 1, 3), 3, False),
        (Range("f", 1, 3, include_high=True), 3, True),
        (Range("f", 1, 3, include_low=False), 1, False),
        (Not(Range("f", 1)), None, True),
        (Range("f", dt.date(2024, 1, 1)), dt.date(2024, 1, 1), True),
        (ScopeUnder("/org:1/", field="f"), "/org:1/site:2/", True),
        (ScopeUnder("/org:1/", field="f"), "/org:12/", False),
        (ScopeUnder("/org:1/", field="f"), None, False),
        (Not(ScopeUnder("/org:1/", field="f")), None, True),
    ],
)
def test_evaluate_two_valued(spec: Filter, value: Any, expected: bool) -> None:
    """Missing values make comparisons false (never unknown); Not is plain negation."""
    assert evaluate(spec, _row(f=value), _get) is expected


def test_in_drops_duplicates_keeping_order() -> None:
    """In's values are deduplicated in order (so equal specs compare equal)."""
    assert In("f", [2, 1, 2]).values == (2, 1)
    assert In("f", [2, 1, 2]) == In("f", (2, 1))


def test_scope_under_validates_path() -> None:
    """ScopeUnder refuses a malformed path with InvalidInputError."""
    with pytest.raises(InvalidInputError):
        ScopeUnder("/org:1")


def test_fields_of() -> None:
    """fields_of lists every field a spec reads, through And/Or/Not."""
    spec = And((Eq("a", 1), Or((In("b", (1,)), Not(Range("c", 1)))), ScopeUnder("/org:1/")))
    assert fields_of(spec) == {"a", "b", "c", "scope_path"}
    assert fields_of(TRUE) == frozenset()


def test_the_getter_reaches_every_part_of_and_or_and_not() -> None:
    """A mapping read with a custom getter works through And, Or and Not alike."""
    row = {"kind": "invoice", "status": "sent"}

    def get(record: object, field: str) -> Any:
        assert isinstance(record, dict)
        return record[field]

    both = And((Eq("kind", "invoice"), Eq("status", "sent")))
    either = Or((Eq("kind", "quote"), Eq("status", "sent")))
    assert evaluate(both, row, get) is True
    assert evaluate(either, row, get) is True
    assert evaluate(Not(either), row, get) is False
