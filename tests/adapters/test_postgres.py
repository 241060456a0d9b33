"""The SQLAlchemy adapter on PostgreSQL passes the storage contract."""

from __future__ import annotations

import pytest

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from tests.adapters import contract, contract_second_factors, race_contract

pytestmark = pytest.mark.postgres


@pytest.fixture
def storage(postgres_storage: SqlAlchemyStorage) -> SqlAlchemyStorage:
    """The migrated PostgreSQL test storage, emptied."""
    return postgres_storage


class TestUnitOfWork(contract.UnitOfWorkContract):
    """Unit of work contract on PostgreSQL."""


class TestTenants(contract.TenantContract):
    """Tenant contract on PostgreSQL."""


class TestRepositories(contract.RepositoryContract):
    """Generic repository contract on PostgreSQL."""


class TestKeyed(contract.KeyedContract):
    """Keyed repository contract on PostgreSQL."""


class TestScoped(contract.ScopedContract):
    """Scoped repository contract on PostgreSQL."""


class TestScopes(contract.ScopeContract):
    """Scope tree contract on PostgreSQL."""


class TestUsers(contract.UserContract):
    """User contract on PostgreSQL."""


class TestNamed(contract.NamedContract):
    """Roles and groups contract on PostgreSQL."""


class TestMemberships(contract.MembershipContract):
    """Membership contract on PostgreSQL."""


class TestGrants(contract.GrantContract):
    """Grant contract on PostgreSQL."""


class TestHeld(contract.HeldContract):
    """Held-grants contract on PostgreSQL."""


class TestFind(contract.FindContract):
    """find/count contract on PostgreSQL."""


class TestOutbox(contract.OutboxContract):
    """Outbox contract on PostgreSQL."""


class TestAudit(contract.AuditContract):
    """Audit contract on PostgreSQL."""


class TestMessages(contract.MessageContract):
    """Message contract on PostgreSQL."""


class TestSessions(contract.SessionContract):
    """Session contract on PostgreSQL."""


@pytest.mark.slow
class TestRaces(race_contract.RaceContract):
    """Race rules, 20 threads at once, on PostgreSQL."""


class TestSecondFactors(contract_second_factors.SecondFactorContract):
    """Second-factor contract on PostgreSQL."""
