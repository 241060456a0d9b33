"""Foreign database errors become portalkit's typed errors."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from portalkit.adapters.sqlalchemy.translate import translate
from portalkit.errors import ConflictError, InvalidInputError, StorageError


@pytest.mark.postgres
def test_nul_in_text_on_postgresql_is_the_inputs_fault(postgres_url: str) -> None:
    """PostgreSQL's refusal of NUL in text is an InvalidInputError, not a storage failure."""
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn, pytest.raises(sa_exc.DataError) as info:
            conn.execute(text("SELECT CAST(:value AS text)"), {"value": "a\x00b"})
    finally:
        engine.dispose()
    error = translate(info.value)
    assert isinstance(error, InvalidInputError)
    assert "NUL" in error.message


def test_integrity_error_is_a_conflict() -> None:
    """A unique violation (here from SQLite) is a ConflictError."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES ('x')"))
        with pytest.raises(sa_exc.IntegrityError) as info:
            conn.execute(text("INSERT INTO t VALUES ('x')"))
    assert isinstance(translate(info.value), ConflictError)


def test_other_data_errors_stay_storage_errors() -> None:
    """Only the NUL refusal is reclassified; another DataError says nothing about input."""
    other = sa_exc.DataError("SELECT 1", {}, Exception("numeric field overflow"))
    error = translate(other)
    assert type(error) is StorageError
