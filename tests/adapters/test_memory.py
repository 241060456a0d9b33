"""The in-memory adapter passes the storage contract."""

from __future__ import annotations

import pytest

from portalkit.adapters.memory import MemoryStorage
from tests.adapters import contract, contract_second_factors


@pytest.fixture
def storage() -> MemoryStorage:
    """A fresh in-memory storage."""
    return MemoryStorage()


class TestUnitOfWork(contract.UnitOfWorkContract):
    """Unit of work contract on memory."""


class TestTenants(contract.TenantContract):
    """Tenant contract on memory."""


class TestRepositories(contract.RepositoryContract):
    """Generic repository contract on memory."""


class TestKeyed(contract.KeyedContract):
    """Keyed repository contract on memory."""


class TestScoped(contract.ScopedContract):
    """Scoped repository contract on memory."""


class TestScopes(contract.ScopeContract):
    """Scope tree contract on memory."""


class TestUsers(contract.UserContract):
    """User contract on memory."""


class TestNamed(contract.NamedContract):
    """Roles and groups contract on memory."""


class TestMemberships(contract.MembershipContract):
    """Membership contract on memory."""


class TestGrants(contract.GrantContract):
    """Grant contract on memory."""


class TestHeld(contract.HeldContract):
    """Held-grants contract on memory."""


class TestFind(contract.FindContract):
    """find/count contract on memory."""


class TestOutbox(contract.OutboxContract):
    """Outbox contract on memory."""


class TestAudit(contract.AuditContract):
    """Audit contract on memory."""


class TestMessages(contract.MessageContract):
    """Message contract on memory."""


class TestSessions(contract.SessionContract):
    """Session contract on memory."""


class TestSecondFactors(contract_second_factors.SecondFactorContract):
    """Second-factor contract on memory."""
