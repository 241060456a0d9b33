"""Run a service test module unchanged on the Django storage (see ``test_*_on_django.py``)."""

from __future__ import annotations

import gc
import os
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from django.db import connections

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.contrib.django.storage import DjangoStorage
from tests.services.conftest import SECRET

#: Tests that race writers in threads. Django's in-memory SQLite test database
#: answers a second writer "table is locked" at once instead of waiting, so
#: they run on PostgreSQL only (where the rules matter: one winner, no excess).
THREADED = frozenset({
    "test_concurrent_double_submit_creates_one_request",
    "test_last_free_slot_has_exactly_one_winner",
    "test_capacity_is_never_exceeded",
    "test_concurrent_call_offs_never_exceed_the_quantity_out",
    "test_concurrent_final_quote_decisions_have_one_winner",
})
_POSTGRES = os.environ.get("PORTALKIT_TEST_DATABASE_URL")


@pytest.fixture(
    params=[
        pytest.param("default", marks=pytest.mark.django_db(transaction=True)),
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                *(
                    [pytest.mark.django_db(transaction=True, databases=["default", "postgres"])]
                    if _POSTGRES
                    else []
                ),
            ],
        ),
    ]
)
def portal(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[portalkit.Portal]:
    """A portal over the Django storage (emptied test database), with a manual clock."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    elif request.node.originalname in THREADED:
        pytest.skip("parallel writers need PostgreSQL under Django's in-memory SQLite")
    if request.node.originalname in THREADED:
        close_connections_when_threads_end(monkeypatch)
    storage = DjangoStorage(request.param)
    yield portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    forget_thread_connections()


def close_connections_when_threads_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every thread close its own Django connections when it finishes.

    Django closes a thread's connections at the end of each request; the
    tests' worker threads serve no request, so without this their connections
    are only dropped when the thread object is collected, and psycopg's
    ResourceWarning can then fire in the middle of a test (an error here).
    """
    run = threading.Thread.run

    def run_then_close(self: threading.Thread) -> None:
        try:
            run(self)
        finally:
            connections.close_all()

    monkeypatch.setattr(threading.Thread, "run", run_then_close)


def forget_thread_connections() -> None:
    """Collect the connections that finished worker threads left open.

    Django keeps one connection per thread and closes it at the end of a
    request; the tests' worker threads have no request, so their connections
    are dropped with the thread. Collecting them here keeps psycopg's
    ResourceWarning from surfacing in whatever test runs next.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def adopt(module: ModuleType, namespace: dict[str, Any]) -> None:
    """Copy *module*'s tests and fixtures into *namespace*, with the Django ``portal``."""
    namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    namespace["portal"] = portal
