"""Fixtures for service tests: a portal on each storage adapter."""

from __future__ import annotations

import pytest

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.ports import Storage

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def portal(request: pytest.FixtureRequest) -> portalkit.Portal:
    """A fresh, migrated portal on each storage adapter, with a manual clock."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    return portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
