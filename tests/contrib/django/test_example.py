"""The example project's pages (examples/django_project) with Django's test client.

The example's Portal (demo data on a SQLite file through SQLAlchemy) is built
once for the module; each test points the settings at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from portalkit import Portal
from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.demo import DEMO_PASSWORD

_shared: dict[str, Portal] = {}


def example_portal(config: DjangoPortalConfig) -> Portal:
    """The module's example Portal (the ``PORTALKIT["PORTAL"]`` factory of these tests)."""
    return _shared["portal"]


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The example's Portal over a fresh SQLite file, demo data loaded (once)."""
    from customer_portal.portal import make_portal  # noqa: PLC0415

    from portalkit.contrib.django.conf import get_config  # noqa: PLC0415

    path = Path(tmp_path_factory.mktemp("example")) / "demo.db"
    config = get_config()
    portal = make_portal(
        DjangoPortalConfig(
            storage=f"sqlite:///{path}", database="default", tenant="demo",
            secret_key=config.secret_key, login_url="/login/", trusted_proxies=(),
            error_template=None, portal=None, portal_config=config.portal_config,
        )
    )
    _shared["portal"] = portal
    yield portal
    _shared.clear()
    portal.close()


@pytest.fixture
def example(demo_portal: Portal, db: None, settings: Any) -> Portal:
    """Settings of the example project, on the module's demo portal."""
    settings.ROOT_URLCONF = "portal_site.urls"
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    "customer_portal.context.portal_layout",
                ]
            },
        }
    ]
    settings.PORTALKIT = {
        "TENANT": "demo",
        "LOGIN_URL": "/login/",
        "ERROR_TEMPLATE": "customer_portal/error.html",
        "PORTAL": "tests.contrib.django.test_example.example_portal",
    }
    return demo_portal


def unmasked(html: bytes) -> bytes:
    """*html* without the CSRF token (masked afresh each time) and the page's own address.

    The language switcher returns to the address asked for: that is the
    visitor's own text, the same for "not yours" and "not there".
    """
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html)
    return re.sub(rb'name="next" value="[^"]*"', b"", html)


def sign_in(client: Client, email: str) -> None:
    """Sign in through the example's form."""
    response = client.post("/login/", {"email": email, "password": DEMO_PASSWORD, "next": "/"})
    assert response.status_code == 302, response.content.decode()[:500]


def test_sign_in_page_and_wrong_password(example: Portal, client: Client) -> None:
    """Anonymous visitors are sent to sign in; a wrong password is one generic 401 answer."""
    assert client.get("/")["Location"] == "/login/?next=%2F"
    page = client.get("/login/")
    assert b"Sign in" in page.content
    wrong = client.post("/login/", {"email": "ann@cityfleet.example", "password": "x" * 16})
    unknown = client.post("/login/", {"email": "zed@cityfleet.example", "password": "x" * 16})
    assert wrong.status_code == unknown.status_code == 401


def test_lookup_to_asset_page(example: Portal, client: Client) -> None:
    """A fleet manager finds an asset by number and sees its page; the menu follows the policy."""
    sign_in(client, "ann@cityfleet.example")
    home = client.get("/").content.decode()
    assert "Jobs" in home
    assert "Invoices" in home
    found = client.get("/lookup/", {"q": "CF-100"})
    assert found.status_code == 302
    page = client.get(found["Location"])
    assert page.status_code == 200
    assert "CF-100" in page.content.decode()


def test_other_customers_asset_is_not_found(example: Portal, client: Client) -> None:
    """Another organization's asset and a missing one give the same 404 page."""
    sign_in(client, "bob@greenacres.example")
    assert client.get("/lookup/", {"q": "CF-100"}).status_code == 404
    with example.storage.unit_of_work() as uow:
        tenant = uow.tenants.get_by_slug("demo")
        assert tenant is not None
        asset = uow.assets.find(tenant.id, limit=1)[0]
    direct = client.get(f"/assets/{asset.id}/")
    missing = client.get("/assets/999999/")
    assert direct.status_code == missing.status_code == 404
    assert unmasked(direct.content) == unmasked(missing.content)


def test_documents_list_and_download(example: Portal, client: Client) -> None:
    """Invoices are listed and the download button's POST answers the PDF (no token URL)."""
    sign_in(client, "ann@cityfleet.example")
    listing = client.get("/documents/invoices/")
    assert listing.status_code == 200
    with example.storage.unit_of_work() as uow:
        tenant = uow.tenants.get_by_slug("demo")
        assert tenant is not None
    ids = [
        d.id for d in example.documents.list(
            example.principal_for(example_user(example, "ann@cityfleet.example")),
            kind="invoice",
        ).items
    ]
    assert ids
    pdf = client.post(f"/documents/{ids[0]}/download/")
    assert pdf.status_code == 200
    assert "Location" not in pdf
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert client.get("/documents/nonsense/").status_code == 404


def test_logout(example: Portal, client: Client) -> None:
    """Signing out ends the portal session."""
    sign_in(client, "ann@cityfleet.example")
    client.post("/logout/")
    assert client.get("/").status_code == 302


