"""The Django storage passes the capability repository tests of the other adapters.

The tests of ``tests/adapters/test_invitation_repositories.py`` (invitations,
conditional claims, messages) and ``tests/adapters/test_identity_repositories.py``
(one-time codes, throttle) run here unchanged on the Django ORM storage
(SQLite, and PostgreSQL when configured): only the ``storage`` fixture differs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from portalkit.contrib.django.storage import DjangoStorage
from tests.adapters import test_identity_repositories as identity_tests
from tests.adapters import test_invitation_repositories as invitation_tests
from tests.contrib.django.services_on_django import forget_thread_connections

_POSTGRES = os.environ.get("PORTALKIT_TEST_DATABASE_URL")
_ALIASES = [
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


@pytest.fixture(params=_ALIASES)
def storage(request: pytest.FixtureRequest) -> Iterator[DjangoStorage]:
    """The Django storage on SQLite, and on PostgreSQL when configured."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    yield DjangoStorage(request.param)
    forget_thread_connections()


throttle = identity_tests.throttle

for _module in (invitation_tests, identity_tests):
    for _name in dir(_module):
        if _name.startswith("test_"):
            globals()[_name] = getattr(_module, _name)
