"""``tests/services/test_mail_queue.py`` on the Django ORM storage (its queue repository).

The tests that take the ``storage`` fixture run unchanged on a
:class:`~portalkit.contrib.django.storage.DjangoStorage`; the background
sender's test (a second thread writing) runs on PostgreSQL only, as the other
threaded tests on Django do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from portalkit.contrib.django.storage import DjangoStorage
from tests.contrib.django.services_on_django import forget_thread_connections
from tests.services import test_mail_queue

_POSTGRES = os.environ.get("PORTALKIT_TEST_DATABASE_URL")
_THREADED = {"test_the_background_sender_delivers_on_its_own"}

def _wanted(name: str, value: object) -> bool:
    """Helpers, and the tests that take ``storage``."""
    if not name.startswith("test_"):
        return not name.startswith("__")
    code = getattr(value, "__code__", None)
    return code is not None and "storage" in code.co_varnames[: code.co_argcount]


globals().update({k: v for k, v in vars(test_mail_queue).items() if _wanted(k, v)})


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
    elif request.node.originalname in _THREADED:
        pytest.skip("a second writer thread needs PostgreSQL under Django's in-memory SQLite")
    yield DjangoStorage(request.param)
    forget_thread_connections()
