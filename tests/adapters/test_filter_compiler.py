"""The SQL filter compiler gives exactly the answers of the Python evaluator.

Random scope trees, random documents (NULLs, dates, datetimes, big ints,
awkward strings) and random nested filter specs go into the memory adapter and
into SQLite and PostgreSQL; the ids found, the counts and the sort order must
be identical.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import false, true
from sqlalchemy.dialects import postgresql, sqlite

from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.compiler import compile_filter, compile_order_by
from portalkit.adapters.sqlalchemy.tables import AuditRow, DocumentRow
from portalkit.domain.filters import FALSE, TRUE, Eq, Filter, In, Not, ScopeUnder, evaluate
from portalkit.domain.records import Document
from portalkit.domain.tenants import Tenant
from portalkit.errors import InvalidInputError
from portalkit.ports import Storage
from tests.strategies import DOCUMENT_FIELDS, SORTABLE, document_sets, filters, order_bys

DOCUMENTS = DocumentRow.__table__


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def sql_storage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlAlchemyStorage]:
    """A migrated SQL storage, shared by every example of the module."""
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_session_storage")
        return
    path = tmp_path_factory.mktemp("compiler") / "portal.db"
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
    storage.upgrade()
    yield storage
    storage.close()


def _run(
    storage: Storage,
    records: list[Document],
    spec: Filter,
    order_by: tuple[str, ...],
    limit: int | None,
) -> tuple[list[str], list[str], int, list[Document]]:
    """Store *records* in a new tenant, query, and roll everything back."""
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="prop", name="Prop"))
        rows = [attrs.evolve(r, tenant_id=tenant.id) for r in records]
        uow.documents.upsert_many(tenant.id, rows)
        stored = uow.documents.find(tenant.id, order_by=("id",))
        found = uow.documents.find(tenant.id, spec, order_by=order_by, limit=limit)
        everything = uow.documents.find(tenant.id, spec, order_by=order_by)
        count = uow.documents.count(tenant.id, spec)
        return (
            [d.external_key or "" for d in found],
            [d.external_key or "" for d in everything],
            count,
            stored,
        )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_matches_evaluator(sql_storage: SqlAlchemyStorage, data: st.DataObject) -> None:
    """For random records and specs, SQL finds, counts and orders as memory and evaluate()."""
    paths, records = data.draw(document_sets())
    spec = data.draw(filters(DOCUMENT_FIELDS, paths), label="spec")
    order_by = data.draw(order_bys(SORTABLE), label="order_by")
    limit = data.draw(st.none() | st.integers(0, 10), label="limit")

    sql_found, sql_all, sql_count, stored = _run(sql_storage, records, spec, order_by, limit)
    mem_found, mem_all, mem_count, _ = _run(MemoryStorage(), records, spec, order_by, limit)

    expected = {d.external_key for d in stored if evaluate(spec, d)}
    assert set(sql_all) == expected
    assert sql_count == mem_count == len(expected)
    assert sql_all == mem_all
    assert sql_found == mem_found


def _sql(clause: object, dialect: object) -> str:
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_scope_under_is_an_index_range(dialect: object) -> None:
    """ScopeUnder compiles to path >= prefix AND path < upper bound, never LIKE."""
    text = _sql(compile_filter(ScopeUnder("/org:1/"), DOCUMENTS), dialect)
    assert "LIKE" not in text.upper()
    assert "scope_path >= '/org:1/'" in text
    assert "scope_path < '/org:10'" in text


def test_nullable_columns_are_guarded() -> None:
    """A comparison on a nullable column carries IS NOT NULL; on NOT NULL columns it does not."""
    assert "IS NOT NULL" in _sql(compile_filter(Eq("currency", "EUR"), DOCUMENTS), sqlite.dialect())
    assert "IS NOT NULL" not in _sql(compile_filter(Eq("kind", "x"), DOCUMENTS), sqlite.dialect())
    guarded = _sql(compile_filter(ScopeUnder("/org:1/"), AuditRow.__table__), sqlite.dialect())
    assert "IS NOT NULL" in guarded


def test_constant_specs() -> None:
    """TRUE, FALSE, an empty In and an In of only None compile to constants."""
    assert compile_filter(TRUE, DOCUMENTS).compare(true())
    assert compile_filter(FALSE, DOCUMENTS).compare(false())
    assert compile_filter(In("currency", ()), DOCUMENTS).compare(false())
    assert compile_filter(In("currency", (None,)), DOCUMENTS).compare(false())


@pytest.mark.parametrize(
    ("spec", "table"),
    [
        (Eq("nope", 1), DOCUMENTS),
        (Not(In("nope", (1,))), DOCUMENTS),
        (Eq("__class__", 1), DOCUMENTS),
        (Eq("detail", {}), AuditRow.__table__),
    ],
)
def test_unknown_fields_raise(spec: Filter, table: object) -> None:
    """Unknown (or non-comparable JSON) fields raise InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError) as info:
        compile_filter(spec, table)  # type: ignore[arg-type]
    assert info.value.fields


def test_order_by_nulls_last_and_id_tiebreak() -> None:
    """Nullable sort keys get NULLS LAST both ways; id is appended once."""
    text = ", ".join(
        _sql(term, postgresql.dialect())
        for term in compile_order_by(("-issued_on", "kind"), DOCUMENTS)
    )
    assert text == (
        "portalkit_documents.issued_on DESC NULLS LAST, portalkit_documents.kind ASC, "
        "portalkit_documents.id ASC"
    )
    assert len(compile_order_by(("-id",), DOCUMENTS)) == 1
