"""The fields a principal may see (domain.field_access): shown by the tenant AND allowed."""

from __future__ import annotations

import datetime as dt

import pytest

from portalkit.domain import fields as fields_module
from portalkit.domain.field_access import fields_for, project_for
from portalkit.domain.fields import ASSET, JOB, FieldDef, FieldOverride
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Grant, Principal, PrincipalKind, Role, User
from portalkit.domain.records import Asset, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError
from portalkit.perms import ASSET_IDENTIFICATION_VIEW

TID = 1
ANN = Principal(tenant_id=TID, kind=PrincipalKind.USER, user_id=1)
NORTH, SOUTH = "/org:1/", "/org:2/"


def _policy(*, overrides: tuple[FieldOverride, ...] = ()) -> Policy:
    """Ann may view identification in the north organization only."""
    return Policy.build(
        tenant_id=TID,
        settings=TenantSettings(field_overrides=overrides),
        users=[User(id=1, tenant_id=TID, email="ann@x.example", name="Ann")],
        roles=[Role(id=1, tenant_id=TID, name="identify",
                    permissions=frozenset({ASSET_IDENTIFICATION_VIEW}))],
        grants=[Grant(id=1, tenant_id=TID, role_id=1, scope_id=1, scope_path=NORTH, user_id=1)],
        organizations=[
            ScopeNode(1, TID, ScopeKind.ORGANIZATION, "North", NORTH),
            ScopeNode(2, TID, ScopeKind.ORGANIZATION, "South", SOUTH),
        ],
    )


def _asset(asset_id: int, path: str) -> Asset:
    return Asset(
        id=asset_id, tenant_id=TID, scope_id=1, scope_path=path, number=f"A-{asset_id}",
        number_key=f"A{asset_id}", asset_type="Forklift", model="FX-2", serial="S/77",
        customer_ref="CR-1", description="Blue one", last_test_number="T-5",
        last_test_date=dt.date(2026, 1, 5),
    )


IDENTIFIED = ["number", "asset_type", "customer", "model", "serial", "customer_ref",
              "description", "last_test_number", "last_test_date"]


def test_identification_fields_appear_only_where_the_permission_is_held() -> None:
    """North (granted): every shown field; south (not granted): number and type only."""
    policy = _policy()
    assert [f.name for f in fields_for(policy, ANN, ASSET, _asset(1, NORTH))] == IDENTIFIED
    assert [f.name for f in fields_for(policy, ANN, ASSET, _asset(2, SOUTH))] == [
        "number", "asset_type",
    ]


def test_the_tenants_overrides_apply_before_the_permission() -> None:
    """A field the tenant hides stays hidden even where the permission is held; renames show."""
    policy = _policy(overrides=(
        FieldOverride(entity=ASSET, field="serial", visible=False),
        FieldOverride(entity=ASSET, field="number", label="Fleet No."),
    ))
    shown = fields_for(policy, ANN, ASSET, _asset(1, NORTH))
    assert "serial" not in [f.name for f in shown]
    assert shown[0].label == "Fleet No."


def test_a_free_field_after_a_refused_one_is_still_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusing one field skips that field only: the fields after it are still judged."""
    monkeypatch.setitem(
        fields_module.ENTITY_FIELDS,
        ASSET,
        (
            FieldDef("serial", "Serial #", permission=ASSET_IDENTIFICATION_VIEW),
            FieldDef("number", "Asset ID"),
            FieldDef("model", "Model number", permission=ASSET_IDENTIFICATION_VIEW),
        ),
    )
    policy = _policy()
    assert [f.name for f in fields_for(policy, ANN, ASSET, _asset(2, SOUTH))] == ["number"]
    assert [f.name for f in fields_for(policy, ANN, ASSET, _asset(1, NORTH))] == [
        "serial", "number", "model",
    ]


def test_an_unknown_entity_is_an_entity_error() -> None:
    """fields_for names the bad entity like visible_fields does."""
    with pytest.raises(InvalidInputError) as caught:
        fields_for(_policy(), ANN, "invoice", _asset(1, NORTH))
    assert set(caught.value.fields) == {"entity"}


def test_projection_holds_each_records_own_fields_and_extras() -> None:
    """project_for judges every record at its own scope and adds its computed values."""
    policy = _policy()
    rows = project_for(
        policy, ANN, ASSET, [_asset(1, NORTH), _asset(2, SOUTH)],
        extra={1: {"customer": "City Fleet"}, 2: {"customer": "Hidden Ltd"}},
    )
    assert rows == [
        {
            "id": 1, "number": "A-1", "asset_type": "Forklift", "customer": "City Fleet",
            "model": "FX-2", "serial": "S/77", "customer_ref": "CR-1",
            "description": "Blue one", "last_test_number": "T-5",
            "last_test_date": "2026-01-05",
        },
        {"id": 2, "number": "A-2", "asset_type": "Forklift"},
    ]


def test_projection_without_extras_reads_the_record_only() -> None:
    """Without *extra*, computed fields such as the customer are None."""
    rows = project_for(_policy(), ANN, ASSET, [_asset(1, NORTH)])
    assert rows[0]["customer"] is None
    assert rows[0]["serial"] == "S/77"


def test_job_fields_need_no_permission() -> None:
    """Every job field the tenant shows is projected, whoever asks."""
    job = Job(
        id=5, tenant_id=TID, scope_id=2, scope_path=SOUTH, number="J-1", status="open",
        scheduled_on=dt.date(2026, 2, 1), site_address="1 Main St", notes="n", po_number="PO",
    )
    assert project_for(_policy(), ANN, JOB, [job]) == [{
        "id": 5, "number": "J-1", "status": "open", "scheduled_on": "2026-02-01",
        "site_address": "1 Main St", "notes": "n", "po_number": "PO",
    }]
