"""SQLAlchemy-specific behaviour beyond the shared contract.

Column types, error translation, SQLite write serialization and the cached
schema check: things only the SQL adapter has.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select, text, update

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import RoleRow, ScopeRow, UserRow
from portalkit.domain.principals import Role, User
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeKind
from portalkit.domain.tenants import Tenant
from portalkit.errors import InvalidInputError, SchemaOutdatedError, StorageError


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> SqlAlchemyStorage:
    """A migrated, empty SQL storage (SQLite file or PostgreSQL)."""
    name = "sqlite_storage" if request.param == "sqlite" else "postgres_storage"
    result: SqlAlchemyStorage = request.getfixturevalue(name)
    return result


def _tenant(storage: SqlAlchemyStorage) -> Tenant:
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        uow.commit()
    return tenant


def test_naive_datetime_is_refused(storage: SqlAlchemyStorage) -> None:
    """A naive datetime is refused with InvalidInputError, and nothing is stored."""
    tenant = _tenant(storage)
    naive = dt.datetime(2024, 1, 1, 12, 0)
    with storage.unit_of_work() as uow:
        with pytest.raises(InvalidInputError):
            uow.users.add(User(id=0, tenant_id=tenant.id, email="a@x.example", name="A",
                               created_at=naive))
        assert uow.users.count(tenant.id) == 0


@pytest.mark.parametrize(
    "value", [2**63, -(2**63) - 1, 10**30, "a\x00b", "a\ud800b", float("nan"), float("inf")],
    ids=repr,
)
def test_unstorable_binds_are_the_inputs_fault(storage: SqlAlchemyStorage, value: object) -> None:
    """A value no column can take, reaching a statement past the public API, is an
    InvalidInputError before anything runs (not OverflowError, UnicodeEncodeError or
    a "storage not available" that reads like an outage); the unit goes on."""
    tenant = _tenant(storage)
    with storage.unit_of_work() as uow:
        with pytest.raises(InvalidInputError):
            uow.users.get(tenant.id, value)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            uow.users.add(User(id=0, tenant_id=tenant.id, email="a@x.example",
                               name=value))  # type: ignore[arg-type]
        assert uow.users.count(tenant.id) == 0
        assert uow.users.get(tenant.id, 2**63 - 1) is None  # the largest id is just missing


def test_datetimes_are_stored_as_naive_utc(storage: SqlAlchemyStorage) -> None:
    """The column holds the UTC wall time; reads give it back aware in UTC."""
    tenant = _tenant(storage)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    with storage.unit_of_work() as uow:
        user = uow.users.add(User(id=0, tenant_id=tenant.id, email="a@x.example", name="A",
                                  created_at=dt.datetime(2024, 1, 1, 12, 0, tzinfo=plus2)))
        stored = uow.connection.execute(
            select(UserRow.created_at).where(UserRow.id == user.id)
        ).scalar_one()
        assert stored == dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.timezone.utc)
        raw = uow.connection.execute(
            text("SELECT created_at FROM portalkit_users WHERE id = :id"), {"id": user.id}
        ).scalar_one()
        assert str(raw).startswith("2024-01-01 10:00:00")


def test_sets_are_sorted_json_and_enums_plain_text(storage: SqlAlchemyStorage) -> None:
    """frozensets are stored as sorted JSON lists, enums as their value."""
    tenant = _tenant(storage)
    with storage.unit_of_work() as uow:
        role = uow.roles.add(Role(id=0, tenant_id=tenant.id, name="r",
                                  permissions=frozenset({"b.x", "a.y", "c.z"})))
        node = uow.scopes.create(tenant_id=tenant.id, kind=ScopeKind.DIVISION, name="d",
                                 parent=None)
        permissions = uow.connection.execute(
            text("SELECT permissions FROM portalkit_roles WHERE id = :id"), {"id": role.id}
        ).scalar_one()
        if isinstance(permissions, str):  # SQLite's JSON is text
            import json  # noqa: PLC0415

            permissions = json.loads(permissions)
        assert permissions == ["a.y", "b.x", "c.z"]
        kind = uow.connection.execute(
            text("SELECT kind FROM portalkit_scopes WHERE id = :id"), {"id": node.id}
        ).scalar_one()
        assert kind == "division"
        assert uow.connection.execute(
            select(ScopeRow.kind).where(ScopeRow.id == node.id)
        ).scalar_one() is ScopeKind.DIVISION
        assert uow.connection.execute(
            select(RoleRow.permissions).where(RoleRow.id == role.id)
        ).scalar_one() == frozenset({"a.y", "b.x", "c.z"})


def test_schema_check_is_cached(storage: SqlAlchemyStorage) -> None:
    """After a successful check, new units do not query the version table again."""
    storage.check()
    with storage.engine.begin() as connection:
        versions = connection.execute(text("SELECT * FROM portalkit_alembic_version")).all()
        connection.execute(text("DELETE FROM portalkit_alembic_version"))
    try:
        with storage.unit_of_work() as uow:  # cached: no SchemaOutdatedError
            assert uow.tenants.list() == []
        with pytest.raises(SchemaOutdatedError):
            storage.check()
    finally:  # the PostgreSQL storage is shared by the session (and by subprocesses)
        with storage.engine.begin() as connection:
            for (version,) in versions:
                connection.execute(
                    text("INSERT INTO portalkit_alembic_version VALUES (:v)"), {"v": version}
                )
        storage.check()


def test_unit_outside_with_block_raises(storage: SqlAlchemyStorage) -> None:
    """Using a unit of work outside its `with` block raises StorageError."""
    uow = storage.unit_of_work()
    with pytest.raises(StorageError):
        uow.tenants.list()


def test_sqlite_writers_are_serialized(tmp_path: Path) -> None:
    """Concurrent read-then-write units on SQLite never lose an update (BEGIN IMMEDIATE)."""
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{tmp_path / 'c.db'}")
    storage.upgrade()
    tenant = _tenant(storage)
    table = RoleRow.__table__
    with storage.unit_of_work() as uow:
        role = uow.roles.add(Role(id=0, tenant_id=tenant.id, name="0"))
        uow.commit()
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                with storage.unit_of_work() as uow:
                    current = uow.roles.get(tenant.id, role.id)
                    assert current is not None
                    uow.connection.execute(
                        update(table).where(table.c.id == role.id)
                        .values(name=str(int(current.name) + 1))
                    )
                    uow.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with storage.unit_of_work() as uow:
        final = uow.roles.get(tenant.id, role.id)
        assert final is not None
        assert final.name == "40"
    storage.close()


class _Statements:
    """Records the SQL statements an engine sends (and whether each was an executemany)."""

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        self.seen: list[tuple[str, bool]] = []
        self._engine = storage.engine
        event.listen(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: object, _cursor: object, statement: str, _params: object,
                _context: object, executemany: bool) -> None:
        self.seen.append((statement.split(maxsplit=1)[0].upper(), executemany))

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)

    def of(self, verb: str) -> list[bool]:
        return [many for stmt, many in self.seen if stmt == verb]


def test_rewrite_and_upsert_are_single_statements(storage: SqlAlchemyStorage) -> None:
    """A subtree move is one UPDATE per table; a bulk upsert is one executemany INSERT."""
    tenant = _tenant(storage)
    with storage.unit_of_work() as uow:
        org = uow.scopes.create(tenant_id=tenant.id, kind=ScopeKind.ORGANIZATION, name="o",
                                parent=None)
        assets = [
            Asset(id=0, tenant_id=tenant.id, scope_id=org.id, scope_path=org.path,
                  number=str(n), number_key=str(n), external_key=f"k{n}")
            for n in range(50)
        ]
        statements = _Statements(storage)
        try:
            uow.assets.upsert_many(tenant.id, assets)
            assert statements.of("INSERT") == [True]
            statements.seen.clear()
            assert uow.assets.rewrite_scope_prefix(tenant.id, org.path, "/org:999/") == 50
            assert statements.of("UPDATE") == [False]
        finally:
            statements.close()
