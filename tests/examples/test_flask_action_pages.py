"""The Flask example's pages for service requests, appointments and meter readings
(issue 21): each lists what the user may see and has its form; form errors are in the
user's language and keep what was typed; a guest requesting service leaves a contact
that only staff are shown. SQLite, and PostgreSQL when ``PORTALKIT_TEST_DATABASE_URL``
is set.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from examples.flask_app import create_app
from flask.testing import FlaskClient

from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.conftest import _schema_url

SECRET = "flask-example-action-pages-secret-0123456789-abcdef"
ANN = "ann@cityfleet.example"
BOB = "bob@greenacres.example"
STAFF = "admin@northwind.example"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The example portal with the demo data, for this module (each test writes its own)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'portal.db'}"
        else:
            url = stack.enter_context(_schema_url(request.getfixturevalue("postgres_url")))
        app = create_app(url, secret_key=SECRET, config={"PORTALKIT_CSRF": False})
        yield app
        app.extensions["portalkit"].portal.close()


def _client(app: Any, who: str, lang: str = "en") -> FlaskClient:
    client: FlaskClient = app.test_client()
    client.post("/language", data={"lang": lang})
    answer = client.post("/login", data={"identifier": who, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _text(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def _errors(answer: Any) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', _text(answer))


def _first_asset(app: Any, who: str, **filters: Any) -> Any:
    with app.extensions["portalkit"].portal.request(DEMO_TENANT) as req:
        req.sign_in(who, DEMO_PASSWORD)
        return req.accounts.assets(**filters).items[0]


def test_service_requests_list_with_status_labels_and_the_form(app: Any) -> None:
    """A request made on the page is listed with its status in words."""
    ann = _client(app, ANN)
    asset = _first_asset(app, ANN)
    made = ann.post(
        "/service-requests",
        data={"asset": str(asset.id), "job_type": "Repair", "description": "Door will not lock"},
    )
    assert made.status_code == 302
    page = _text(ann.get(made.headers["Location"]))
    assert "Door will not lock" in page
    assert "in_progress" not in page
    assert re.search(r'<span class="pill">[A-Z][a-z]', page)
    assert f'href="/assets/{asset.id}"' in page


def test_service_request_errors_are_spanish_and_keep_the_text(app: Any) -> None:
    """An empty description: the field error in Spanish, the chosen type kept."""
    ann = _client(app, ANN, "es")
    answer = ann.post("/service-requests", data={"asset": "", "job_type": "Inspection"})
    assert answer.status_code == 400
    assert "Este campo es obligatorio." in _errors(answer)
    assert '<option value="Inspection" selected>' in _text(answer)


def test_appointments_book_list_and_cancel(app: Any) -> None:
    """Book the first free time; it is listed with its date and time, then cancelled."""
    ann = _client(app, ANN)
    asset = _first_asset(app, ANN)
    page = _text(ann.get(f"/appointments?asset={asset.id}"))
    slot = re.search(r'<option value="([^"]+)"', page.split('id="starts_at"', 1)[1])
    assert slot
    booked = ann.post(
        "/appointments",
        data={"asset": str(asset.id), "starts_at": slot.group(1), "notes": "Front gate"},
    )
    assert booked.status_code == 302, _errors(booked)
    listed = _text(ann.get("/appointments"))
    assert "Front gate" in listed
    ids = re.findall(r'action="/appointments/(\d+)/cancel"', listed)
    assert ids
    assert ann.post(f"/appointments/{ids[-1]}/cancel").status_code == 302


def test_booking_errors_keep_the_notes(app: Any) -> None:
    """A time that is not a time: its field error, the notes typed kept."""
    ann = _client(app, ANN)
    asset = _first_asset(app, ANN)
    answer = ann.post(
        "/appointments", data={"asset": str(asset.id), "starts_at": "soon", "notes": "Gate B"}
    )
    assert answer.status_code == 400
    assert _errors(answer)
    assert 'value="Gate B"' in _text(answer)


def test_an_appointment_not_theirs_is_the_404_page(app: Any) -> None:
    """Cancelling another customer's (or a missing) appointment answers like a missing one."""
    bob = _client(app, BOB)  # Bob may not cancel at all: the section's 403
    assert bob.post("/appointments/1/cancel").status_code == 403
    ann = _client(app, ANN)
    assert ann.post("/appointments/987654/cancel").status_code == 404


def test_meter_readings_per_asset_and_the_form(app: Any) -> None:
    """An asset with meters shows their readings; a bad value keeps what was typed."""
    with app.extensions["portalkit"].portal.request(DEMO_TENANT) as req:
        req.sign_in(ANN, DEMO_PASSWORD)
        asset, meter = next(
            (a, m[0]) for a in req.accounts.assets(size=100).items if (m := req.meters.meters(a))
        )
    ann = _client(app, ANN, "es")
    page = _text(ann.get(f"/meters?asset={asset.id}"))
    assert meter.name in page
    bad = ann.post(
        "/meters", data={"asset": str(asset.id), "meter": str(meter.id), "value": "lots"}
    )
    assert bad.status_code == 400
    assert _errors(bad)
    assert 'value="lots"' in _text(bad)
    value = (meter.last_value or 0) + 10
    good = ann.post(
        "/meters", data={"asset": str(asset.id), "meter": str(meter.id), "value": str(value)}
    )
    assert good.status_code == 302, _errors(good)
    assert f"{value:.1f}" in _text(ann.get(good.headers["Location"]))


def test_a_guest_leaves_a_contact_that_only_staff_see(app: Any) -> None:
    """Guest mode: the guest names the asset, must leave a contact; staff see it, Ann not."""
    portal = app.extensions["portalkit"].portal
    with portal.admin(DEMO_TENANT) as admin:
        admin.update_settings(login_required=False)
    try:
        _guest_requests(app)
    finally:
        with portal.admin(DEMO_TENANT) as admin:
            admin.update_settings(login_required=True)


def _guest_requests(app: Any) -> None:
    guest: FlaskClient = app.test_client()
    menu = _text(guest.get("/"))
    assert 'href="/service-requests"' in menu
    assert guest.get("/appointments").status_code == 403
    missing = guest.post(
        "/service-requests",
        data={"asset_number": "CF-100", "description": "Brakes squeal", "contact_email": "x@"},
    )
    assert missing.status_code == 400
    assert len(_errors(missing)) == 2  # the name, and the email address
    assert "Brakes squeal" in _text(missing)
    assert 'value="x@"' in _text(missing)
    sent = guest.post(
        "/service-requests",
        data={
            "asset_number": "CF-100", "description": "Brakes squeal",
            "contact_name": "Pat Visitor", "contact_phone": "(202) 555-0143",
        },
    )
    assert sent.status_code == 302, _errors(sent)
    after = _text(guest.get("/service-requests"))
    assert "Brakes squeal" not in after  # a guest never sees a list of requests
    staff = _text(_client(app, STAFF).get("/service-requests"))
    assert "Pat Visitor" in staff
    assert "+12025550143" in staff
    ann = _text(_client(app, ANN).get("/service-requests"))
    assert "Brakes squeal" in ann
    assert "Pat Visitor" not in ann
    assert "+12025550143" not in ann