def example_user(portal: Portal, email: str) -> Any:
    """The demo user with *email*."""
    with portal.storage.unit_of_work() as uow:
        tenant = uow.tenants.get_by_slug("demo")
        assert tenant is not None
        user = uow.users.get_by_email(tenant.id, email)
    assert user is not None
    return user


# One web layer: the Flask and Django example apps answer alike ----------------------
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cache-Control",
)


@pytest.fixture(scope="module")
def flask_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Flask example app over its own SQLite file with the same demo data."""
    from examples.flask_app import create_app  # noqa: PLC0415

    path = Path(tmp_path_factory.mktemp("flask-example")) / "demo.db"
    app = create_app(f"sqlite:///{path}", secret_key="parity-secret-key-0123456789-abcdefgh")
    yield app
    app.extensions["portalkit"].portal.close()


def _security(headers: Any) -> dict[str, str | None]:
    return {name: headers.get(name) for name in SECURITY_HEADERS}


def _expected(**kind: bool) -> dict[str, str | None]:
    from portalkit.web import security_headers  # noqa: PLC0415

    return _security(security_headers(**kind))


def _flask_signed_in(app: Any) -> Any:
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found
    response = client.post(
        "/login",
        data={"csrf_token": found.group(1), "identifier": "ann@cityfleet.example",
              "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    return client


def test_both_examples_send_the_same_security_headers(
    example: Portal, client: Client, flask_example: Any
) -> None:
    """Public, authenticated and token pages carry one header set in Flask and Django."""
    flask_client = flask_example.test_client()
    expected = _expected()
    # A public answer: the stylesheet, and the redirect to the sign-in page.
    assert _security(client.get("/portal.css").headers) == expected
    assert _security(flask_client.get("/brand.css").headers) == expected
    assert _security(client.get("/jobs/").headers) == expected
    assert _security(flask_client.get("/jobs").headers) == expected
    # An authenticated page: no-store.
    sign_in(client, "ann@cityfleet.example")
    signed_in = _expected(authenticated=True)
    flask_signed_in = _flask_signed_in(flask_example)
    django_jobs, flask_jobs = client.get("/jobs/"), flask_signed_in.get("/jobs")
    assert django_jobs.status_code == flask_jobs.status_code == 200
    assert _security(django_jobs.headers) == _security(flask_jobs.headers) == signed_in
    # A token page (a PDF download link): no referrer, no-store.
    token_page = _expected(authenticated=True, token_page=True)
    invoice = _invoice_id(example)
    django_pdf = client.post(f"/documents/{invoice}/download/")
    form = flask_signed_in.get("/documents/invoices").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found
    flask_pdf = flask_signed_in.post(
        f"/documents/{invoice}/download", data={"csrf_token": found.group(1)}
    )
    assert django_pdf.status_code == flask_pdf.status_code == 200
    assert _security(django_pdf.headers) == _security(flask_pdf.headers) == token_page


def _invoice_id(portal: Portal) -> int:
    user = example_user(portal, "ann@cityfleet.example")
    return portal.documents.list(portal.principal_for(user), kind="invoice").items[0].id


def test_both_examples_answer_405_and_413_alike(
    example: Portal, client: Client, flask_example: Any
) -> None:
    """A wrong method and an over-large body get the same status, title and message."""
    from portalkit.web import DEFAULT_MAX_CONTENT_LENGTH, status_page  # noqa: PLC0415

    flask_client = flask_example.test_client()
    django_405, flask_405 = client.get("/logout/"), flask_client.get("/logout")
    assert django_405.status_code == flask_405.status_code == 405
    assert "POST" in django_405["Allow"]
    assert "POST" in flask_405.headers["Allow"]
    page = status_page(405)
    for body in (django_405.content.decode(), flask_405.get_data(as_text=True)):
        assert page.title in body
        assert page.message in body
    big = "x" * (DEFAULT_MAX_CONTENT_LENGTH + 1)
    django_413 = client.post("/login/", {"email": big})
    flask_413 = flask_client.post("/login", data={"identifier": big})
    assert django_413.status_code == flask_413.status_code == 413
    page = status_page(413)
    for body in (django_413.content.decode(), flask_413.get_data(as_text=True)):
        assert page.title in body
        assert page.message in body
    assert _security(django_413.headers)["Cache-Control"] == "no-store"


def test_django_csrf_failure_view_answers_like_flask(example: Portal, settings: Any) -> None:
    """With the example's CSRF_FAILURE_VIEW a refused form is the same 400 page as in Flask."""
    settings.CSRF_FAILURE_VIEW = "portalkit.contrib.django.errors.csrf_failure"
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"email": "ann@cityfleet.example", "password": "x"})
    assert response.status_code == 400
    assert "Reload the page and try again." in response.content.decode()


def test_views_own_headers_win(example: Portal, client: Client) -> None:
    """A header the view set itself is kept (the download's own Content-Disposition stays)."""
    sign_in(client, "ann@cityfleet.example")
    ids = [
        d.id for d in example.documents.list(
            example.principal_for(example_user(example, "ann@cityfleet.example")),
            kind="invoice",
        ).items
    ]
    pdf = client.post(f"/documents/{ids[0]}/download/")
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith(("attachment", "inline"))
    assert _security(pdf.headers) == _expected(authenticated=True, token_page=True)
