"""Hypothesis strategies shared by the tests: scope trees, records and filter specs.

Values come from small pools on purpose, so generated filters often hit
generated records (equal strings, shared dates, NULLs) and the interesting
edges (``/org:1/`` against ``/org:12/``, upper against lower case, ``%`` and
``_``) come up in almost every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from portalkit.domain.filters import And, Eq, Filter, In, Not, Or, Range, ScopeUnder
from portalkit.domain.records import Document
from portalkit.domain.scopes import ScopeKind, child_path

UTC = dt.timezone.utc

#: Node ids that make prefix traps likely: 1 is a string prefix of 12 and 123.
NODE_IDS = st.sampled_from([1, 2, 12, 21, 123, 7])
_CHILD_KINDS = [ScopeKind.PARENT_GROUP, ScopeKind.DIVISION, ScopeKind.SITE, ScopeKind.SHOP]


@st.composite
def scope_paths(draw: st.DrawFn, max_depth: int = 4) -> str:
    """One well-formed scope path: an organization and up to three levels below."""
    path = child_path(None, ScopeKind.ORGANIZATION, draw(NODE_IDS))
    for _ in range(draw(st.integers(0, max_depth - 1))):
        path = child_path(path, draw(st.sampled_from(_CHILD_KINDS)), draw(NODE_IDS))
    return path


@st.composite
def scope_trees(draw: st.DrawFn, max_nodes: int = 8) -> list[str]:
    """The paths of a small scope forest: every node's parent is in the list too."""
    paths = [child_path(None, ScopeKind.ORGANIZATION, draw(NODE_IDS))]
    for _ in range(draw(st.integers(0, max_nodes - 1))):
        if draw(st.booleans()):
            parent: str | None = draw(st.sampled_from(paths))
            kind = draw(st.sampled_from(_CHILD_KINDS))
        else:
            parent, kind = None, ScopeKind.ORGANIZATION
        candidate = child_path(parent, kind, draw(NODE_IDS))
        if candidate not in paths:
            paths.append(candidate)
    return paths


# Field values -----------------------------------------------------------------
STRINGS = st.sampled_from(["", "a", "A", "b", "ab", "a b", "ä", "Z", "%", "_", "a%"]) | st.text(
    alphabet="abAB _%äé€𝄞", max_size=3
)
INTS = st.sampled_from([0, 1, -1, 100, 2**40]) | st.integers(-(2**62), 2**62)
DATES = st.sampled_from([dt.date(2024, 1, 1), dt.date(2024, 1, 2)]) | st.dates(
    dt.date(1990, 1, 1), dt.date(2040, 12, 31)
)
DATETIMES = st.sampled_from(
    [dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)]
) | st.datetimes(
    dt.datetime(1990, 1, 1), dt.datetime(2040, 12, 31), timezones=st.just(UTC)
)


def _nullable(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


#: Filterable fields of :class:`Document`: name -> (values, nullable).
DOCUMENT_FIELDS: dict[str, tuple[st.SearchStrategy[Any], bool]] = {
    "kind": (st.sampled_from(["invoice", "quote", "report"]), False),
    "status": (STRINGS, False),
    "title": (STRINGS, False),
    "issued_on": (DATES, True),
    "total_cents": (INTS, True),
    "currency": (STRINGS, True),
    "created_at": (DATETIMES, True),
}
SORTABLE = sorted(DOCUMENT_FIELDS)


@st.composite
def documents(draw: st.DrawFn, paths: list[str], index: int) -> Document:
    """A document at one of *paths*, with external key ``k<index>``."""
    values = {
        name: draw(_nullable(strategy) if nullable else strategy)
        for name, (strategy, nullable) in DOCUMENT_FIELDS.items()
    }
    return Document(
        id=0,
        tenant_id=0,
        scope_id=1,
        scope_path=draw(st.sampled_from(paths)),
        number=f"N{index}",
        external_key=f"k{index}",
        **values,
    )


@st.composite
def document_sets(draw: st.DrawFn, max_size: int = 25) -> tuple[list[str], list[Document]]:
    """A scope tree and documents spread over it."""
    paths = draw(scope_trees())
    size = draw(st.integers(0, max_size))
    return paths, [draw(documents(paths, i)) for i in range(size)]


# Filter specifications ---------------------------------------------------------
def leaf_filters(
    fields: dict[str, tuple[st.SearchStrategy[Any], bool]], paths: list[str]
) -> st.SearchStrategy[Filter]:
    """Eq, In, Range and ScopeUnder leaves over *fields* and the tree *paths*."""

    def for_field(name: str) -> st.SearchStrategy[Filter]:
        values = fields[name][0]
        maybe = _nullable(values)
        return st.one_of(
            st.builds(Eq, st.just(name), maybe),
            st.builds(In, st.just(name), st.lists(maybe, max_size=4)),
            st.builds(
                Range, st.just(name), maybe, maybe, st.booleans(), st.booleans()
            ),
        )

    under = st.builds(ScopeUnder, st.sampled_from(paths) | scope_paths())
    return st.sampled_from(sorted(fields)).flatmap(for_field) | under


def filters(
    fields: dict[str, tuple[st.SearchStrategy[Any], bool]], paths: list[str]
) -> st.SearchStrategy[Filter]:
    """Nested And/Or/Not trees of leaves over *fields* and *paths*."""

    def children(inner: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
        return st.one_of(
            st.builds(And, st.lists(inner, max_size=3)),
            st.builds(Or, st.lists(inner, max_size=3)),
            st.builds(Not, inner),
        )

    return st.recursive(leaf_filters(fields, paths), children, max_leaves=8)


def order_bys(fields: list[str]) -> st.SearchStrategy[tuple[str, ...]]:
    """Sort keys over *fields*, each ascending or descending (``-``)."""
    key = st.tuples(st.sampled_from(fields), st.booleans()).map(
        lambda pair: ("-" if pair[1] else "") + pair[0]
    )
    return st.lists(key, max_size=3, unique_by=lambda k: k.lstrip("-")).map(tuple)
