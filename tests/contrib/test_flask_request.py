"""The Flask integration's request flow: one PortalRequest per HTTP request.

A small app over a real SQLite file and a real PostgreSQL server: a view's
writes commit when it answers and roll back when it fails (even behind an
error page), a bad cookie is the guest and is cleared, an unknown tenant is a
404, and a page that only reads is one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask
import pytest
from sqlalchemy import event

import portalkit
from portalkit import perms
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.contrib import flask as pk
from portalkit.errors import ConfigurationError, InvalidInputError

SECRET = "flask-request-flow-secret-key-0123456789"
PASSWORD = "harbour-lantern-violet-42"
FAST = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


def _portal(storage: SqlAlchemyStorage) -> tuple[portalkit.Portal, int]:
    portal = portalkit.Portal(
        storage, secret_key=SECRET, config=portalkit.PortalConfig(hasher=FAST)
    )
    portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        site = admin.add_scope(org, kind="site", name="Depot")
        admin.define_role("fleet", [perms.ASSET_VIEW, perms.SERVICE_REQUEST_VIEW,
                                    perms.SERVICE_REQUEST_EDIT, perms.JOB_VIEW])
        ann = admin.create_user("ann@city.example", "Ann Lee")
        admin.grant(ann, "fleet", scope=org)
        admin.set_password(ann, PASSWORD)
        asset = admin.upsert_asset(number="A-100", scope=site)
    return portal, asset.id


def _app(
    portal: portalkit.Portal, asset_id: int, tenant: str = "acme", *, check: bool = True
) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = SECRET
    app.config.update(
        PORTALKIT_TENANT=tenant, PORTALKIT_CSRF=False, TESTING=True,
        PORTALKIT_CHECK_ON_START=check,
    )
    pk.init_app(app, portal=portal)

    @app.post("/login")
    def login() -> str:
        pk.login("ann@city.example", PASSWORD)
        return "signed in"

    @app.get("/whoami")
    def whoami() -> str:
        req = pk.request_from()
        return req.user.email if req.user else req.principal.kind.value

    @app.post("/request")
    def request_service() -> str:
        pk.request_from().requests.request_service(asset=asset_id, description="Brakes")
        return "stored"

    @app.post("/request-then-fail")
    def request_then_fail() -> str:
        pk.request_from().requests.request_service(asset=asset_id, description="Lights")
        raise InvalidInputError.for_field("notes", "Something else was wrong.")

    @app.get("/jobs")
    @pk.require(perms.JOB_VIEW)
    def jobs() -> str:
        req = pk.request_from()
        return str(len(req.jobs.list().items) + len(req.requests.list()))

    return app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> tuple[portalkit.Portal, int]:
    """A portal with one customer and one asset, on SQLite and PostgreSQL."""
    storage = request.getfixturevalue(f"{request.param}_storage")
    return _portal(storage)


def _requests_stored(portal: portalkit.Portal) -> int:
    with portal.request("acme") as req:
        req.sign_in("ann@city.example", PASSWORD)
        return len(req.requests.list())


def test_a_views_writes_commit_when_it_answers(world: tuple[portalkit.Portal, int]) -> None:
    """A view that writes and answers: the write is stored."""
    portal, asset_id = world
    client = _app(portal, asset_id).test_client()
    assert client.post("/login").status_code == 200
    assert client.post("/request").status_code == 200
    assert _requests_stored(portal) == 1


def test_a_failed_view_stores_nothing_even_behind_an_error_page(
    world: tuple[portalkit.Portal, int],
) -> None:
    """A view that wrote and then raised: the 400 page is shown and nothing is stored."""
    portal, asset_id = world
    client = _app(portal, asset_id).test_client()
    client.post("/login")
    response = client.post("/request-then-fail")
    assert response.status_code == 400
    assert "Something else was wrong." in response.get_data(as_text=True)
    assert _requests_stored(portal) == 0
    assert client.get("/whoami").get_data(as_text=True) == "ann@city.example"  # still usable


@pytest.mark.parametrize("value", ["forged", "x" * 300])
def test_a_bad_session_value_is_the_guest_and_is_cleared(
    world: tuple[portalkit.Portal, int], value: str
) -> None:
    """A forged value in the cookie: the guest answers, and the value leaves the session."""
    portal, asset_id = world
    client = _app(portal, asset_id).test_client()
    with client.session_transaction() as session:
        session[pk.SESSION_KEY] = value
    assert client.get("/whoami").get_data(as_text=True) == "guest"
    with client.session_transaction() as session:
        assert pk.SESSION_KEY not in session


def test_a_session_of_another_tenants_app_is_the_guest(
    world: tuple[portalkit.Portal, int],
) -> None:
    """A cookie value from tenant "acme" means nobody on an app serving tenant "other"."""
    portal, asset_id = world
    portal.create_tenant("other", "Other")
    acme = _app(portal, asset_id).test_client()
    acme.post("/login")
    with acme.session_transaction() as session:
        value = session[pk.SESSION_KEY]
    other = _app(portal, asset_id, tenant="other").test_client()
    with other.session_transaction() as session:
        session[pk.SESSION_KEY] = value
    assert other.get("/whoami").get_data(as_text=True) == "guest"


def test_an_unknown_tenant_is_the_404_page(world: tuple[portalkit.Portal, int]) -> None:
    """An app configured for a tenant that does not exist does not start; with the start-up
    check put off it answers 404, never an empty portal."""
    portal, asset_id = world
    with pytest.raises(ConfigurationError, match="No tenant 'nobody'"):
        _app(portal, asset_id, tenant="nobody")
    response = _app(portal, asset_id, tenant="nobody", check=False).test_client().get("/whoami")
    assert response.status_code == 404


def test_a_page_that_only_reads_is_one_transaction(world: tuple[portalkit.Portal, int]) -> None:
    """Session check, policy, two lists: one transaction (the first of the page's statements)."""
    portal, asset_id = world
    client = _app(portal, asset_id).test_client()
    client.post("/login")
    client.get("/jobs")  # "last seen" was written at sign-in: nothing is due now
    storage = portal.storage
    assert isinstance(storage, SqlAlchemyStorage)
    begins: list[Any] = []

    def count(connection: Any) -> None:
        begins.append(connection)

    event.listen(storage.engine, "begin", count)
    try:
        assert client.get("/jobs").status_code == 200
    finally:
        event.remove(storage.engine, "begin", count)
    assert len(begins) == 1


@pytest.mark.parametrize(("lifetime_days", "refreshed"), [(31, False), (1, True)])
def test_a_read_only_page_re_signs_the_cookie_only_when_it_would_expire_first(
    sqlite_storage: SqlAlchemyStorage, lifetime_days: int, refreshed: bool
) -> None:
    """The server's session record expires a session: a cookie that outlives its absolute
    timeout (14 days) is not re-signed on every page; a shorter one still is."""
    portal, _ = _portal(sqlite_storage)
    app = flask.Flask(__name__)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(days=lifetime_days)
    app.secret_key = SECRET
    app.config.update(PORTALKIT_TENANT="acme", PORTALKIT_CSRF=False, TESTING=True)
    pk.init_app(app, portal=portal)
    app.add_url_rule("/login", "login", lambda: (pk.login("ann@city.example", PASSWORD), "in")[1],
                     methods=["POST"])
    app.add_url_rule("/whoami", "whoami", lambda: str(pk.request_from().user))
    client = app.test_client()
    assert "Set-Cookie" in client.post("/login").headers
    page = client.get("/whoami")
    assert "ann@city.example" in page.get_data(as_text=True)
    assert ("Set-Cookie" in page.headers) is refreshed
