"""Fixtures for service tests: a portal on each storage adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import portalkit
from portalkit.adapters.clock import ManualClock

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(params=["memory"])
def portal(request: pytest.FixtureRequest) -> Iterator[portalkit.Portal]:
    """A fresh, migrated portal on each storage adapter, with a manual clock."""
    the_portal = portalkit.Portal.from_url("memory://", secret_key=SECRET, clock=ManualClock())
    the_portal.upgrade()
    yield the_portal
    the_portal.close()
