"""Bulk upsert of customers and assets: batches, idempotency, row errors."""

from __future__ import annotations

import datetime as dt

import pytest

import portalkit
from portalkit.errors import DuplicateKeyError, InvalidInputError, InvalidRowError


@pytest.fixture
def site_keys(portal: portalkit.Portal) -> list[str]:
    """Two organizations with a site each, keyed S1 and S2."""
    with portal.admin() as admin:
        for n in (1, 2):
            org = admin.add_organization(f"Org {n}")
            admin.add_scope(org, kind="site", name=f"Site {n}", external_key=f"S{n}")
    return ["S1", "S2"]


def _rows(count: int, **extra: object) -> list[dict[str, object]]:
    return [
        {"external_key": f"K{i}", "number": f"N-{i}", "scope_key": f"S{1 + i % 2}",
         "plate": f"P {i}", **extra}
        for i in range(count)
    ]


def test_upsert_assets_is_idempotent(portal: portalkit.Portal, site_keys: list[str]) -> None:
    """A second run of the same rows updates and inserts nothing new."""
    first = portal.upsert_assets(_rows(250), batch_size=100)
    again = portal.upsert_assets(_rows(250), batch_size=100)
    assert (first.processed, first.inserted, first.updated, first.batches) == (250, 250, 0, 3)
    assert (again.inserted, again.updated) == (0, 250)
    with portal.admin() as admin:
        assert admin.uow.assets.count(admin.tenant.id) == 250
        asset = admin.uow.assets.get_by_external_key(admin.tenant.id, "K3")
    assert asset is not None
    assert (asset.number_key, asset.plate_key) == ("n3", "p3")


def test_rows_from_mappings_are_converted(portal: portalkit.Portal, site_keys: list[str]) -> None:
    """Text values from a CSV (dates, blanks) become typed fields."""
    portal.upsert_assets(_rows(1, last_test_date="2026-03-04", model="", serial=None))
    with portal.admin() as admin:
        asset = admin.uow.assets.get_by_external_key(admin.tenant.id, "K0")
    assert asset is not None
    assert asset.last_test_date == dt.date(2026, 3, 4)


def test_duplicate_keys_in_a_batch_write_nothing(
    portal: portalkit.Portal, site_keys: list[str]
) -> None:
    """Duplicate external keys are refused before the batch is written."""
    rows = [*_rows(5), _rows(5)[2]]
    with pytest.raises(DuplicateKeyError) as info:
        portal.upsert_assets(rows)
    assert info.value.keys == ["K2"]
    with portal.admin() as admin:
        assert admin.uow.assets.count(admin.tenant.id) == 0


def test_bad_row_names_its_number_and_keeps_earlier_batches(
    portal: portalkit.Portal, site_keys: list[str]
) -> None:
    """A bad row stops the run; earlier batches stay, its batch is not written."""
    rows = _rows(25)
    rows[17] = {**rows[17], "scope_key": "nope"}
    with pytest.raises(InvalidRowError) as info:
        portal.upsert_assets(rows, batch_size=10)
    assert info.value.row == 18
    assert "Row 18" in info.value.message
    with portal.admin() as admin:
        assert admin.uow.assets.count(admin.tenant.id) == 10


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"external_key": " "}, "External key is required"),
        ({"number": "--"}, "Asset number is required"),
        ({"colour": "red"}, "Unknown columns: colour"),
        ({"last_test_date": "yesterday"}, "Invalid value for last_test_date"),
        ({"number": None}, "Missing value for number"),
    ],
)
def test_invalid_rows(
    portal: portalkit.Portal, site_keys: list[str], bad: dict[str, object], message: str
) -> None:
    """Each kind of bad value gives InvalidRowError with a clear message."""
    rows = _rows(3)
    rows[1] = {**rows[1], **bad}
    with pytest.raises(InvalidRowError, match=message) as info:
        portal.upsert_assets(rows)
    assert info.value.row == 2


def test_progress_is_reported_per_batch(portal: portalkit.Portal, site_keys: list[str]) -> None:
    """The callback sees the running report after each committed batch."""
    seen: list[int] = []
    portal.upsert_assets(_rows(25), batch_size=10, on_progress=lambda r: seen.append(r.processed))
    assert seen == [10, 20, 25]


def test_batch_size_is_bounded(portal: portalkit.Portal) -> None:
    """A batch size of zero or an absurd one is refused."""
    with pytest.raises(InvalidInputError):
        portal.upsert_assets([], batch_size=0)


def test_upsert_customers_creates_organizations(portal: portalkit.Portal) -> None:
    """Each new customer gets an organization with its key; re-runs rename, not duplicate."""
    rows = [
        {"external_key": "C1", "name": "City Fleet", "phone": "(202) 555-0143",
         "email": "AP@City.example", "postal_code": "90210", "portal_enabled": "yes",
         "contract_count": "2"},
        {"external_key": "C2", "name": "Green Acres", "is_account": "no"},
    ]
    report = portal.upsert_customers(rows)
    assert (report.inserted, report.updated) == (2, 0)
    renamed = [{**rows[0], "name": "City Fleet Services"}, rows[1]]
    report = portal.upsert_customers(renamed)
    assert (report.inserted, report.updated) == (0, 2)
    with portal.admin() as admin:
        org = admin.scope_by_key("C1")
        customer = admin.uow.customers.get_by_external_key(admin.tenant.id, "C1")
        assert org.name == "City Fleet Services"
        assert customer is not None
        assert customer.organization_id == org.id
        assert customer.email == "ap@city.example"
        assert customer.phone == "+12025550143"  # E.164, as registration by proof needs
        assert customer.portal_enabled
        assert customer.contract_count == 2
        assert len(admin.uow.scopes.find(admin.tenant.id)) == 2


def test_invalid_phone_names_its_row(portal: portalkit.Portal) -> None:
    """A phone number that is not a number of the row's country is a row error."""
    rows = [
        {"external_key": "C1", "name": "City Fleet", "phone": "+1 202 555 0143"},
        {"external_key": "C2", "name": "Green Acres", "phone": "12", "country": "CA"},
    ]
    with pytest.raises(InvalidRowError) as info:
        portal.upsert_customers(rows)
    assert info.value.row == 2
    assert "phone" in info.value.fields
