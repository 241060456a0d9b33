"""The scope tree: organizations and the nodes below them, as materialized paths.

A scope node's path lists its ancestors and itself, e.g. ``/org:12/div:7/site:31/``.
"Node X covers node Y" is "Y's path starts with X's path": a string prefix in
Python and an indexable range condition in SQL (see :func:`path_upper_bound`).
"""

from __future__ import annotations

import enum
import re

import attrs

from portalkit.errors import InvalidInputError, ScopeCycleError

__all__ = [
    "ALLOWED_PARENTS",
    "ScopeKind",
    "ScopeNode",
    "child_path",
    "covers",
    "organization_id",
    "organization_path",
    "path_upper_bound",
    "validate_path",
]


class ScopeKind(str, enum.Enum):
    """What a scope node stands for in the customer's structure."""

    ORGANIZATION = "organization"
    PARENT_GROUP = "parent_group"
    DIVISION = "division"
    SITE = "site"
    SHOP = "shop"

    @property
    def segment(self) -> str:
        """The short label used for this kind inside a path."""
        return _SEGMENTS[self]


_SEGMENTS = {
    ScopeKind.ORGANIZATION: "org",
    ScopeKind.PARENT_GROUP: "grp",
    ScopeKind.DIVISION: "div",
    ScopeKind.SITE: "site",
    ScopeKind.SHOP: "shop",
}

#: Which kinds a node of each kind may sit under. Organizations are roots.
ALLOWED_PARENTS: dict[ScopeKind, frozenset[ScopeKind]] = {
    ScopeKind.ORGANIZATION: frozenset(),
    ScopeKind.PARENT_GROUP: frozenset({ScopeKind.ORGANIZATION}),
    ScopeKind.DIVISION: frozenset({ScopeKind.ORGANIZATION, ScopeKind.PARENT_GROUP}),
    ScopeKind.SITE: frozenset(
        {ScopeKind.ORGANIZATION, ScopeKind.PARENT_GROUP, ScopeKind.DIVISION}
    ),
    ScopeKind.SHOP: frozenset(
        {ScopeKind.ORGANIZATION, ScopeKind.PARENT_GROUP, ScopeKind.DIVISION}
    ),
}

_PATH_RE = re.compile(r"^/(?:(?:org|grp|div|site|shop):[0-9]+/)+$")


def validate_path(path: str) -> str:
    """Return *path* if it is a well-formed scope path, else raise InvalidInputError."""
    if not isinstance(path, str) or not _PATH_RE.match(path) or not path.startswith("/org:"):
        raise InvalidInputError.for_field("scope", "Not a valid scope path.")
    return path


def child_path(parent_path: str | None, kind: ScopeKind, node_id: int) -> str:
    """The path of a node of *kind* with *node_id* below *parent_path* (None for a root)."""
    return f"{parent_path or '/'}{kind.segment}:{node_id}/"


def covers(ancestor_path: str, path: str) -> bool:
    """True when the node at *ancestor_path* is *path* itself or one of its ancestors."""
    return path.startswith(ancestor_path)


def organization_path(path: str) -> str:
    """The path of the organization a path belongs to (its first segment)."""
    end = path[1:].index("/") + 1  # the slash that ends the first segment
    return path[: end + 1]


def organization_id(path: str) -> int:
    """The node id of the organization a (well-formed) scope path belongs to.

    ``/org:12/div:7/`` gives 12; validate paths from outside first
    (:func:`validate_path`).
    """
    return int(path[5:].partition("/")[0])


def path_upper_bound(prefix: str) -> str:
    """The smallest string greater than every path that starts with *prefix*.

    Paths end with ``/`` and hold only ASCII, so ``prefix <= p < upper`` is the
    same as ``p.startswith(prefix)`` in code-point (and SQL "C" collation) order,
    and a B-tree index serves it.
    """
    if not prefix.endswith("/"):
        raise ValueError("scope paths end with '/'")
    return prefix[:-1] + chr(ord("/") + 1)


@attrs.frozen
class ScopeNode:
    """One node of a tenant's scope tree.

    Attributes:
        id: Storage identity, unique across tenants.
        tenant_id: The tenant (the business running the portal) it belongs to.
        kind: Organization, parent group, division, site or shop.
        name: Display name.
        path: Materialized path, e.g. ``/org:1/div:4/``.
        parent_id: The parent node, or None for an organization.
        external_key: The host's key for it (unique per tenant), if any.
    """

    id: int
    tenant_id: int
    kind: ScopeKind
    name: str
    path: str
    parent_id: int | None = None
    external_key: str | None = None

    @property
    def organization_path(self) -> str:
        """The path of the organization this node belongs to."""
        return organization_path(self.path)

    @property
    def depth(self) -> int:
        """1 for an organization, 2 for its children, and so on."""
        return self.path.count("/") - 1

    def covers(self, other: ScopeNode | str) -> bool:
        """True when *other* (a node or a path) is this node or below it."""
        return covers(self.path, other if isinstance(other, str) else other.path)

    def check_can_parent(self, kind: ScopeKind) -> None:
        """Raise InvalidInputError unless a node of *kind* may sit below this node."""
        if self.kind not in ALLOWED_PARENTS[kind]:
            raise InvalidInputError.for_field(
                "parent", f"A {kind.value.replace('_', ' ')} cannot be placed under a "
                f"{self.kind.value.replace('_', ' ')}."
            )

    def check_can_move_under(self, new_parent: ScopeNode) -> None:
        """Raise ScopeCycleError if *new_parent* is this node or one of its descendants."""
        if self.covers(new_parent):
            raise ScopeCycleError()
        new_parent.check_can_parent(self.kind)
