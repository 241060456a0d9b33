"""The committed migrations match the models; the storage knows when they are missing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from portalkit.contrib.django.storage import DjangoStorage
from portalkit.errors import SchemaOutdatedError


def test_makemigrations_check_finds_nothing_to_do(db: None) -> None:
    """``makemigrations --check`` passes: no model change lacks its migration."""
    out = io.StringIO()
    call_command("makemigrations", "portalkit", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()


def test_tables_are_prefixed_portalkit_dj(transactional_db: None) -> None:
    """Every table of the app is called ``portalkit_dj_…`` (never the SQLAlchemy names)."""
    from django.apps import apps  # noqa: PLC0415

    names = {model._meta.db_table for model in apps.get_app_config("portalkit").get_models()}
    assert names
    assert all(name.startswith("portalkit_dj_") for name in names)
    assert names <= set(connection.introspection.table_names())


def test_check_and_upgrade(transactional_db: None) -> None:
    """check() passes on the migrated test database; rolled back, it raises until upgrade()."""
    storage = DjangoStorage("default")
    storage.check()
    call_command("migrate", "portalkit", "zero", verbosity=0)
    try:
        with pytest.raises(SchemaOutdatedError):
            storage.check()
        with pytest.raises(SchemaOutdatedError), storage.unit_of_work() as uow:
            uow.tenants.list()
    finally:
        storage.upgrade()
    storage.check()
