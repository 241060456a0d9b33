"""Compiling a tenant's rows into the policy's per-user scan entries.

:meth:`portalkit.domain.policy.Policy.build` runs these steps: the rows of the
tenant (:class:`_Rows`), each role's switched-on actions, the group tables, the
granted paths per user and action, their intersection with the requirements,
and finally one flat entry tuple per user (:func:`_entries`). The module
docstring of :mod:`portalkit.domain.policy` tells why the entries are flat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from portalkit.domain._policy_decisions import (
    _DENIALS,
    Decision,
    Reason,
    _ancestors,
)
from portalkit.domain.principals import Grant, Group, Membership, Role
from portalkit.domain.scopes import organization_id
from portalkit.domain.tenants import TenantSettings
from portalkit.perms import PermissionRegistry

_REQUIREMENT_MISSING = _DENIALS[Reason.REQUIREMENT_MISSING]
#: Marks a (user, action) whose granted paths are too many to scan.
_LONG = Decision(False, Reason.NO_GRANT)

#: Scope path -> the decision it holds for one (user, action). Allowed
#: decisions are shared per grant; a path where the action is granted but a
#: requirement is not maps to the shared REQUIREMENT_MISSING denial.
_Paths = dict[str, Decision]


@attrs.frozen
class _Rows:
    """The rows a policy is compiled from, filtered to one tenant."""

    tenant_id: int
    settings: TenantSettings
    registry: PermissionRegistry
    active: dict[int, bool]
    enabled: frozenset[str]
    org_paths: frozenset[str]
    problems: list[str] = attrs.field(factory=list)


def _role_actions(rows: _Rows, roles: Iterable[Role]) -> dict[int, tuple[str, tuple[str, ...]]]:
    """role id -> (name, the switched-on catalogue actions it holds)."""
    out: dict[int, tuple[str, tuple[str, ...]]] = {}
    for role in roles:
        if role.tenant_id != rows.tenant_id:
            continue
        unknown = sorted(p for p in role.permissions if p not in rows.registry)
        if unknown:
            rows.problems.append(f"role {role.name!r} holds unknown permissions {unknown}")
        out[role.id] = (role.name, tuple(sorted(rows.enabled.intersection(role.permissions))))
    return out


def _group_tables(
    rows: _Rows, groups: Iterable[Group], memberships: Iterable[Membership]
) -> tuple[dict[int, frozenset[str]], dict[int, list[int]], dict[int, tuple[int, ...]]]:
    """(group id -> KPI keys, group id -> active member ids, user id -> group ids)."""
    kpi = {g.id: g.kpi_keys for g in groups if g.tenant_id == rows.tenant_id}
    members: dict[int, list[int]] = {}
    groups_of: dict[int, list[int]] = {}
    for m in memberships:
        if m.tenant_id != rows.tenant_id:
            continue
        if m.group_id not in kpi or m.user_id not in rows.active:
            rows.problems.append(f"membership {m.id} names an unknown user or group")
            continue
        groups_of.setdefault(m.user_id, []).append(m.group_id)
        if rows.active[m.user_id]:
            members.setdefault(m.group_id, []).append(m.user_id)
    return kpi, members, {u: tuple(gs) for u, gs in groups_of.items()}


def _granted(
    rows: _Rows,
    grants: Iterable[Grant],
    role_actions: dict[int, tuple[str, tuple[str, ...]]],
    members: dict[int, list[int]],
) -> dict[int, dict[str, _Paths]]:
    """user id -> action -> {granted path: the grant's decision}, before requirements."""
    served_ids = rows.settings.served_organization_ids
    raw: dict[int, dict[str, _Paths]] = {}
    for g in sorted((g for g in grants if g.tenant_id == rows.tenant_id), key=lambda g: g.id):
        path = g.scope_path
        ancestors = _ancestors(path)
        if not ancestors:
            rows.problems.append(f"grant {g.id} has no valid scope")
            continue
        if ancestors[0] not in rows.org_paths:
            if served_ids is None or organization_id(path) in served_ids:
                rows.problems.append(f"grant {g.id} is at a scope outside this tenant")
            continue
        role_entry = role_actions.get(g.role_id)
        if role_entry is None:
            rows.problems.append(f"grant {g.id} names an unknown role")
            continue
        if (g.user_id is None) == (g.group_id is None):
            rows.problems.append(f"grant {g.id} must name exactly one user or group")
            continue
        role_name, actions = role_entry
        if g.user_id is not None:
            holders: Iterable[int] = (g.user_id,) if rows.active.get(g.user_id) else ()
        else:
            holders = members.get(g.group_id, ())  # type: ignore[arg-type]
        decision = Decision(True, Reason.ALLOWED, g.id, role_name, path, g.group_id)
        for uid in holders:
            by_action = raw.get(uid)
            if by_action is None:
                by_action = raw[uid] = {}
            for action in actions:
                paths = by_action.get(action)
                if paths is None:
                    by_action[action] = {path: decision}
                elif path not in paths:
                    paths[path] = decision
    return raw


def _with_requirements(
    raw: dict[int, dict[str, _Paths]], requirements: dict[str, frozenset[str]]
) -> dict[int, dict[str, _Paths]]:
    """Intersect each action's paths with its requirements' (in place)."""
    for by_action in raw.values():
        updated: dict[str, _Paths] = {}
        for action in requirements.keys() & by_action.keys():
            granted = by_action[action]
            paths: _Paths = granted
            for required in requirements[action]:
                paths = _intersect(paths, by_action.get(required, {}))
            for p in granted:
                paths.setdefault(p, _REQUIREMENT_MISSING)
            updated[action] = paths
        by_action.update(updated)
    return raw


#: One user's compiled grants, flat: (granted path, action mask, decision) * n.
#: Flat, because one tuple is one cache miss and a tuple of triples is n + 1.
_Entries = tuple[Any, ...]
_LONG_ENTRIES: _Entries = ("/", -1, _LONG)


def _entries(
    by_action: Mapping[str, Mapping[str, Decision]], bits: Mapping[str, int], masks: dict[int, int]
) -> _Entries:
    """One user's {action: {path: decision}} as one flat scan tuple.

    Each (path, decision) becomes one entry whose mask holds the bits of the
    actions it answers. Allowed entries come first, shallow paths first, so
    that for any one action the scan meets its entries in the order
    "allowed before denied, shallow before deep". Equal masks are shared
    through *masks*, so the few distinct role masks stay in cache.
    """
    merged: dict[tuple[str, int], list[Any]] = {}
    for action, paths in by_action.items():
        bit = bits[action]  # effective tables hold enabled actions only
        for path, decision in paths.items():
            entry = merged.get((path, id(decision)))
            if entry is None:
                merged[path, id(decision)] = [path, bit, decision]
            else:
                entry[1] |= bit
    flat: list[Any] = []
    for path, mask, decision in sorted(merged.values(), key=_entry_order):
        flat += (path, masks.setdefault(mask, mask), decision)
    return tuple(flat)


def _entry_order(entry: list[Any]) -> tuple[bool, int, str]:
    """Allowed entries before denials, then shallow paths first."""
    path, decision = entry[0], entry[2]
    return (not decision.allowed, len(path), path)


def _enabled(registry: PermissionRegistry, settings: TenantSettings) -> frozenset[str]:
    """The catalogue actions none of whose feature keys is switched off."""
    disabled = settings.disabled_features
    if not disabled:
        return registry.names()
    return frozenset(n for n in registry.names() if not (registry.features_of(n) & disabled))


def _intersect(first: Mapping[str, Decision], second: Mapping[str, Decision]) -> _Paths:
    """Paths covered by both sets, keeping *first*'s decisions.

    The intersection of two unions of subtrees is the union, over comparable
    pairs, of the deeper of the two.
    """
    out: _Paths = {}
    for p, decision in first.items():
        for q in second:
            if p.startswith(q):
                out.setdefault(p, decision)
            elif q.startswith(p):
                out.setdefault(q, decision)
    return out
