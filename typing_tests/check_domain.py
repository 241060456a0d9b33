"""Domain types: frozen records, the scope tree, filter specifications."""

from __future__ import annotations

import attrs
from typing_extensions import assert_type

from portalkit import ScopeKind, ScopeNode
from portalkit.domain import filters, scopes
from portalkit.domain.filters import Eq, Filter, In, Range, ScopeUnder, all_of, any_of, evaluate


def scope_tree() -> None:
    """Scope nodes are frozen; containment is a bool on paths or nodes."""
    org = ScopeNode(id=1, tenant_id=1, kind=ScopeKind.ORGANIZATION, name="City", path="/org:1/")
    site = attrs.evolve(org, id=9, kind=ScopeKind.SITE, path="/org:1/site:9/", parent_id=1)
    assert_type(org.covers(site), bool)
    assert_type(org.covers("/org:1/site:9/"), bool)
    assert_type(scopes.covers(org.path, site.path), bool)
    assert_type(scopes.path_upper_bound(org.path), str)
    assert_type(site.parent_id, int | None)
    org.name = "Renamed"  # type: ignore[misc]


def filter_specs(record: object) -> bool:
    """Filters compose into a Filter and evaluate to a bool."""
    spec = all_of(
        ScopeUnder("/org:1/"),
        In("kind", ("invoice", "report")),
        any_of(Eq("state", "approved"), Range("amount", low=0, high=100)),
    )
    assert_type(spec, Filter)
    assert_type(filters.fields_of(spec), frozenset[str])
    spec_two: Filter = filters.Not(spec)
    return evaluate(spec_two, record)


def not_a_filter() -> None:
    """Only filter specifications are filters."""
    all_of("state = 'approved'")  # type: ignore[arg-type]
