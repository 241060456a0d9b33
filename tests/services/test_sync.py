"""Bulk upsert of customers and assets: batches, idempotency, row errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import portalkit
from portalkit._services.sync import AssetRow, _row
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
        ({"external_key": "K\x00"}, "External key contains a NUL character"),
        ({"scope_key": "S\x001"}, "Scope key contains a NUL character"),
        ({"plate": "AB\x0012"}, "Plate contains a NUL character"),
        ({"description": "a\x00b"}, "Description contains a NUL character"),
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


def test_every_field_is_stored_as_given(portal: portalkit.Portal, site_keys: list[str]) -> None:
    """Blanks become defaults, plate and key are stripped, keys normalized: alike on
    every adapter (SQL storage takes the rows as dicts, memory as entities)."""
    rows = [
        {"external_key": " K1 ", "number": " FL-01 ", "scope_key": "S1", "plate": "  ",
         "region": " CA ", "asset_type": "Truck", "description": "", "model": None,
         "last_test_number": "", "last_test_date": "2026-03-04"},
        {"external_key": "K2", "number": "Nº 7", "scope_key": "S2", "plate": " Ab-1O ",
         "customer_ref": "PO 9", "last_test_number": "T-1", "last_test_date": dt.date(2025, 1, 2)},
    ]
    portal.upsert_assets(rows)
    with portal.admin() as admin:
        one = admin.uow.assets.get_by_external_key(admin.tenant.id, "K1")
        two = admin.uow.assets.get_by_external_key(admin.tenant.id, "K2")
        site2 = admin.scope_by_key("S2")
    assert one is not None
    assert two is not None
    assert (one.number, one.number_key, one.plate, one.plate_key, one.plate_fold) == (
        "FL-01", "fl01", None, None, None)
    assert (one.region, one.asset_type, one.description, one.model, one.serial) == (
        "CA", "Truck", "", "", "")
    assert (one.last_test_number, one.last_test_date) == (None, dt.date(2026, 3, 4))
    assert (two.number_key, two.plate, two.plate_key, two.plate_fold) == (
        "no7", "Ab-1O", "ab1o", "ab10")
    assert (two.scope_id, two.scope_path) == (site2.id, site2.path)
    assert (two.customer_ref, two.last_test_number, two.last_test_date) == (
        "PO 9", "T-1", dt.date(2025, 1, 2))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"number": "N" * 65}, "number"),
        ({"plate": "P" * 65}, "plate"),
        ({"description": "d" * 2001}, "description"),
        ({"external_key": "k" * 201}, "external_key"),
        ({"scope_key": "s" * 201}, "scope_key"),
        ({"last_test_date": "2026-02-30"}, "last_test_date"),
    ],
)
def test_bounds_and_types_name_the_field(
    portal: portalkit.Portal, site_keys: list[str], bad: dict[str, object], field: str
) -> None:
    """Too long or unparsable cells are row errors naming the field; nothing is written."""
    rows = _rows(3)
    rows[2] = {**rows[2], **bad}
    with pytest.raises(InvalidRowError) as info:
        portal.upsert_assets(rows)
    assert info.value.row == 3
    assert set(info.value.fields) == {field}
    with portal.admin() as admin:
        assert admin.uow.assets.count(admin.tenant.id) == 0


_FIELDS = [f.name for f in attrs.fields(AssetRow)]
_CELLS = (
    st.sampled_from(["", " ", "  x  ", "A-1", "2026-03-04", "2026-02-30", "20260304", "\t"])
    | st.integers(0, 2).flatmap(
        lambda n: st.sampled_from([63, 64, 65, 199, 200, 201, 2000, 2001]).map(
            lambda size: " " * n + "x" * size
        )
    )
    | st.text(max_size=12)
    | st.none()
    | st.sampled_from([7, 1.5, True, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4), b"x"])
)
_TEXTS = st.text(max_size=12) | st.sampled_from(["", " ", " a ", "x" * 64, " " + "x" * 64])
_RAW_ROWS = (
    st.dictionaries(st.sampled_from([*_FIELDS, "colour"]), _CELLS, max_size=14)
    | st.fixed_dictionaries(
        {"external_key": _CELLS, "number": _CELLS, "scope_key": _CELLS},
        optional=dict.fromkeys(_FIELDS[3:], _CELLS),
    )
    | st.fixed_dictionaries(  # mostly valid: the fast path's own ground
        {"external_key": _TEXTS, "number": _TEXTS, "scope_key": _TEXTS},
        optional={
            **dict.fromkeys(_FIELDS[3:-1], _TEXTS | st.none()),
            "last_test_date": st.dates().map(dt.date.isoformat) | st.dates()
            | st.sampled_from(["", None]),
        },
    )
)


@settings(max_examples=500)
@given(raw=_RAW_ROWS)
def test_any_row_is_an_asset_row_or_a_row_error(raw: dict[str, Any]) -> None:
    """Whatever a host sends, a row becomes an AssetRow (the class's own checks ran)
    or an InvalidRowError naming the row, never a raw exception."""
    try:
        row = _row(AssetRow, raw, 7)
    except InvalidRowError as exc:
        number = exc.row
    else:
        number = 7
        assert attrs.evolve(row) == row  # the class's validators accept what was built
    assert number == 7


def test_plain_csv_rows_are_converted() -> None:
    """A typical CSV row (text, blanks, an ISO date) becomes the expected AssetRow."""
    raw = {"external_key": " A1 ", "number": "FL-1", "scope_key": "S1", "plate": "",
           "region": "", "asset_type": "Truck", "description": "", "model": "M2",
           "serial": "", "customer_ref": "", "last_test_number": "", "last_test_date": "2026-03-04"}
    assert _row(AssetRow, raw, 1) == AssetRow(
        external_key="A1", number="FL-1", scope_key="S1", asset_type="Truck", model="M2",
        last_test_date=dt.date(2026, 3, 4),
    )


@pytest.mark.parametrize("field", ["external_key", "name", "email", "phone", "postal_code"])
def test_nul_in_customer_rows_is_a_row_error(portal: portalkit.Portal, field: str) -> None:
    """NUL (PostgreSQL cannot store it) is the row's fault on every database; nothing written."""
    rows = [
        {"external_key": "C1", "name": "City Fleet"},
        {"external_key": "C2", "name": "Green Acres", field: "x\x00y"},
    ]
    with pytest.raises(InvalidRowError, match="contains a NUL character") as info:
        portal.upsert_customers(rows)
    assert info.value.row == 2
    with portal.admin() as admin:
        assert admin.uow.customers.count(admin.tenant.id) == 0
