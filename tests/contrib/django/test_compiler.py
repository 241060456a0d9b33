"""The Django ``Q`` compiler gives exactly the answers of the Python evaluator.

Random scope trees, random documents (NULLs, dates, datetimes, big ints,
awkward strings) and random nested filter specs go into the memory adapter and
into the Django storage (SQLite, and PostgreSQL when configured); the ids
found, the counts and the sort order must be identical.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit.adapters.memory import MemoryStorage
from portalkit.contrib.django.compiler import compile_filter, compile_order_by
from portalkit.contrib.django.repositories import MAPPINGS
from portalkit.contrib.django.storage import DjangoStorage
from portalkit.domain.filters import Eq, In, Not, Or, ScopeUnder, evaluate
from portalkit.errors import InvalidInputError
from tests.adapters.test_filter_compiler import _run
from tests.strategies import DOCUMENT_FIELDS, SORTABLE, document_sets, filters, order_bys

DOCUMENT_COLUMNS = MAPPINGS["documents"].columns


@pytest.fixture(
    params=[
        pytest.param("default", marks=pytest.mark.django_db(transaction=True)),
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                # Only with a server: an unknown alias in the mark is an error, not a skip.
                *(
                    [pytest.mark.django_db(transaction=True, databases=["default", "postgres"])]
                    if os.environ.get("PORTALKIT_TEST_DATABASE_URL")
                    else []
                ),
            ],
        ),
    ]
)
def storage(request: pytest.FixtureRequest) -> DjangoStorage:
    """The Django storage on SQLite, and on PostgreSQL when configured."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    return DjangoStorage(request.param)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_django_matches_evaluator(storage: DjangoStorage, data: st.DataObject) -> None:
    """For random records and specs, the ORM finds, counts and orders as memory and evaluate()."""
    paths, records = data.draw(document_sets())
    spec = data.draw(filters(DOCUMENT_FIELDS, paths), label="spec")
    order_by = data.draw(order_bys(SORTABLE), label="order_by")
    limit = data.draw(st.none() | st.integers(0, 10), label="limit")

    found, everything, count, stored = _run(storage, records, spec, order_by, limit)
    mem_found, mem_all, mem_count, _ = _run(MemoryStorage(), records, spec, order_by, limit)

    expected = {d.external_key for d in stored if evaluate(spec, d)}
    assert set(everything) == expected
    assert count == mem_count == len(expected)
    assert everything == mem_all
    assert found == mem_found


def test_scope_under_is_a_range_with_a_null_guard() -> None:
    """ScopeUnder becomes path__gte / path__lt (never LIKE); nullable columns get isnull."""
    text = str(compile_filter(ScopeUnder("/org:1/"), DOCUMENT_COLUMNS))
    assert "('scope_path__gte', '/org:1/')" in text
    assert "('scope_path__lt', '/org:10')" in text
    audit = str(compile_filter(ScopeUnder("/org:1/"), MAPPINGS["audit"].columns))
    assert "('scope_path__isnull', False)" in audit
    assert "isnull" not in text


def test_empty_or_and_in_of_none_match_nothing() -> None:
    """Or(()) and In(field, (None,)) are FALSE, and their negations TRUE."""
    for spec in (Or(()), In("currency", (None,))):
        assert str(compile_filter(spec, DOCUMENT_COLUMNS)) == "(AND: ('pk__isnull', True))"
        negated = str(compile_filter(Not(spec), DOCUMENT_COLUMNS))
        assert negated == "(NOT (AND: ('pk__isnull', True)))"


@pytest.mark.parametrize(
    "spec", [Eq("nope", 1), Not(In("nope", (1,))), Eq("__class__", 1), Eq("tenant", 1)]
)
def test_unknown_fields_raise(spec: object) -> None:
    """Unknown fields (and relations) raise InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError) as info:
        compile_filter(spec, DOCUMENT_COLUMNS)  # type: ignore[arg-type]
    assert info.value.fields


def test_json_fields_are_not_comparable() -> None:
    """JSON columns (audit detail, role permissions) cannot be filtered or sorted on."""
    with pytest.raises(InvalidInputError):
        compile_filter(Eq("detail", {}), MAPPINGS["audit"].columns)
    with pytest.raises(InvalidInputError):
        compile_order_by(("permissions",), MAPPINGS["roles"].columns)


def test_order_by_nulls_last_and_id_tiebreak() -> None:
    """Nullable sort keys sort NULLs last both ways; id is appended once."""
    terms = [str(t) for t in compile_order_by(("-issued_on", "kind"), DOCUMENT_COLUMNS)]
    assert terms == [
        "OrderBy(F(issued_on), descending=True)",
        "OrderBy(F(kind), descending=False)",
        "OrderBy(F(id), descending=False)",
    ]
    first = compile_order_by(("-issued_on",), DOCUMENT_COLUMNS)[0]
    assert first.nulls_last is True
    assert len(compile_order_by(("-id",), DOCUMENT_COLUMNS)) == 1
