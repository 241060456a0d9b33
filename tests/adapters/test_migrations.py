"""The shipped Alembic migrations, schema checks and connection errors.

The schema is applied only by ``upgrade()``; ``check()`` and the first unit of
work refuse a database without it, with an older or unknown revision, or one
that cannot be reached, each with a typed portalkit error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.storage import VERSION_TABLE, alembic_config
from portalkit.adapters.sqlalchemy.tables import Base
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaOutdatedError,
    StorageError,
)

PORTALKIT_TABLES = {t.name for t in Base.metadata.sorted_tables}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("fresh_postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def empty_storage(empty_url: str) -> SqlAlchemyStorage:
    """A storage on an empty database (closed after the test)."""
    storage = SqlAlchemyStorage.from_url(empty_url)
    yield storage  # type: ignore[misc]
    storage.close()


def _tables(storage: SqlAlchemyStorage) -> set[str]:
    with storage.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_empty_database_is_outdated(empty_storage: SqlAlchemyStorage) -> None:
    """An empty database fails check() and unit_of_work() with SchemaOutdatedError."""
    with pytest.raises(SchemaOutdatedError, match="no portalkit schema"):
        empty_storage.check()
    with pytest.raises(SchemaOutdatedError):
        empty_storage.unit_of_work()


def test_upgrade_creates_schema_and_is_idempotent(empty_storage: SqlAlchemyStorage) -> None:
    """upgrade() creates every table and its own version table; a second run changes nothing."""
    empty_storage.upgrade()
    empty_storage.check()
    assert _tables(empty_storage) == PORTALKIT_TABLES | {VERSION_TABLE}
    empty_storage.upgrade()
    empty_storage.check()
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert empty_storage.current_revisions() == heads
    with empty_storage.unit_of_work() as uow:
        uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        uow.commit()


def test_migrations_form_one_line() -> None:
    """The shipped revisions have exactly one head, on the "portalkit" branch."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_no_drift_between_models_and_migrations(empty_storage: SqlAlchemyStorage) -> None:
    """Alembic autogenerate finds no difference between the models and the migrated db."""
    empty_storage.upgrade()
    with empty_storage.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_host_alembic_version_is_untouched(empty_storage: SqlAlchemyStorage) -> None:
    """A host's own alembic_version table survives portalkit's upgrade unchanged."""
    with empty_storage.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('host123')"))
    empty_storage.upgrade()
    with empty_storage.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            ("host123",)
        ]
    empty_storage.check()


def test_host_can_migrate_through_its_own_connection(empty_url: str) -> None:
    """Alembic runs on a connection the host passes in cfg.attributes["connection"]."""
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "heads")
    finally:
        engine.dispose()
    storage = SqlAlchemyStorage.from_url(empty_url)
    try:
        storage.check()
    finally:
        storage.close()


def test_downgrade_to_base_removes_everything(empty_storage: SqlAlchemyStorage) -> None:
    """The initial revision downgrades cleanly (only the version table stays)."""
    empty_storage.upgrade()
    with empty_storage.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert _tables(empty_storage) <= {VERSION_TABLE}
    with pytest.raises(SchemaOutdatedError):
        empty_storage.check()


def test_tables_without_version_are_outdated(empty_storage: SqlAlchemyStorage) -> None:
    """Tables made without migrations (no version row) count as an outdated schema."""
    Base.metadata.create_all(empty_storage.engine)
    with pytest.raises(SchemaOutdatedError):
        empty_storage.check()


@pytest.mark.parametrize(
    ("revision", "message"), [("0000", "newer"), ("ffff_future", "newer")]
)
def test_unknown_revision_is_outdated(
    empty_storage: SqlAlchemyStorage, revision: str, message: str
) -> None:
    """A version table at a revision this code does not know raises SchemaOutdatedError."""
    with empty_storage.engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)")
        )
        connection.execute(text(f"INSERT INTO {VERSION_TABLE} VALUES (:v)"), {"v": revision})
    with pytest.raises(SchemaOutdatedError, match=message):
        empty_storage.check()
    with pytest.raises(SchemaOutdatedError):
        empty_storage.unit_of_work()


def test_dropped_table_after_check_is_schema_error(empty_storage: SqlAlchemyStorage) -> None:
    """A table missing at query time surfaces as SchemaOutdatedError, not a raw SQL error."""
    empty_storage.upgrade()
    with empty_storage.engine.begin() as connection:
        connection.execute(text("DROP TABLE portalkit_outbox"))
    with empty_storage.unit_of_work() as uow, pytest.raises(SchemaOutdatedError):
        uow.outbox.pending(10)


UNREACHABLE = [
    "postgresql+psycopg://portalkit@127.0.0.1:1/nothing",
    "sqlite:////nonexistent-portalkit-dir/sub/portal.db",
]


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.check(),
        lambda s: s.upgrade(),
        lambda s: s.unit_of_work(),
    ],
    ids=["check", "upgrade", "unit_of_work"],
)
def test_unreachable_database(url: str, action: Callable[[SqlAlchemyStorage], object]) -> None:
    """An unreachable database raises DatabaseUnavailableError with a clear, safe message."""
    storage = SqlAlchemyStorage.from_url(url)
    try:
        with pytest.raises(DatabaseUnavailableError) as info:
            action(storage)
    finally:
        storage.close()
    assert "cannot be reached" in info.value.message
    assert "127.0.0.1" not in info.value.message
    assert info.value.__cause__ is not None
    assert isinstance(info.value, StorageError)


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "",
        "://nothing",
        "nosuchdialect://user@host/db",
        "mysql://user@host/db",
        "postgresql+nosuchdriver://user@host/db",
    ],
)
def test_bad_url_is_configuration_error(url: str) -> None:
    """A malformed or unsupported URL raises ConfigurationError without echoing it."""
    with pytest.raises(ConfigurationError) as info:
        SqlAlchemyStorage.from_url(url)
    assert "user@host" not in info.value.message


def test_sqlite_connection_defaults(tmp_path: Path) -> None:
    """from_url turns on foreign keys, WAL and a busy timeout for SQLite files."""
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with storage.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        storage.close()
    assert "p.db" in repr(storage)


def test_in_memory_sqlite_is_shared_across_units() -> None:
    """sqlite:// keeps one in-memory database for every unit of work of the storage."""
    storage = SqlAlchemyStorage.from_url("sqlite://")
    try:
        storage.upgrade()
        with storage.unit_of_work() as uow:
            uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.tenants.get_by_slug("acme") is not None
    finally:
        storage.close()


def test_import_portalkit_does_not_import_sqlalchemy() -> None:
    """Only portalkit.adapters.sqlalchemy loads SQLAlchemy; `import portalkit` does not."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import sys, portalkit, portalkit.adapters.memory; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
