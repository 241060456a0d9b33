"""The example portal's customer pages load the access policy ONCE per request.

Every service call of a page gets the request's policy (``pk.policy_from()``),
so the policy's rows (grants, roles, memberships) are read once per request,
and each page stays within a statement budget: a page that starts loading the
policy, the tenant or the inbox again fails here. Runs on SQLite, and on
PostgreSQL when ``PORTALKIT_TEST_DATABASE_URL`` is set. Transaction control
(BEGIN, COMMIT, ROLLBACK, savepoints) is not counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from examples.flask_app import create_app
from flask.testing import FlaskClient

from portalkit._services.policy import load_policy
from portalkit.demo import DEMO_PASSWORD
from portalkit.perms import ASSET_VIEW
from tests.services.documents_world import count_statements

SECRET = "customer-views-test-secret-key-0123456789-abcdef"
WHO = "ann@cityfleet.example"

#: Most statements each page may cost for Ann (City Fleet's fleet manager, in
#: a group), from the session check to the layout's unread count. Of these, 9
#: are per request whatever the page: the tenant and the session's user (2),
#: the policy (7: tenant, user, memberships, groups, grants, roles,
#: organizations). Before the request's policy was passed to every service,
#: the asset page cost 69 statements and loaded the policy 7 times.
BUDGETS = {
    "GET /": 12,
    "GET /lookup": 14,  # + the lookup's rate limit (4) and the asset
    "GET /assets/<id>": 24,
    "POST /assets/<id>/request": 18,
    "GET /documents/<kind>": 11,
    "POST /documents/<id>/download": 11,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The example portal with the demo data, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'portal.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    app = create_app(url, secret_key=SECRET, config={"PORTALKIT_CSRF": False})
    yield app
    app.extensions["portalkit"].portal.close()


@pytest.fixture
def client(app: Any) -> FlaskClient:
    """A browser signed in as Ann."""
    client: FlaskClient = app.test_client()
    answer = client.post("/login", data={"identifier": WHO, "password": DEMO_PASSWORD})
    assert answer.status_code == 302
    return client


def _city_fleet(app: Any) -> tuple[int, str, int]:
    """An asset of City Fleet (id, number) and one of Ann's invoices."""
    portal = app.extensions["portalkit"].portal
    with portal.storage.unit_of_work() as uow:
        tenant = uow.tenants.get_by_slug("demo")
        user = uow.users.get_by_email(tenant.id, WHO)
        who = portal.principal_for(user)
        policy = load_policy(uow, who)
        assets = uow.assets.find(tenant.id, policy.filter_for(who, ASSET_VIEW))
    invoice = portal.documents.list(who, kind="invoice", policy=policy).items[0]
    return assets[0].id, assets[0].number, invoice.id


def _pages(app: Any, client: FlaskClient) -> dict[str, Callable[[], Any]]:
    asset_id, number, invoice = _city_fleet(app)

    return {
        "GET /": lambda: client.get("/"),
        "GET /lookup": lambda: client.get(f"/lookup?q={number}"),
        "GET /assets/<id>": lambda: client.get(f"/assets/{asset_id}"),
        "POST /assets/<id>/request": lambda: client.post(
            f"/assets/{asset_id}/request",
            data={"nonce": uuid.uuid4().hex, "description": "Mirror cracked"},
        ),
        "GET /documents/<kind>": lambda: client.get("/documents/invoices"),
        "POST /documents/<id>/download": lambda: client.post(f"/documents/{invoice}/download"),
    }


def test_each_page_reads_the_policy_once_and_stays_in_budget(app: Any, client: FlaskClient) -> None:
    """Each page: 2xx/3xx, the policy's grants read once, at most its budget of statements."""
    counted: dict[str, int] = {}
    for route, page in _pages(app, client).items():
        with count_statements(app.extensions["portalkit"].portal) as statements:
            answer = page()
        assert answer.status_code < 400, (route, answer.status_code)
        grants = [s for s in statements if "FROM portalkit_grants" in s]
        assert len(grants) == 1, (route, statements)
        counted[route] = len(statements)
    over = {r: (n, BUDGETS[r]) for r, n in counted.items() if n > BUDGETS[r]}
    assert not over, f"statements over budget (counted, budget): {over}"


def test_the_header_counts_unread_messages_without_loading_them(
    app: Any, client: FlaskClient
) -> None:
    """The layout's unread badge is one COUNT that loads no message (no title, no
    body, no read mark), also for a user in groups: the inbox is not read to count it."""
    asset_id, _, _ = _city_fleet(app)
    with count_statements(app.extensions["portalkit"].portal) as statements:
        assert client.get(f"/assets/{asset_id}").status_code == 200
    messages = [s for s in statements if "portalkit_messages" in s]
    assert len(messages) == 1, messages
    assert messages[0].lstrip().lower().startswith("select count(")
    assert "portalkit_messages.title" not in messages[0]
    assert "portalkit_message_reads.read_at" not in messages[0]
