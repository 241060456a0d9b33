"""The Flask integration's organization switcher: ``pk.switch_organization``.

A user who acts for two organizations chooses one; the choice is kept in the
Flask session and every later request runs narrowed to it. A choice that is
not (or no longer) the user's is refused or dropped, and signing in or out
forgets it. On a real SQLite file and a real PostgreSQL server.
"""

from __future__ import annotations

import attrs
import flask
import pytest

import portalkit
from portalkit import perms
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.contrib import flask as pk
from portalkit.errors import PermissionDeniedError

SECRET = "flask-organizations-secret-key-0123456789"
PASSWORD = "harbour-lantern-violet-42"
FAST = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@attrs.frozen
class World:
    """A portal where dave acts for two organizations, and a third that is not his."""

    portal: portalkit.Portal
    city: int
    harbour: int
    other: int
    harbour_grant: int


def _world(storage: SqlAlchemyStorage) -> World:
    portal = portalkit.Portal(
        storage, secret_key=SECRET, config=portalkit.PortalConfig(hasher=FAST)
    )
    portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        admin.define_role("fleet", [perms.ASSET_VIEW])
        orgs = {}
        for name, number in (("City Fleet", "C-1"), ("Harbour Co", "H-1"), ("Other Ltd", "O-1")):
            org = admin.add_organization(name)
            admin.upsert_asset(number=number, scope=org)
            orgs[name] = org.id
        dave = admin.create_user("dave@consultant.example", "Dave Ray")
        admin.set_password(dave, PASSWORD)
        admin.grant(dave, "fleet", scope=orgs["City Fleet"])
        grant = admin.grant(dave, "fleet", scope=orgs["Harbour Co"])
    return World(portal, orgs["City Fleet"], orgs["Harbour Co"], orgs["Other Ltd"], grant.id)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> World:
    """The world on SQLite and PostgreSQL."""
    return _world(request.getfixturevalue(f"{request.param}_storage"))


def _client(world: World) -> flask.testing.FlaskClient:
    app = flask.Flask(__name__)
    app.secret_key = SECRET
    app.config.update(PORTALKIT_TENANT="acme", PORTALKIT_CSRF=False, TESTING=True)
    pk.init_app(app, portal=world.portal)

    @app.post("/login")
    def login() -> str:
        pk.login("dave@consultant.example", PASSWORD)
        return "signed in"

    @app.post("/logout")
    def logout() -> str:
        pk.logout()
        return "signed out"

    @app.post("/switch")
    def switch() -> str:
        raw = flask.request.form.get("organization", "")
        pk.switch_organization(int(raw) if raw else None)
        return "switched"

    @app.get("/assets")
    def assets() -> str:
        req = pk.request_from()
        numbers = sorted(a.number for a in req.accounts.assets(size=100).items)
        names = ",".join(o.name for o in req.organizations())
        return f"{req.organization}|{' '.join(numbers)}|{names}"

    return app.test_client()


def test_the_choice_narrows_every_later_request(world: World) -> None:
    """After a switch each request lists the chosen organization's only; None shows all."""
    client = _client(world)
    client.post("/login")
    assert client.get("/assets").text == "None|C-1 H-1|City Fleet,Harbour Co"
    assert client.post("/switch", data={"organization": world.harbour}).status_code == 200
    for _ in range(2):
        assert client.get("/assets").text == f"{world.harbour}|H-1|City Fleet,Harbour Co"
    client.post("/switch", data={"organization": ""})
    assert client.get("/assets").text == "None|C-1 H-1|City Fleet,Harbour Co"
    with client.session_transaction() as session:
        assert pk.ORGANIZATION_KEY not in session


def test_an_organization_not_the_users_is_refused_and_not_kept(world: World) -> None:
    """Switching to someone else's organization is the 403 page; the session keeps nothing."""
    client = _client(world)
    client.post("/login")
    assert client.post("/switch", data={"organization": world.other}).status_code == 403
    with client.session_transaction() as session:
        assert pk.ORGANIZATION_KEY not in session
    assert client.get("/assets").text.startswith("None|C-1 H-1|")


def test_a_choice_no_longer_the_users_is_dropped(world: World) -> None:
    """The grant for the chosen organization is revoked: the next request shows all again."""
    client = _client(world)
    client.post("/login")
    client.post("/switch", data={"organization": world.harbour})
    with world.portal.admin("acme") as admin:
        admin.revoke(world.harbour_grant)
    assert client.get("/assets").text == "None|C-1|City Fleet"
    with client.session_transaction() as session:
        assert pk.ORGANIZATION_KEY not in session


def test_a_planted_choice_is_dropped(world: World) -> None:
    """An organization written into the session that is not the user's narrows nothing."""
    client = _client(world)
    client.post("/login")
    with client.session_transaction() as session:
        session[pk.ORGANIZATION_KEY] = world.other
    assert client.get("/assets").text.startswith("None|C-1 H-1|")
    with client.session_transaction() as session:
        assert pk.ORGANIZATION_KEY not in session


def test_signing_in_or_out_forgets_the_choice(world: World) -> None:
    """A new sign-in starts with all organizations; so does a sign-out."""
    client = _client(world)
    client.post("/login")
    client.post("/switch", data={"organization": world.city})
    client.post("/login")
    assert client.get("/assets").text.startswith("None|C-1 H-1|")
    client.post("/switch", data={"organization": world.city})
    client.post("/logout")
    with client.session_transaction() as session:
        assert pk.ORGANIZATION_KEY not in session


def test_switching_without_signing_in_is_refused(world: World) -> None:
    """A guest has no organizations to choose from."""
    client = _client(world)
    assert client.post("/switch", data={"organization": world.city}).status_code == 403


def test_switch_organization_raises_outside_the_users(world: World) -> None:
    """Called directly, a refused switch raises PermissionDeniedError."""
    client = _client(world)
    client.post("/login")
    app = client.application
    with app.test_request_context("/"):
        flask.session[pk.SESSION_KEY] = _session_value(client)
        with pytest.raises(PermissionDeniedError):
            pk.switch_organization(world.other)
        assert pk.ORGANIZATION_KEY not in flask.session
        pk.teardown(None)


def _session_value(client: flask.testing.FlaskClient) -> str:
    with client.session_transaction() as session:
        value = session[pk.SESSION_KEY]
    assert isinstance(value, str)
    return value
