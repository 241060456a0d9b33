"""Rules as data: filter specifications, and the scope paths they compare.

A :class:`Filter` is a small tree of frozen objects that the in-memory
adapter evaluates in Python (:func:`evaluate`) and the storage adapters
compile to SQL; property tests hold the two equal. :class:`ScopeUnder`
selects a scope node's whole subtree: a path *covers* every path it is a
prefix of (:func:`covers`), which SQL answers as a range up to
:func:`path_upper_bound`. The document rule (:func:`visibility_filter`) and
the asset lookup's key (:func:`lookup_key`) are filters and keys of this kind.
"""

from __future__ import annotations

from portalkit.domain.documents import visibility_filter
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
)
from portalkit.domain.resolver import lookup_key
from portalkit.domain.scopes import covers, path_upper_bound

__all__ = [
    "FALSE",
    "TRUE",
    "And",
    "Eq",
    "Filter",
    "In",
    "Not",
    "Or",
    "Range",
    "ScopeUnder",
    "all_of",
    "any_of",
    "covers",
    "evaluate",
    "lookup_key",
    "path_upper_bound",
    "visibility_filter",
]
