"""The Django ORM storage adapter on SQLite passes the storage contract."""

from __future__ import annotations

from typing import Any

import pytest

from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant
from portalkit.errors import InvalidInputError
from tests.adapters import contract, contract_second_factors


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


class TestSecondFactors(contract_second_factors.SecondFactorContract):
    """Second-factor contract on the Django ORM (SQLite)."""


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30], ids=repr)
def test_unstorable_lookups_find_nothing(django_storage: Any, value: int) -> None:
    """An id no column can hold, reaching the Django adapter past the public API,
    finds nothing (the same as any missing id), never a driver exception."""
    with django_storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        assert uow.users.get(tenant.id, value) is None


@pytest.mark.parametrize("name", ["a\x00b", "a\ud800b"], ids=repr)
def test_unstorable_text_is_the_inputs_fault(django_storage: Any, name: str) -> None:
    """Text with NUL or a lone surrogate is InvalidInputError on SQLite as on
    PostgreSQL (SQLite would keep NUL), and nothing is written."""
    with django_storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        with pytest.raises(InvalidInputError):
            uow.users.add(User(id=0, tenant_id=tenant.id, email="a@x.example", name=name))
        assert uow.users.count(tenant.id) == 0
