"""The SQLAlchemy adapter on SQLite (a file database) passes the storage contract."""

from __future__ import annotations

import pytest

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from tests.adapters import contract, contract_second_factors, race_contract


@pytest.fixture
def storage(sqlite_storage: SqlAlchemyStorage) -> SqlAlchemyStorage:
    """A migrated SQLite storage in a new file."""
    return sqlite_storage


class TestUnitOfWork(contract.UnitOfWorkContract):
    """Unit of work contract on SQLite."""


class TestTenants(contract.TenantContract):
    """Tenant contract on SQLite."""


class TestRepositories(contract.RepositoryContract):
    """Generic repository contract on SQLite."""


class TestKeyed(contract.KeyedContract):
    """Keyed repository contract on SQLite."""


class TestScoped(contract.ScopedContract):
    """Scoped repository contract on SQLite."""


class TestScopes(contract.ScopeContract):
    """Scope tree contract on SQLite."""


class TestUsers(contract.UserContract):
    """User contract on SQLite."""


class TestNamed(contract.NamedContract):
    """Roles and groups contract on SQLite."""


class TestMemberships(contract.MembershipContract):
    """Membership contract on SQLite."""


class TestGrants(contract.GrantContract):
    """Grant contract on SQLite."""


class TestHeld(contract.HeldContract):
    """Held-grants contract on SQLite."""


class TestFind(contract.FindContract):
    """find/count contract on SQLite."""


class TestOutbox(contract.OutboxContract):
    """Outbox contract on SQLite."""


class TestAudit(contract.AuditContract):
    """Audit contract on SQLite."""


class TestMessages(contract.MessageContract):
    """Message contract on SQLite."""


class TestSessions(contract.SessionContract):
    """Session contract on SQLite."""


@pytest.mark.slow
class TestRaces(race_contract.RaceContract):
    """Race rules, 20 threads at once, on SQLite (a file: units really run at once)."""


class TestSecondFactors(contract_second_factors.SecondFactorContract):
    """Second-factor contract on SQLite."""
