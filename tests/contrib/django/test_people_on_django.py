"""``tests/services/test_people.py`` on the Django ORM storage (its user lock included).

The tests that take the ``storage`` or ``world`` fixture run unchanged on a
:class:`~portalkit.contrib.django.storage.DjangoStorage`, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from portalkit.contrib.django.storage import DjangoStorage
from tests.contrib.django.services_on_django import (
    close_connections_when_threads_end,
    forget_thread_connections,
)
from tests.services import test_people

_POSTGRES = os.environ.get("PORTALKIT_TEST_DATABASE_URL")


def _wanted(name: str, value: object) -> bool:
    """Helpers, and the tests that take ``storage`` or ``world``."""
    if not name.startswith("test_"):
        return not name.startswith("__") and name != "storage"
    code = getattr(value, "__code__", None)
    args = code.co_varnames[: code.co_argcount] if code is not None else ()
    return "storage" in args or "world" in args


globals().update({k: v for k, v in vars(test_people).items() if _wanted(k, v)})


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
def storage(request: pytest.FixtureRequest) -> Iterator[DjangoStorage]:
    """The Django storage over the (emptied) test database of each kind."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    yield DjangoStorage(request.param)
    forget_thread_connections()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "postgres"])
def test_two_administrators_demoting_each_other_at_once_keep_one_on_django(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race of the service tests, on the Django storage over PostgreSQL."""
    close_connections_when_threads_end(monkeypatch)
    try:
        test_people.race_two_administrators(DjangoStorage("postgres"))
    finally:
        forget_thread_connections()
