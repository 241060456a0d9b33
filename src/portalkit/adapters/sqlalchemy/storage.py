"""The SQLAlchemy storage backend: SQLite (embedded default) and PostgreSQL.

Build it with :meth:`SqlAlchemyStorage.from_url`; nothing connects at import
time. The schema is managed by the Alembic migrations shipped in this package
and applied only when asked, by :meth:`SqlAlchemyStorage.upgrade` (what
``portalkit db upgrade`` and ``Portal.upgrade()`` call). Until then
:meth:`~SqlAlchemyStorage.check` and the first unit of work raise
:class:`~portalkit.errors.SchemaOutdatedError`.
"""

from __future__ import annotations

import functools
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from portalkit.adapters.sqlalchemy.bind_guard import guard_binds
from portalkit.adapters.sqlalchemy.identity_repositories import SqlThrottle
from portalkit.adapters.sqlalchemy.translate import UNAVAILABLE_MESSAGE, translate
from portalkit.adapters.sqlalchemy.unit_of_work import (
    DEFERRED_BEGIN,
    SQLITE_BUSY_TIMEOUT_MS,
    SqlAlchemyUnitOfWork,
)
from portalkit.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaOutdatedError,
    StorageError,
)

__all__ = ["MIGRATIONS", "VERSION_TABLE", "SqlAlchemyStorage", "alembic_config"]

#: Alembic's script location: a package resource, so no alembic.ini is needed.
MIGRATIONS = "portalkit.adapters.sqlalchemy:migrations"
#: portalkit's own version table; a host's ``alembic_version`` stays untouched.
VERSION_TABLE = "portalkit_alembic_version"
_SUPPORTED = ("sqlite", "postgresql")

_UPGRADE_HINT = "run `portalkit db upgrade` (or Portal.upgrade())"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for portalkit's migrations, optionally bound to *connection*."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(head revisions, every known revision) of the shipped migrations."""
    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return frozenset(script.get_heads()), known


