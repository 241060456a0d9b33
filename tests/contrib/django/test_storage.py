"""The Django ORM storage adapter on SQLite passes the storage contract."""

from __future__ import annotations

import pytest

from tests.adapters import contract


@pytest.fixture
def storage(django_storage: object) -> object:
    """A Django storage on the emptied SQLite test database."""
    return django_storage


class TestUnitOfWork(contract.UnitOfWorkContract):
    """Unit of work contract on the Django ORM (SQLite)."""


class TestTenants(contract.TenantContract):
    """Tenant contract on the Django ORM (SQLite)."""


class TestRepositories(contract.RepositoryContract):
    """Generic repository contract on the Django ORM (SQLite)."""


class TestKeyed(contract.KeyedContract):
    """Keyed repository contract on the Django ORM (SQLite)."""


class TestScoped(contract.ScopedContract):
    """Scoped repository contract on the Django ORM (SQLite)."""


class TestScopes(contract.ScopeContract):
    """Scope tree contract on the Django ORM (SQLite)."""


class TestUsers(contract.UserContract):
    """User contract on the Django ORM (SQLite)."""


class TestNamed(contract.NamedContract):
    """Roles and groups contract on the Django ORM (SQLite)."""


class TestMemberships(contract.MembershipContract):
    """Membership contract on the Django ORM (SQLite)."""


class TestGrants(contract.GrantContract):
    """Grant contract on the Django ORM (SQLite)."""


class TestHeld(contract.HeldContract):
    """Held-grants contract on the Django ORM (SQLite)."""


class TestFind(contract.FindContract):
    """find/count contract on the Django ORM (SQLite)."""


class TestOutbox(contract.OutboxContract):
    """Outbox contract on the Django ORM (SQLite)."""


class TestAudit(contract.AuditContract):
    """Audit contract on the Django ORM (SQLite)."""


class TestMessages(contract.MessageContract):
    """Message contract on the Django ORM (SQLite)."""


class TestSessions(contract.SessionContract):
    """Session contract on the Django ORM (SQLite)."""
