"""Field visibility: catalogue defaults, tenant overrides, projection to plain dicts."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from cattrs.preconf.json import make_converter
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.fields import (
    ASSET,
    ENTITY_FIELDS,
    JOB,
    FieldOverride,
    VisibleField,
    project,
    validate_overrides,
    visible_fields,
)
from portalkit.domain.records import Asset, Job
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError
from portalkit.perms import ASSET_IDENTIFICATION_VIEW

ASSET_ROW = Asset(
    id=9, tenant_id=1, scope_id=3, scope_path="/org:1/site:3/", number="A-100",
    number_key="A100", plate="ABC 123", asset_type="Forklift", model="FX-2", serial="S/77",
    customer_ref="CR-1", description="Blue one", last_test_number="T-5",
    last_test_date=dt.date(2026, 1, 5),
)


def test_asset_defaults_follow_seed_002() -> None:
    """The asset list shows seed 002's fields in its order, 'Asset ID' first."""
    labels = [f.label for f in visible_fields(ASSET)]
    assert labels == [
        "Asset ID", "Asset type", "Customer", "Model number", "Serial #", "Customer ref",
        "Description", "Last test number", "Last test date",
    ]
    assert [f.label for f in visible_fields(JOB)] == [
        "Job number", "Job status", "Date - Scheduled", "Site Address", "Job notes",
        "Customer Purchase Order number",
    ]


def test_rename_hide_and_show() -> None:
    """A tenant renames 'number' to 'Fleet No.', hides the serial and shows the plate."""
    overrides = validate_overrides([
        FieldOverride(entity=ASSET, field="number", label="  Fleet No. "),
        FieldOverride(entity=ASSET, field="serial", visible=False),
        FieldOverride(entity=ASSET, field="plate", visible=True),
        FieldOverride(entity=JOB, field="notes", visible=False),
    ])
    fields = {f.name: f.label for f in visible_fields(ASSET, overrides)}
    assert fields["number"] == "Fleet No."
    assert "serial" not in fields
    assert fields["plate"] == "Licence plate"
    assert "notes" not in {f.name for f in visible_fields(JOB, overrides)}


def test_projection_holds_only_visible_fields() -> None:
    """project() gives a plain dict of the visible fields (dates as ISO text) plus the id."""
    overrides = [FieldOverride(entity=ASSET, field="serial", visible=False)]
    data = project(ASSET_ROW, visible_fields(ASSET, overrides), extra={"customer": "City Fleet"})
    assert data["id"] == 9
    assert data["number"] == "A-100"
    assert data["customer"] == "City Fleet"
    assert data["last_test_date"] == "2026-01-05"
    assert "serial" not in data
    assert "scope_path" not in data
    assert "number_key" not in data


@given(hidden=st.sets(st.sampled_from([f.name for f in ENTITY_FIELDS[JOB]])))
def test_projection_never_leaks_hidden_fields(hidden: set[str]) -> None:
    """Whatever a tenant hides is absent from every projected job."""
    job = Job(
        id=1, tenant_id=1, scope_id=2, scope_path="/org:1/", number="J-1", status="open",
        scheduled_on=dt.date(2026, 2, 1), notes="gate code 1234", po_number="PO-9",
    )
    overrides = [FieldOverride(entity=JOB, field=name, visible=False) for name in hidden]
    data = project(job, visible_fields(JOB, overrides))
    assert not hidden & set(data)
    assert set(data) <= {f.name for f in ENTITY_FIELDS[JOB]} | {"id"}


def test_bad_overrides_are_refused() -> None:
    """Unknown entities or fields and empty or long labels are InvalidInputError."""
    bad = [
        FieldOverride(entity="invoice", field="number"),
        FieldOverride(entity=ASSET, field="scope_path", visible=True),
        FieldOverride(entity=ASSET, field="number", label="   "),
        FieldOverride(entity=ASSET, field="number", label="x" * 81),
    ]
    for override in bad:
        with pytest.raises(InvalidInputError):
            validate_overrides([override])
    with pytest.raises(InvalidInputError):
        visible_fields("invoice")


def test_last_override_of_a_field_wins() -> None:
    """Two overrides of one field collapse to the last."""
    overrides = validate_overrides([
        FieldOverride(entity=ASSET, field="number", label="One"),
        FieldOverride(entity=ASSET, field="number", label="Two"),
    ])
    assert len(overrides) == 1
    assert overrides[0].label == "Two"


def test_settings_with_overrides_round_trip_through_json() -> None:
    """TenantSettings.field_overrides survives the JSON the SQL adapter stores; old JSON works."""
    converter = make_converter()
    settings = TenantSettings(
        field_overrides=(FieldOverride(entity=ASSET, field="number", label="Asset No"),)
    )
    stored = converter.unstructure(settings)
    assert converter.structure(stored, TenantSettings) == settings
    del stored["field_overrides"]
    assert converter.structure(stored, TenantSettings).field_overrides == ()


# Rules pinned for mutation testing ----------------------------------------------------


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        (FieldOverride(entity="boat", field="number"), "entity", "Unknown entity."),
        (FieldOverride(entity=ASSET, field="scope_path"), "field", "Unknown field."),
        (FieldOverride(entity=ASSET, field="number", label=" "), "label",
         "A field label has 1-80 characters."),
        (FieldOverride(entity=ASSET, field="number", label="x" * 81), "label",
         "A field label has 1-80 characters."),
    ],
)
def test_each_bad_override_names_its_field(
    override: FieldOverride, field: str, message: str
) -> None:
    """Unknown entity, unknown field and a bad label are errors on their own field."""
    with pytest.raises(InvalidInputError) as caught:
        validate_overrides([override])
    assert caught.value.fields == {field: message}


def test_a_label_of_80_characters_is_accepted() -> None:
    """80 characters (after stripping) is the longest label."""
    (override,) = validate_overrides(
        [FieldOverride(entity=ASSET, field="number", label=" " + "x" * 80 + " ")])
    assert override.label == "x" * 80


def test_visible_fields_of_an_unknown_entity_is_an_entity_error() -> None:
    """Listing the fields of an entity outside the catalogue names the entity field."""
    with pytest.raises(InvalidInputError) as caught:
        visible_fields("boat")
    assert caught.value.fields == {"entity": "Unknown entity."}


def test_projection_sorts_sets_and_reads_only_attrs_records() -> None:
    """Sets become sorted lists; a record that is not an attrs class gives no values."""
    fields = [VisibleField("number", "Asset ID"), VisibleField("tags", "Tags")]
    assert project(ASSET_ROW, fields, extra={"tags": frozenset({"b", "c", "a"})}) == {
        "id": 9, "number": "A-100", "tags": ["a", "b", "c"]}
    assert project({"number": "A-1"}, fields) == {"number": None, "tags": None}


def test_projection_does_not_expand_nested_records() -> None:
    """A field holding another record keeps the record (projection is one level deep)."""

    @attrs.frozen
    class Holder:
        number: VisibleField

    inner = VisibleField("n", "N")
    assert project(Holder(inner), [VisibleField("number", "No.")]) == {"number": inner}


def test_visible_fields_carry_the_permission_they_need() -> None:
    """Identification fields name their permission; the asset number and type need none."""
    needs = {f.name: f.permission for f in visible_fields(ASSET)}
    assert needs["number"] is None
    assert needs["asset_type"] is None
    assert needs["serial"] == ASSET_IDENTIFICATION_VIEW
    assert needs["last_test_date"] == ASSET_IDENTIFICATION_VIEW
