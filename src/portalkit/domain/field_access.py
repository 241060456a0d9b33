"""Which fields of a record a principal may see: one rule for every path.

A field is returned when the tenant shows it
(:func:`~portalkit.domain.fields.visible_fields`: catalogue default, then the
tenant's show/hide/rename overrides) **and**, if the field needs a permission
(``FieldDef.permission``), the policy allows that permission to the principal
at the record's scope.

Every path that hands asset or job fields to a host goes through
:func:`fields_for`: the asset page's field list, the projected asset list and
the projected job list. A user who may list assets but not view their
identification gets the asset number and type, nothing the Identification
section would have shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portalkit.domain.fields import VisibleField, project, visible_fields
from portalkit.domain.policy import Policy, Resource
from portalkit.domain.principals import Principal

__all__ = ["fields_for", "project_for"]


def fields_for(
    policy: Policy, principal: Principal, entity: str, record: Resource
) -> tuple[VisibleField, ...]:
    """The fields of *record* (an *entity*) that *principal* may see, in display order."""
    shown = visible_fields(entity, policy.settings.field_overrides)
    allowed: dict[str, bool] = {}
    out: list[VisibleField] = []
    for field in shown:
        needed = field.permission
        if needed is not None:
            if needed not in allowed:
                allowed[needed] = policy.decide(principal, needed, record).allowed
            if not allowed[needed]:
                continue
        out.append(field)
    return tuple(out)


def project_for(
    policy: Policy,
    principal: Principal,
    entity: str,
    records: Iterable[Any],
    extra: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Plain dicts of *records*, each with ``id`` and the fields *principal* may see of it.

    *extra* holds computed values per record id (an asset's ``customer``).
    Fields the principal may not see are left out of that record's dict.
    """
    extra = extra or {}
    return [
        project(
            record,
            fields_for(policy, principal, entity, record),
            extra=extra.get(record.id),
        )
        for record in records
    ]
