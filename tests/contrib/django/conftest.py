"""Django for the tests below this directory only: settings from ``settings.py``.

Django is configured when pytest collects this directory (never through
``DJANGO_SETTINGS_MODULE``), so the rest of the suite runs exactly as without
Django. pytest-django provides the test databases and fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from portalkit import perms
from portalkit.domain.principals import User
from portalkit.domain.records import Asset
from tests.contrib.django.django_setup import configure_django

configure_django()


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    """Keep the suite's own order: undo pytest-django's database-first reordering.

    pytest-django sorts every collected test (database tests first) once
    Django is configured; the rest of the suite must run as it does without
    Django, so the original order is restored.
    """
    original = {id(item): index for index, item in enumerate(items)}
    result = yield
    items.sort(key=lambda item: original.get(id(item), len(original)))
    return result


@pytest.fixture
def django_storage(transactional_db: None) -> object:
    """A Django storage on the migrated, emptied test database (real commits)."""
    from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

    return DjangoStorage("default")


PASSWORD = "harbour-lantern-violet-42"


@attrs.frozen
class World:
    """A tenant ``acme`` with two organizations, an asset in each and two users.

    Ann may see jobs and assets of organization A; Bob holds no role.
    """

    ann: User
    bob: User
    asset_a: Asset
    asset_b: Asset


@pytest.fixture
def world(transactional_db: None) -> Iterator[World]:
    """The :class:`World`, stored through the portal of the Django settings."""
    from portalkit._services.identity import set_password  # noqa: PLC0415
    from portalkit.contrib.django.conf import get_portal, reset_portal  # noqa: PLC0415

    reset_portal()
    portal = get_portal()
    portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        org_a = admin.add_organization("Org A", external_key="A")
        org_b = admin.add_organization("Org B", external_key="B")
        admin.define_role("viewer", [perms.JOB_VIEW, perms.ASSET_VIEW])
        ann = admin.create_user("ann@example.com", "Ann Lee")
        bob = admin.create_user("bob@example.com", "Bob Stone")
        admin.grant(ann, "viewer", scope=org_a)
        asset_a = admin.upsert_asset(number="TRK-1", scope=org_a, external_key="a1")
        asset_b = admin.upsert_asset(number="TRK-2", scope=org_b, external_key="b1")
        for user in (ann, bob):
            set_password(
                admin.uow, admin.tenant, admin.user(user), PASSWORD, PASSWORD,
                hasher=portal.hasher, policy=portal.identity.password_policy,
            )
    yield World(ann=ann, bob=bob, asset_a=asset_a, asset_b=asset_b)
    reset_portal()
