"""What a request reads once: its policy in one statement, the organizations it read with it,
and never anything stale in the next request."""

from __future__ import annotations

import pytest

import portalkit
from portalkit._services.action_base import settings_of
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.ports import Storage
from tests.test_request import World, _build, _sign_in, _Transactions


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(request: pytest.FixtureRequest) -> World:
    """The request tests' portal, on each storage adapter."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    return _build(storage)


def test_the_policy_is_one_statement_and_its_organizations_are_not_read_again(
    world: World,
) -> None:
    """Session and tenant, then the policy (groups, grants, roles, organizations) in one
    statement; the asset page's customer name comes from the organization it read."""
    storage = world.portal.storage
    if not isinstance(storage, SqlAlchemyStorage):
        pytest.skip("statements are counted on the SQL engine")
    token = _sign_in(world.portal)
    seen = _Transactions(storage)
    with world.portal.request("acme", session=token) as req:
        req.policy  # noqa: B018 - loading it is what is counted
        assert len(seen.statements) == 2
        asset = req.assets.get(world.asset.id)
        fields = dict(req.assets.fields(asset))
        assert req.organizations()[0].name == "City Fleet"
    assert "City Fleet" in fields.values()
    assert not [s for s in seen.statements if "FROM portalkit_scopes" in s]
    assert len(seen.statements) == 3  # + the asset


def test_a_revoked_grant_applies_to_the_next_request(world: World) -> None:
    """Nothing a request read outlives it: the next request sees the revocation."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        assert [o.name for o in req.organizations()] == ["City Fleet"]
        assert req.policy.organization_ids(req.principal) == (req.organizations()[0].id,)
        assert isinstance(req.assets.resolve("A-100"), portalkit.Found)
    with world.portal.admin("acme") as admin:
        for grant in admin.uow.grants.find(admin.tenant.id):
            admin.revoke(grant)
    with world.portal.request("acme", session=token) as req:
        assert req.organizations() == []
        assert req.policy.organization_ids(req.principal) == ()
        assert req.assets.resolve("A-100") == portalkit.NOT_FOUND


def test_action_settings_are_read_once_until_the_request_writes(world: World) -> None:
    """Each action service of a page starts from the tenant's action settings: one read per
    request; once the request writes, they are read again (it may have changed them)."""
    storage = world.portal.storage
    if not isinstance(storage, SqlAlchemyStorage):
        pytest.skip("statements are counted on the SQL engine")
    token = _sign_in(world.portal)
    seen = _Transactions(storage)
    routing = world.portal._routing

    def reads() -> int:
        return sum("portalkit_action_settings" in s for s in seen.statements)

    with world.portal.request("acme", session=token) as req:
        for _ in range(3):
            with routing.unit_of_work(read_only=True) as uow:
                settings_of(uow, req.tenant.id)
        assert reads() == 1
        with routing.unit_of_work() as uow:
            settings_of(uow, req.tenant.id)
        assert reads() == 2
