"""``SqlRepository.upsert_rows``: the bulk upsert of records given as field dicts."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.domain.principals import User
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeKind
from portalkit.domain.tenants import Tenant
from portalkit.errors import DuplicateKeyError, InvalidInputError
from portalkit.ports import UpsertCounts


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> SqlAlchemyStorage:
    """A migrated, empty SQL storage (SQLite file or PostgreSQL)."""
    name = "sqlite_storage" if request.param == "sqlite" else "postgres_storage"
    result: SqlAlchemyStorage = request.getfixturevalue(name)
    return result


def _assets(storage: SqlAlchemyStorage) -> tuple[int, list[Asset]]:
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        org = uow.scopes.create(tenant_id=tenant.id, kind=ScopeKind.ORGANIZATION, name="o",
                                parent=None)
        uow.commit()
    assets = [
        Asset(id=0, tenant_id=tenant.id, scope_id=org.id, scope_path=org.path, number=f"N{n}",
              number_key=f"n{n}", plate=f"P{n}", plate_key=f"p{n}", plate_fold=f"p{n}",
              external_key=f"k{n}", description="d" * n)
        for n in range(5)
    ]
    return tenant.id, assets


def _fields(asset: Asset) -> dict[str, object]:
    fields = attrs.asdict(asset)
    del fields["id"]
    return fields


def test_rows_store_what_entities_store(storage: SqlAlchemyStorage) -> None:
    """Upserting field dicts stores and counts exactly what upsert_many of the entities does."""
    tenant_id, assets = _assets(storage)
    with storage.unit_of_work() as uow:
        counts = uow.assets.upsert_rows(tenant_id, [_fields(a) for a in assets[:3]])
        assert counts == UpsertCounts(inserted=3, updated=0)
        changed = [attrs.evolve(a, description="new") for a in assets]
        counts = uow.assets.upsert_rows(tenant_id, [_fields(a) for a in changed])
        assert counts == UpsertCounts(inserted=2, updated=3)
        stored = uow.assets.find(tenant_id, order_by=("external_key",))
        uow.commit()
    assert [_fields(a) for a in stored] == [_fields(a) for a in changed]
    with storage.unit_of_work() as uow:
        assert uow.assets.upsert_many(tenant_id, changed) == UpsertCounts(inserted=0, updated=5)
        assert [_fields(a) for a in uow.assets.find(tenant_id, order_by=("external_key",))] == [
            _fields(a) for a in changed
        ]


@pytest.mark.parametrize("change", ["missing", "extra"])
def test_rows_need_exactly_the_fields(storage: SqlAlchemyStorage, change: str) -> None:
    """A dict lacking a field or carrying an unknown one is refused; nothing is written."""
    tenant_id, assets = _assets(storage)
    rows = [_fields(a) for a in assets]
    if change == "missing":
        del rows[3]["plate_fold"]
    else:
        rows[3]["colour"] = "red"
    with storage.unit_of_work() as uow:
        with pytest.raises(InvalidInputError):
            uow.assets.upsert_rows(tenant_id, rows)
        assert uow.assets.count(tenant_id) == 0


def test_rows_with_a_repeated_key_write_nothing(storage: SqlAlchemyStorage) -> None:
    """A key twice in one call is DuplicateKeyError, before anything is written."""
    tenant_id, assets = _assets(storage)
    rows = [_fields(a) for a in [*assets, assets[1]]]
    with storage.unit_of_work() as uow:
        with pytest.raises(DuplicateKeyError):
            uow.assets.upsert_rows(tenant_id, rows)
        assert uow.assets.count(tenant_id) == 0
        assert uow.assets.upsert_rows(tenant_id, []) == UpsertCounts()


def test_column_types_convert_as_sqlalchemy_does(storage: SqlAlchemyStorage) -> None:
    """Aware datetimes, booleans and dates go through the column types (stored as naive
    UTC, read back aware); a naive datetime is refused as SQLAlchemy's binding refuses it."""
    tenant_id, _ = _assets(storage)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    user = User(id=0, tenant_id=tenant_id, email="a@x.example", name="A", is_active=False,
                is_staff=True, external_key="u1",
                created_at=dt.datetime(2024, 1, 1, 12, 0, tzinfo=plus2))
    with storage.unit_of_work() as uow:
        assert uow.users.upsert_many(tenant_id, [user]) == UpsertCounts(inserted=1)
        stored = uow.users.get_by_external_key(tenant_id, "u1")
        assert stored is not None
        assert (stored.is_active, stored.is_staff) == (False, True)
        assert stored.created_at == dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.timezone.utc)
        naive = attrs.evolve(user, external_key="u2", created_at=dt.datetime(2024, 1, 1))
        with pytest.raises(InvalidInputError):
            uow.users.upsert_many(tenant_id, [naive])
        assert uow.users.count(tenant_id) == 1
