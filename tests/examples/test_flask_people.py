"""The Flask example's "People" page (issue 23, part 2): an organization's administrator
manages its users through ``req.people``. Runs on SQLite, and on PostgreSQL when
``PORTALKIT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from examples.flask_app import create_app
from flask.testing import FlaskClient

from portalkit import perms
from portalkit.adapters.mail import MemoryMailer
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.conftest import _schema_url

SECRET = "flask-example-people-test-secret-0123456789-abc"
ANN = "ann@cityfleet.example"
EVE = "eve@cityfleet.example"
CAROL = "carol@rentall.example"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The example with the demo data; Ann also administers City Fleet's people."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('people') / 'portal.db'}"
        else:
            url = stack.enter_context(_schema_url(request.getfixturevalue("postgres_url")))
        mailer = MemoryMailer()
        app = create_app(url, secret_key=SECRET, mailer=mailer,
                         config={"PORTALKIT_CSRF": False})
        portal = app.extensions["portalkit"].portal
        with portal.admin(DEMO_TENANT) as admin:
            admin.define_role("people_admin", [perms.PEOPLE_MANAGE, perms.INVITATION_SEND])
            ann = next(u for u in admin.uow.users.find(admin.tenant.id) if u.email == ANN)
            admin.grant(ann, "people_admin", scope=admin.scope_by_key("CUST-1001"))
        app.config["TEST_MAILER"] = mailer
        yield app
        portal.close()


def _client(app: Any, who: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    answer = client.post("/login", data={"identifier": who, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _user_id(page: str, name: str) -> int:
    row = next(r for r in page.split("<tr>") if name in r)
    match = re.search(r'name="user" value="(\d+)"', row)
    assert match
    return int(match.group(1))


def test_the_people_page_lists_and_disables_a_colleague(app: Any) -> None:
    ann = _client(app, ANN)
    home = ann.get("/").get_data(as_text=True)
    assert 'href="/people"' in home
    page = ann.get("/people").get_data(as_text=True)
    assert "Eve Lookup" in page
    assert "Guest Visitor" not in page
    assert "Nora Admin" not in page  # staff
    assert "Carol Hire" not in page  # another organization
    eve_id = _user_id(page, "Eve Lookup")
    eve = _client(app, EVE)
    answer = ann.post("/people/disable", data={"user": str(eve_id)})
    assert answer.status_code == 302
    assert "told by email" in ann.get("/people").get_data(as_text=True)
    assert eve.get("/people").status_code in (302, 403)  # signed out: her session ended
    mail = app.config["TEST_MAILER"].outbox[-1]
    assert mail["To"].addresses[0].addr_spec == EVE
    ann.post("/people/enable", data={"user": str(eve_id)})
    assert _client(app, EVE).get("/").status_code == 200


def test_without_people_manage_the_page_is_refused(app: Any) -> None:
    eve = _client(app, EVE)
    assert eve.get("/people").status_code == 403
    assert 'href="/people"' not in eve.get("/").get_data(as_text=True)


def test_another_organizations_user_is_the_404_page(app: Any) -> None:
    ann = _client(app, ANN)
    portal = app.extensions["portalkit"].portal
    with portal.admin(DEMO_TENANT) as admin:
        carol = next(u for u in admin.uow.users.find(admin.tenant.id) if u.email == CAROL)
    assert ann.post("/people/disable", data={"user": str(carol.id)}).status_code == 404
    assert ann.post("/people/disable", data={"user": "99999"}).status_code == 404
    assert ann.post("/people/disable", data={"user": "x"}).status_code == 404


def test_a_role_above_the_administrators_own_is_refused_on_the_page(app: Any) -> None:
    ann = _client(app, ANN)
    page = ann.get("/people").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if "Eve Lookup" in r)
    grant = re.search(r'name="grant" value="(\d+)"', row)
    assert grant
    answer = ann.post("/people/role", data={"grant": grant.group(1), "role": "rental_customer"},
                      follow_redirects=True)
    assert answer.status_code == 200
    assert 'class="flash error"' in answer.get_data(as_text=True)
