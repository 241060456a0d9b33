"""Fuzzing the host's bulk import rows (``Portal.upsert_assets`` / ``upsert_customers``).

Rows come from the host's files (a CSV export, an ERP feed) as mappings of
anything to anything. Each run stores its rows or stops with a typed error
naming the row; nothing else escapes, on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.errors import InvalidInputError, InvalidRowError
from portalkit.ports import Storage
from tests.fuzz.hostile import FUZZ, NON_TEXT, typed

SECRET = "fuzz-sync-secret-key-that-is-long-enough-012345"

ASSET_FIELDS = [
    "external_key", "number", "scope_key", "plate", "region", "asset_type", "description",
    "model", "serial", "customer_ref", "last_test_number", "last_test_date",
]
CUSTOMER_FIELDS = [
    "external_key", "name", "phone", "email", "postal_code", "country", "portal_enabled",
    "is_account", "contract_count", "quote_count",
]

# Values a CSV cell or a JSON feed could hold, PostgreSQL's trouble makers included.
CELLS = (
    st.text(max_size=30)
    | st.sampled_from(["", " ", "org-1", "A-100", "2024-02-30", "2024-02-28", "yes", "0",
                       "-1", "1e400", "NaN", "\x00", "a\x00b", "ß", "\ud7ff", "x" * 3000])
    | st.dates().map(dt.date.isoformat)
    | st.integers(-(2**70), 2**70)
    | NON_TEXT
)


def _rows(fields: list[str]) -> st.SearchStrategy[list[Any]]:
    keys = st.sampled_from(fields) | st.text(max_size=8)
    row = st.dictionaries(keys, CELLS, max_size=len(fields) + 2)
    likely = st.fixed_dictionaries(dict.fromkeys(fields[:3], CELLS))  # often complete enough
    return st.lists(row | likely | NON_TEXT, max_size=6)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal(request: pytest.FixtureRequest) -> portalkit.Portal:
    """A portal with one organization whose external key is ``org-1``."""
    storage: Storage = (
        MemoryStorage()
        if request.param == "memory"
        else request.getfixturevalue(f"{request.param}_storage")
    )
    the_portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    with the_portal.admin() as admin:
        admin.add_organization("City Fleet", external_key="org-1")
    return the_portal


@FUZZ
@given(rows=_rows(ASSET_FIELDS))
def test_asset_rows_take_anything(portal: portalkit.Portal, rows: list[Any]) -> None:
    """Any asset rows are stored, or the run stops with an InvalidInputError
    (InvalidRowError naming a row within the run for a row's fault)."""
    result = typed(portal.upsert_assets, rows)
    if isinstance(result, InvalidRowError):
        assert 1 <= result.row <= len(rows)
    elif isinstance(result, Exception):
        assert isinstance(result, InvalidInputError), repr(result)


@FUZZ
@given(rows=_rows(CUSTOMER_FIELDS))
def test_customer_rows_take_anything(portal: portalkit.Portal, rows: list[Any]) -> None:
    """Any customer rows are stored, or the run stops with an InvalidInputError."""
    result = typed(portal.upsert_customers, rows)
    if isinstance(result, InvalidRowError):
        assert 1 <= result.row <= len(rows)
    elif isinstance(result, Exception):
        assert isinstance(result, InvalidInputError), repr(result)
