"""Scope paths: covers(), path_upper_bound(), validation and tree rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.scopes import (
    ScopeKind,
    ScopeNode,
    child_path,
    covers,
    organization_path,
    path_upper_bound,
    validate_path,
)
from portalkit.errors import InvalidInputError, ScopeCycleError
from tests.strategies import scope_paths

#: Strings that look like paths, or nearly: every character a path can hold, and more.
PATHISH = st.text(alphabet="/:0123456789orgdivsteph.", max_size=24)


def node(path: str, kind: ScopeKind = ScopeKind.SITE, id: int = 1) -> ScopeNode:
    """A node at *path*."""
    return ScopeNode(id=id, tenant_id=1, kind=kind, name="n", path=path)


@given(scope_paths())
def test_covers_is_reflexive(path: str) -> None:
    """Every node covers itself."""
    assert covers(path, path)


@given(scope_paths(), st.sampled_from(list(ScopeKind)[1:]), st.integers(1, 10**6))
def test_parent_covers_child_not_the_reverse(path: str, kind: ScopeKind, id: int) -> None:
    """A node covers its children; a child never covers its parent."""
    child = child_path(path, kind, id)
    assert covers(path, child)
    assert not covers(child, path)


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_sibling_prefixes_do_not_cover(a: int, b: int) -> None:
    """/org:1/ does not cover /org:12/: the trailing slash ends the segment."""
    one, other = child_path(None, ScopeKind.ORGANIZATION, a), child_path(
        None, ScopeKind.ORGANIZATION, b
    )
    assert covers(one, other) == (a == b)


@given(scope_paths(), scope_paths() | PATHISH)
def test_upper_bound_range_equals_startswith(prefix: str, path: str) -> None:
    """prefix <= p < path_upper_bound(prefix) holds exactly when p starts with prefix."""
    upper = path_upper_bound(prefix)
    assert (prefix <= path < upper) == path.startswith(prefix)


@given(scope_paths())
def test_upper_bound_is_bigger_than_every_descendant(prefix: str) -> None:
    """Every descendant path sorts below the bound; the bound itself is not a descendant."""
    upper = path_upper_bound(prefix)
    assert child_path(prefix, ScopeKind.SITE, 99999999) < upper
    assert not upper.startswith(prefix)


def test_upper_bound_requires_trailing_slash() -> None:
    """A prefix that does not end with '/' is refused."""
    with pytest.raises(ValueError, match="end with"):
        path_upper_bound("/org:1")


@given(scope_paths())
def test_generated_paths_validate(path: str) -> None:
    """Well-formed paths pass validate_path unchanged."""
    assert validate_path(path) == path


@pytest.mark.parametrize(
    "bad", ["", "/", "org:1/", "/org:1", "/div:1/", "/org:x/", "/org:1//", "/org:1/ship:2/"]
)
def test_malformed_paths_are_refused(bad: str) -> None:
    """Malformed paths raise InvalidInputError on the scope field."""
    with pytest.raises(InvalidInputError) as info:
        validate_path(bad)
    assert "scope" in info.value.fields


def test_child_and_organization_paths() -> None:
    """child_path appends kind:id/; organization_path gives the first segment."""
    org = child_path(None, ScopeKind.ORGANIZATION, 12)
    assert org == "/org:12/"
    leaf = child_path(child_path(org, ScopeKind.DIVISION, 7), ScopeKind.SITE, 31)
    assert leaf == "/org:12/div:7/site:31/"
    assert organization_path(leaf) == org
    assert node(leaf).organization_path == org
    assert node(leaf).depth == 3
    assert node(org, ScopeKind.ORGANIZATION).depth == 1


def test_node_covers_nodes_and_paths() -> None:
    """ScopeNode.covers accepts another node or a path."""
    parent = node("/org:1/", ScopeKind.ORGANIZATION)
    assert parent.covers("/org:1/site:2/")
    assert parent.covers(node("/org:1/site:2/"))
    assert not parent.covers("/org:12/")


def test_allowed_parents() -> None:
    """Sites sit under divisions; nothing sits under a site; organizations are roots."""
    division = node("/org:1/div:2/", ScopeKind.DIVISION)
    division.check_can_parent(ScopeKind.SITE)
    with pytest.raises(InvalidInputError):
        node("/org:1/site:3/").check_can_parent(ScopeKind.SHOP)
    with pytest.raises(InvalidInputError):
        division.check_can_parent(ScopeKind.ORGANIZATION)


def test_move_under_own_descendant_is_a_cycle() -> None:
    """Moving a node below itself or its descendant raises ScopeCycleError."""
    division = node("/org:1/div:2/", ScopeKind.DIVISION, id=2)
    with pytest.raises(ScopeCycleError):
        division.check_can_move_under(division)
    with pytest.raises(ScopeCycleError):
        node("/org:1/", ScopeKind.ORGANIZATION).check_can_move_under(
            node("/org:1/grp:5/", ScopeKind.PARENT_GROUP)
        )
    node("/org:1/div:2/site:3/").check_can_move_under(node("/org:9/div:4/", ScopeKind.DIVISION))


def test_kind_segments() -> None:
    """Every kind has its short path segment."""
    assert [k.segment for k in ScopeKind] == ["org", "grp", "div", "site", "shop"]


# Rules pinned for mutation testing ----------------------------------------------------


def _node(kind: ScopeKind) -> ScopeNode:
    return ScopeNode(7, 1, kind, "n", "/org:1/grp:7/", 1)


def test_a_misplaced_node_is_named_in_words() -> None:
    """The parent error names both kinds in words (underscores become spaces)."""
    with pytest.raises(InvalidInputError) as under_site:
        _node(ScopeKind.SITE).check_can_parent(ScopeKind.PARENT_GROUP)
    assert under_site.value.fields == {
        "parent": "A parent group cannot be placed under a site."}
    with pytest.raises(InvalidInputError) as under_group:
        _node(ScopeKind.PARENT_GROUP).check_can_parent(ScopeKind.ORGANIZATION)
    assert under_group.value.fields == {
        "parent": "A organization cannot be placed under a parent group."}


def test_organization_path_of_a_deep_path_and_of_a_malformed_one() -> None:
    """The first segment is the organization; a path without one is a ValueError."""
    assert organization_path("/org:12/div:3/site:4/") == "/org:12/"
    with pytest.raises(ValueError, match="substring not found"):
        organization_path("/org:12")


def test_upper_bound_error_says_paths_end_with_a_slash() -> None:
    """The ValueError of a prefix without its trailing slash says what is expected."""
    with pytest.raises(ValueError, match=r"^scope paths end with '/'$"):
        path_upper_bound("/org:1")


def test_upper_bound_is_the_prefix_with_its_slash_bumped_by_one() -> None:
    """The bound replaces the final "/" with "0", the next code point."""
    assert path_upper_bound("/org:1/") == "/org:10"


def test_an_invalid_path_is_a_scope_field_error() -> None:
    """A malformed path is refused on the "scope" field with one message."""
    with pytest.raises(InvalidInputError) as caught:
        validate_path("org:1")
    assert caught.value.fields == {"scope": "Not a valid scope path."}