def _sqlite_on_connect(wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below open transactions, not pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def _sqlite_planner_hints(connection: Connection) -> None:
    """Tell SQLite's planner how portalkit's indexes behave, before any ANALYZE.

    Without statistics SQLite takes ``tenant_id = ?`` as very selective and may
    scan a whole tenant through any ``(tenant_id, …)`` index instead of looking
    up ``(tenant_id, number_key)``. These rows in ``sqlite_stat1`` (the
    documented way to steer the planner) say what holds for every portalkit
    index: a tenant has many rows, the next column narrows them to a few. A
    host that runs ``ANALYZE`` later replaces them with measured figures.
    """
    connection.exec_driver_sql("ANALYZE portalkit_alembic_version")  # creates sqlite_stat1
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'portalkit%'")
    tables = [
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'portalkit%'"
        )
    ]
    rows = []
    for table in tables:
        for index in connection.exec_driver_sql(f"PRAGMA index_list('{table}')"):
            name, unique = index[1], bool(index[2])
            width = len(connection.exec_driver_sql(f"PRAGMA index_info('{name}')").all())
            per_prefix = [100_000, 10, 4, 2, 2, 2][:width]
            if unique:
                per_prefix[-1] = 1
            rows.append((table, name, " ".join(map(str, [1_000_000, *per_prefix]))))
    if rows:
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", rows
        )
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # load them into this connection


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: two units never deadlock on a
    # read-then-write upgrade, and a conditional update has exactly one winner.
    # A read-only unit begins deferred: under WAL it waits for nobody.
    if connection.info.get(DEFERRED_BEGIN):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SqlAlchemyStorage:
    """Storage in SQLite or PostgreSQL (the :class:`~portalkit.ports.Storage` port).

    Args:
        engine: An engine the host built. :meth:`from_url` is the usual way in;
            it also sets portalkit's SQLite connection defaults.
    """

    def __init__(self, engine: Engine) -> None:
        guard_binds(engine)
        self._engine = engine
        self._checked = False

    @classmethod
    def from_url(cls, url: str | URL, **engine_kwargs: Any) -> SqlAlchemyStorage:
        """Build the storage for a database URL (``sqlite:///portal.db``, ``postgresql+psycopg://…``).

        SQLite gets foreign keys on, a busy timeout, WAL journaling for file
        databases and ``BEGIN IMMEDIATE`` transactions. Extra keyword arguments
        go to :func:`sqlalchemy.create_engine`.

        Lost connections (a database restart) are handled optimistically: the
        statement that meets a dead connection fails with
        :class:`~portalkit.errors.DatabaseUnavailableError`, SQLAlchemy
        invalidates the pool, and the next unit of work connects afresh. Pass
        ``pool_pre_ping=True`` to test every connection on checkout instead, at
        the cost of one round trip per unit of work.

        Raises:
            ConfigurationError: The URL is malformed, names an unsupported
                database, or its driver is not installed.
        """
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError, TypeError) as exc:
            raise ConfigurationError("The database URL is not valid.") from exc
        backend = parsed.get_backend_name()
        if backend not in _SUPPORTED:
            raise ConfigurationError(
                f"Unsupported database {backend!r}: portalkit stores in SQLite or PostgreSQL."
            )
        memory = backend == "sqlite" and parsed.database in (None, "", ":memory:")
        if memory:
            engine_kwargs.setdefault("poolclass", StaticPool)
            engine_kwargs.setdefault("connect_args", {"check_same_thread": False})
        if backend == "postgresql" and "connect_timeout" not in parsed.query:
            engine_kwargs.setdefault("connect_args", {"connect_timeout": 10})
        try:
            engine = create_engine(parsed, **engine_kwargs)
        except ImportError as exc:
            raise ConfigurationError(
                f"The database driver for {parsed.drivername!r} is not installed "
                "(for PostgreSQL: pip install 'portalkit[postgres]')."
            ) from exc
        except (ArgumentError, TypeError) as exc:
            raise ConfigurationError("The database URL or engine options are not valid.") from exc
        if backend == "sqlite":
            event.listen(engine, "connect", _sqlite_on_connect(wal=not memory))
            event.listen(engine, "begin", _sqlite_begin)
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for hosts that want to share it)."""
        return self._engine

    def _connect(self) -> Connection:
        try:
            return self._engine.connect()
        except SQLAlchemyError as exc:
            error = translate(exc)
            if not isinstance(error, DatabaseUnavailableError):
                error = DatabaseUnavailableError(UNAVAILABLE_MESSAGE)
            raise error from exc

    def unit_of_work(
        self, *, read_only: bool = False, wait: bool = True
    ) -> SqlAlchemyUnitOfWork:
        """A new unit of work (one transaction). Checks the schema on first use.

        A ``read_only`` unit cannot commit; on SQLite it begins deferred. With
        ``wait=False`` a SQLite unit does not wait for another writer's lock.
        """
        if not self._checked:
            self.check()
        return SqlAlchemyUnitOfWork(self, read_only=read_only, wait=wait)

    def upgrade(self) -> None:
        """Create or migrate the schema to this version of portalkit (Alembic ``upgrade heads``).

        Idempotent: on a current schema it does nothing.
        """
        connection = self._connect()
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), "heads")
            if self._engine.dialect.name == "sqlite":
                with connection.begin():
                    _sqlite_planner_hints(connection)
                if not isinstance(self._engine.pool, StaticPool):
                    self._engine.dispose()  # pooled connections reload the statistics
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        except CommandError as exc:
            raise StorageError(f"The database schema could not be upgraded: {exc}") from exc
        finally:
            connection.close()
        self._checked = True

    def current_revisions(self) -> frozenset[str]:
        """The migration revisions the database is at (empty for no schema)."""
        connection = self._connect()
        try:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}
            )
            return frozenset(context.get_current_heads())
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        finally:
            connection.close()

    def check(self) -> None:
        """Raise unless the database is reachable and its schema is this version's.

        Raises:
            DatabaseUnavailableError: The database cannot be reached.
            SchemaOutdatedError: No portalkit schema yet, an older one, or a
                newer one than this version of portalkit knows.
        """
        current = self.current_revisions()
        heads, known = _script_revisions()
        if current != heads:
            raise SchemaOutdatedError(_outdated_message(current, known))
        self._checked = True

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def throttle(self) -> SqlThrottle:
        """Throttle counters in this database, shared by every worker."""
        return SqlThrottle(self._engine)

    def __repr__(self) -> str:
        return f"SqlAlchemyStorage({self._engine.url.render_as_string(hide_password=True)!r})"


def _outdated_message(current: frozenset[str], known: frozenset[str]) -> str:
    if not current:
        return f"The database has no portalkit schema yet; {_UPGRADE_HINT}."
    if current <= known:
        return f"The database schema is older than this version of portalkit; {_UPGRADE_HINT}."
    return "The database schema is newer than this version of portalkit; upgrade portalkit."
