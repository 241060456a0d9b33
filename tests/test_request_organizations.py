"""One login, many customer accounts: ``req.organizations()`` and ``req.switch_organization()``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit import perms
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.errors import PermissionDeniedError
from portalkit.ports import Storage

SECRET = "organizations-test-secret-key-0123456789-abcdef"
PASSWORD = "harbour-lantern-violet-42"
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@attrs.frozen
class World:
    portal: portalkit.Portal
    session: str  # Dee's: two organizations of three
    single: str  # Sam's: one organization
    orgs: dict[str, int]  # name -> id
    assets: dict[int, int]  # asset id -> its organization's id


def _build(storage: Storage) -> World:
    portal = portalkit.Portal(
        storage, secret_key=SECRET, clock=ManualClock(),
        config=portalkit.PortalConfig(hasher=FAST_HASHER),
    )
    portal.create_tenant("acme", "Acme")
    orgs: dict[str, int] = {}
    assets: dict[int, int] = {}
    with portal.admin("acme") as admin:
        admin.define_role("viewer", [perms.ASSET_VIEW, perms.JOB_VIEW])
        dee = admin.create_user("dee@example.com", "Dee Ray")
        sam = admin.create_user("sam@example.com", "Sam Oak")
        for name in ("Zeta Haulage", "alpha Works", "Middle Co"):
            org = admin.add_organization(name)
            orgs[name] = org.id
            site = admin.add_scope(org, kind="site", name=f"{name} depot")
            for n in range(3):
                asset = admin.upsert_asset(number=f"{name[:2].upper()}-{n}", scope=site)
                assets[asset.id] = org.id
        admin.grant(dee, "viewer", scope=orgs["Zeta Haulage"])
        admin.grant(dee, "viewer", scope=orgs["alpha Works"])
        admin.grant(sam, "viewer", scope=orgs["Middle Co"])
        admin.set_password(dee, PASSWORD)
        admin.set_password(sam, PASSWORD)
    with portal.request("acme") as req:
        dee_session = req.sign_in("dee@example.com", PASSWORD).session
    with portal.request("acme") as req:
        sam_session = req.sign_in("sam@example.com", PASSWORD).session
    return World(portal, dee_session, sam_session, orgs, assets)


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Three organizations; Dee acts for two of them, Sam for one."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        path = Path(tmp_path_factory.mktemp("orgs")) / "orgs.db"
        storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
        storage.upgrade()
    built = _build(storage)
    yield built
    built.portal.close()


def test_organizations_are_the_users_own_by_name(world: World) -> None:
    """The switcher offers the user's organizations, sorted by name regardless of case."""
    with world.portal.request("acme", session=world.session) as req:
        names = [o.name for o in req.organizations()]
        assert names == ["alpha Works", "Zeta Haulage"]
        assert req.organization is None
    with world.portal.request("acme", session=world.single) as req:
        assert [o.name for o in req.organizations()] == ["Middle Co"]
    with world.portal.request("acme") as req:  # a guest of a login-only tenant: none
        assert req.organizations() == []


_CHOICES = st.one_of(
    st.none(),
    st.sampled_from(["Zeta Haulage", "alpha Works", "Middle Co"]),
    st.integers(min_value=-5, max_value=10**9),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=_CHOICES)
def test_switching_narrows_every_list_to_that_organization(world: World, choice: object) -> None:
    """After a switch every asset listed is the chosen organization's; others are refused."""
    own = {world.orgs["Zeta Haulage"], world.orgs["alpha Works"]}
    organization = world.orgs[choice] if isinstance(choice, str) else choice
    assert organization is None or isinstance(organization, int)
    with world.portal.request("acme", session=world.session) as req:
        if organization is not None and organization not in own:
            with pytest.raises(PermissionDeniedError):
                req.switch_organization(organization)
            assert req.organization is None  # a refused switch changes nothing
            return
        req.switch_organization(organization)
        assert req.organization == organization
        listed = {a.id for a in req.accounts.assets(size=100).items}
        expected = {
            a for a, org in world.assets.items()
            if org == organization or (organization is None and org in own)
        }
        assert listed == expected
        assert len(req.organizations()) == 2  # narrowing never shrinks the switcher
