"""The Django ORM storage adapter on PostgreSQL passes the storage contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.adapters import contract, contract_second_factors, race_contract
from tests.contrib.django.services_on_django import (
    close_connections_when_threads_end,
    forget_thread_connections,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "postgres"]),
]


@pytest.fixture
def storage(postgres_url: str) -> object:
    """A Django storage on the emptied PostgreSQL test database (alias ``postgres``)."""
    from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

    return DjangoStorage("postgres")


class TestUnitOfWork(contract.UnitOfWorkContract):
    """Unit of work contract on the Django ORM (PostgreSQL)."""


class TestTenants(contract.TenantContract):
    """Tenant contract on the Django ORM (PostgreSQL)."""


class TestRepositories(contract.RepositoryContract):
    """Generic repository contract on the Django ORM (PostgreSQL)."""


class TestKeyed(contract.KeyedContract):
    """Keyed repository contract on the Django ORM (PostgreSQL)."""


class TestScoped(contract.ScopedContract):
    """Scoped repository contract on the Django ORM (PostgreSQL)."""


class TestScopes(contract.ScopeContract):
    """Scope tree contract on the Django ORM (PostgreSQL)."""


class TestUsers(contract.UserContract):
    """User contract on the Django ORM (PostgreSQL)."""


class TestNamed(contract.NamedContract):
    """Roles and groups contract on the Django ORM (PostgreSQL)."""


class TestMemberships(contract.MembershipContract):
    """Membership contract on the Django ORM (PostgreSQL)."""


class TestGrants(contract.GrantContract):
    """Grant contract on the Django ORM (PostgreSQL)."""


class TestHeld(contract.HeldContract):
    """Held-grants contract on the Django ORM (PostgreSQL)."""


class TestFind(contract.FindContract):
    """find/count contract on the Django ORM (PostgreSQL)."""


class TestOutbox(contract.OutboxContract):
    """Outbox contract on the Django ORM (PostgreSQL)."""


class TestAudit(contract.AuditContract):
    """Audit contract on the Django ORM (PostgreSQL)."""


class TestMessages(contract.MessageContract):
    """Message contract on the Django ORM (PostgreSQL)."""


class TestSessions(contract.SessionContract):
    """Session contract on the Django ORM (PostgreSQL)."""


class TestSecondFactors(contract_second_factors.SecondFactorContract):
    """Second-factor contract on the Django ORM (PostgreSQL)."""



@pytest.mark.slow
class TestRaces(race_contract.RaceContract):
    """Race rules, 20 threads at once, on the Django ORM (PostgreSQL)."""

    @pytest.fixture(autouse=True)
    def _threads_close_their_connections(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[None]:
        """Each worker thread's Django connection is closed when the thread ends."""
        close_connections_when_threads_end(monkeypatch)
        yield
        forget_thread_connections()
