"""Field visibility: per tenant and entity, show, hide and rename fields (seed 002).

Seed 002's portal lists assets with fields the business may hide or rename in
its settings ("Asset ID (this can be renamed in settings)"), and shows jobs
with a fixed set of details. Each entity has a catalogue of the fields a
customer may ever see (:data:`ENTITY_FIELDS`), with a default label and a
default visibility; a tenant overrides either with :class:`FieldOverride`
entries kept in ``TenantSettings.field_overrides``.

:func:`visible_fields` lists what a tenant shows, in catalogue order, and
:func:`project` turns a record into a plain dict holding only those fields
(dates as ISO strings), ready for a template or a JSON response.
Fields outside the catalogue (scope paths, internal keys) are never projected.

A field may also need a permission (``FieldDef.permission``): an asset's
model, serial, customer ref and test history belong to seed 000's
Identification section and need ``asset.identification.view`` at the asset's
scope. :func:`portalkit.domain.field_access.fields_for` applies both rules
(the tenant shows it, the principal may see it); every path that returns
asset or job fields goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import attrs

from portalkit.errors import InvalidInputError
from portalkit.perms import ASSET_IDENTIFICATION_VIEW

__all__ = [
    "ASSET",
    "ENTITY_FIELDS",
    "JOB",
    "FieldDef",
    "FieldOverride",
    "VisibleField",
    "project",
    "validate_overrides",
    "visible_fields",
]

ASSET = "asset"
JOB = "job"


@attrs.frozen
class FieldDef:
    """A field a customer may see: its name on the record, default label and visibility.

    ``permission``, when set, must also be allowed at the record's scope for a
    principal to see the field, whatever the tenant shows.
    """

    name: str
    label: str
    visible: bool = True
    permission: str | None = None


@attrs.frozen(kw_only=True)
class FieldOverride:
    """A tenant's change to one field: hide/show it (``visible``), rename it (``label``).

    ``None`` keeps the default.
    """

    entity: str
    field: str
    visible: bool | None = None
    label: str | None = None


@attrs.frozen
class VisibleField:
    """A field as a tenant shows it: the record's field name, its label, its permission."""

    name: str
    label: str
    permission: str | None = None


_IDENT = ASSET_IDENTIFICATION_VIEW

#: The catalogue, per entity, in display order (seed 002's lists).
ENTITY_FIELDS: Mapping[str, tuple[FieldDef, ...]] = {
    ASSET: (
        FieldDef("number", "Asset ID"),
        FieldDef("asset_type", "Asset type"),
        FieldDef("customer", "Customer", permission=_IDENT),
        FieldDef("model", "Model number", permission=_IDENT),
        FieldDef("serial", "Serial #", permission=_IDENT),
        FieldDef("customer_ref", "Customer ref", permission=_IDENT),
        FieldDef("description", "Description", permission=_IDENT),
        FieldDef("last_test_number", "Last test number", permission=_IDENT),
        FieldDef("last_test_date", "Last test date", permission=_IDENT),
        FieldDef("plate", "Licence plate", visible=False, permission=_IDENT),
    ),
    JOB: (
        FieldDef("number", "Job number"),
        FieldDef("status", "Job status"),
        FieldDef("scheduled_on", "Date - Scheduled"),
        FieldDef("site_address", "Site Address"),
        FieldDef("notes", "Job notes"),
        FieldDef("po_number", "Customer Purchase Order number"),
        FieldDef("job_type", "Job type", visible=False),
    ),
}

_MAX_LABEL = 80


def validate_overrides(overrides: Iterable[FieldOverride]) -> tuple[FieldOverride, ...]:
    """Check overrides name catalogue fields and sane labels; one per field, last wins.

    Raises:
        InvalidInputError: unknown entity or field, or an empty or overlong label.
    """
    by_key: dict[tuple[str, str], FieldOverride] = {}
    for override in overrides:
        catalogue = ENTITY_FIELDS.get(override.entity)
        if catalogue is None:
            raise InvalidInputError.for_field("entity", "Unknown entity.")
        if override.field not in {f.name for f in catalogue}:
            raise InvalidInputError.for_field("field", "Unknown field.")
        if override.label is not None:
            label = override.label.strip()
            if not label or len(label) > _MAX_LABEL:
                raise InvalidInputError.for_field(
                    "label", f"A field label has 1-{_MAX_LABEL} characters."
                )
            by_key[(override.entity, override.field)] = attrs.evolve(override, label=label)
        else:
            by_key[(override.entity, override.field)] = override
    return tuple(by_key.values())


def visible_fields(
    entity: str, overrides: Iterable[FieldOverride] = ()
) -> tuple[VisibleField, ...]:
    """The fields of *entity* a tenant shows, with their labels, in catalogue order."""
    catalogue = ENTITY_FIELDS.get(entity)
    if catalogue is None:
        raise InvalidInputError.for_field("entity", "Unknown entity.")
    mine = {o.field: o for o in overrides if o.entity == entity}
    shown: list[VisibleField] = []
    for field in catalogue:
        override = mine.get(field.name)
        visible = field.visible
        if override is not None and override.visible is not None:
            visible = override.visible
        if visible:
            label = override.label if override is not None and override.label else field.label
            shown.append(VisibleField(field.name, label, field.permission))
    return tuple(shown)


def _plain(value: Any) -> Any:
    """A JSON-friendly value: dates and datetimes as ISO strings, sets as sorted lists."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def project(
    record: object,
    fields: Iterable[VisibleField],
    *,
    extra: Mapping[str, Any] | None = None,
    keep: Iterable[str] = ("id",),
) -> dict[str, Any]:
    """A plain dict of *record* holding only *fields* (plus *keep*, e.g. the id).

    Values come from *extra* first (computed fields such as an asset's
    ``customer``), then from the record; dates become ISO strings.
    """
    data: dict[str, Any] = (
        attrs.asdict(cast(Any, record), recurse=False) if attrs.has(type(record)) else {}
    )
    extra = extra or {}
    out: dict[str, Any] = {}
    for name in keep:
        if name in data:
            out[name] = _plain(data[name])
    for field in fields:
        value = extra[field.name] if field.name in extra else data.get(field.name)
        out[field.name] = _plain(value)
    return out
