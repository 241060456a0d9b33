"""Django for the tests below this directory only: settings from ``settings.py``.

Django is configured when pytest collects this directory (never through
``DJANGO_SETTINGS_MODULE``), so the rest of the suite runs exactly as without
Django. pytest-django provides the test databases and fixtures.
"""

from __future__ import annotations

import pytest

from tests.contrib.django.django_setup import configure_django

configure_django()


@pytest.fixture
def django_storage(transactional_db: None) -> object:
    """A Django storage on the migrated, emptied test database (real commits)."""
    from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

    return DjangoStorage("default")
