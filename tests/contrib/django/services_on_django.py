"""Run a service test module unchanged on the Django storage (see ``test_*_on_django.py``)."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import pytest

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
def portal(request: pytest.FixtureRequest) -> portalkit.Portal:
    """A portal over the Django storage (emptied test database), with a manual clock."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    elif request.node.originalname in THREADED:
        pytest.skip("parallel writers need PostgreSQL under Django's in-memory SQLite")
    storage = DjangoStorage(request.param)
    return portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())


def adopt(module: ModuleType, namespace: dict[str, Any]) -> None:
    """Copy *module*'s tests and fixtures into *namespace*, with the Django ``portal``."""
    namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    namespace["portal"] = portal
