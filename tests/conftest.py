"""Shared fixtures: PostgreSQL for tests marked ``postgres``, fresh databases per test.

PostgreSQL comes from ``PORTALKIT_TEST_DATABASE_URL``
(``postgresql+psycopg://user@host:port/db``; ``.ci/run`` starts a throwaway
server and sets it). Without it, PostgreSQL tests are skipped, except in CI
(``CI=true``) or with ``PORTALKIT_REQUIRE_POSTGRES=1``, where they fail.

Fresh database per test, PostgreSQL: a new schema of the test database is
migrated once per session (made the connections' ``search_path``, dropped at the
end), and each test that takes :func:`postgres_storage` starts with every
portalkit table truncated (``TRUNCATE … RESTART IDENTITY CASCADE``, a few
milliseconds). SQLite: each test copies a migrated template file.
Tests that need an *empty* database (migrations) take :func:`fresh_postgres_url`:
a new PostgreSQL schema of their own, made the connection's ``search_path`` and
dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import Phase, settings

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage

POSTGRES_ENV = "PORTALKIT_TEST_DATABASE_URL"

# Queued mail is sent right after each request in tests, so a test reads the
# mailer's outbox as soon as the call returns. The mail queue's own tests, the
# timing measurement and the browser tests choose "background" or "worker".
os.environ.setdefault("PORTALKIT_MAIL_DELIVERY", "inline")

#: Address space allowed to a test run against one mutant (make mutation).
MUTANT_MEMORY_LIMIT = 1024**3

# The mutation run's profile: the same examples on every run, so a mutant is
# killed or not, never "sometimes"; no deadline, because the machine is shared;
# no shrinking, because a failing example is all a mutant needs, and shrinking
# one against the policy's property tests takes minutes.
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
# Every other run: no deadline either. A test's speed is measured in bench/,
# and on a busy two-core CI machine a 200 ms deadline fails correct code.
settings.register_profile("portalkit", deadline=None)
settings.load_profile("portalkit")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``postgres`` marker; cap the memory of a run against a mutant."""
    config.addinivalue_line(
        "markers", "postgres: needs a PostgreSQL server (PORTALKIT_TEST_DATABASE_URL)"
    )
    # mutmut forks one process per mutant and names it in MUTANT_UNDER_TEST.
    # A mutant that loops while allocating would otherwise take the machine's
    # memory; with the cap it fails with MemoryError, which counts as killed.
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        resource.setrlimit(resource.RLIMIT_AS, (MUTANT_MEMORY_LIMIT, MUTANT_MEMORY_LIMIT))


def _postgres_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("PORTALKIT_REQUIRE_POSTGRES") == "1"
    )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL URL; skips (or fails in CI) when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"{POSTGRES_ENV} is not set: no PostgreSQL server for this test"
        if _postgres_required():
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    return url


@contextlib.contextmanager
def _schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections land in a new, empty PostgreSQL schema, dropped on exit."""
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    schema = f"pk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_session_storage(postgres_url: str) -> Iterator[SqlAlchemyStorage]:
    """One migrated storage for the whole session, in a schema of its own.

    The schema is new (so no state survives from an earlier run or another
    test module) and dropped at the end of the session.
    """
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    with _schema_url(postgres_url) as url:
        storage = SqlAlchemyStorage.from_url(url)
        storage.upgrade()
        yield storage
        storage.close()


@pytest.fixture
def postgres_storage(postgres_session_storage: SqlAlchemyStorage) -> SqlAlchemyStorage:
    """The session's PostgreSQL storage with every portalkit table emptied."""
    from portalkit.adapters.sqlalchemy.tables import Base  # noqa: PLC0415

    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with postgres_session_storage.engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return postgres_session_storage


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database file, made once and copied by each test."""
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    path = tmp_path_factory.mktemp("sqlite-template") / "portal.db"
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
    storage.upgrade()
    storage.close()
    return path


@pytest.fixture
def sqlite_storage(tmp_path: Path, sqlite_template: Path) -> Iterator[SqlAlchemyStorage]:
    """A migrated SQLite storage in a new file of its own (a copy of the template)."""
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    path = tmp_path / "portal.db"
    # The backup API reads through the template's WAL, whatever is checkpointed.
    with contextlib.closing(sqlite3.connect(sqlite_template)) as source, contextlib.closing(
        sqlite3.connect(path)
    ) as target:
        source.backup(target)
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
    yield storage
    storage.close()


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections land in a new, empty PostgreSQL schema (dropped after)."""
    with _schema_url(postgres_url) as url:
        yield url
