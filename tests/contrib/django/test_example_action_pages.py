"""The Django example's pages for service requests, appointments and meter readings
(issue 21): the same pages as the Flask example's, with their forms, field errors in the
user's language that keep what was typed, and a guest's contact that only staff see.
SQLite, and PostgreSQL when ``PORTALKIT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from portalkit import Portal
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.contrib.django import test_example_pages as pages
from tests.contrib.django.test_example_pages import signed_in, text

#: The example's fixtures: its demo portal (per module) and its settings (per test).
demo_portal, example = pages.demo_portal, pages.example

ANN = "ann@cityfleet.example"
BOB = "bob@greenacres.example"
STAFF = "admin@northwind.example"


def _errors(response: Any) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', text(response))


def _assets(portal: Portal, who: str) -> list[Any]:
    with portal.request(DEMO_TENANT) as req:
        req.sign_in(who, DEMO_PASSWORD)
        return list(req.accounts.assets(size=100).items)


def test_service_requests_page_lists_and_requests(example: Portal) -> None:
    """A request made on the page is listed with its status in words."""
    ann = signed_in(ANN)
    asset = _assets(example, ANN)[0]
    made = ann.post(
        "/service-requests/",
        {"asset": str(asset.id), "job_type": "Repair", "description": "Mirror cracked"},
    )
    assert made.status_code == 302, _errors(made)
    page = text(ann.get(made["Location"]))
    assert "Mirror cracked" in page
    assert f'href="/assets/{asset.id}/"' in page
    assert re.search(r'<span class="pill">[A-Z][a-z]', page)


def test_service_request_errors_are_spanish_and_keep_the_text(example: Portal) -> None:
    """An empty description in Spanish: the field error in Spanish, the chosen type kept."""
    ann = signed_in(ANN)
    ann.cookies["django_language"] = "es"
    answer = ann.post("/service-requests/", {"asset": "", "job_type": "Inspection"})
    assert answer.status_code == 400
    assert _errors(answer)
    assert "Solicitudes de servicio" in text(answer)
    assert '<option value="Inspection" selected>' in text(answer)


def test_appointments_book_list_and_cancel(example: Portal) -> None:
    """Book the first free time; it is listed with its notes, then cancelled; 404 for others."""
    ann = signed_in(ANN)
    asset = _assets(example, ANN)[0]
    page = text(ann.get("/appointments/", {"asset": asset.id}))
    slot = re.search(r'<option value="([^"]+)"', page.split('id="starts_at"', 1)[1])
    assert slot
    bad = ann.post(
        "/appointments/", {"asset": str(asset.id), "starts_at": "soon", "notes": "Gate B"}
    )
    assert bad.status_code == 400
    assert 'value="Gate B"' in text(bad)
    booked = ann.post(
        "/appointments/",
        {"asset": str(asset.id), "starts_at": slot.group(1), "notes": "North gate"},
    )
    assert booked.status_code == 302, _errors(booked)
    listed = text(ann.get("/appointments/"))
    assert "North gate" in listed
    ids = re.findall(r'action="/appointments/(\d+)/cancel/"', listed)
    assert ids
    assert ann.post("/appointments/987654/cancel/").status_code == 404
    assert signed_in(BOB).post(f"/appointments/{ids[-1]}/cancel/").status_code == 403
    assert ann.post(f"/appointments/{ids[-1]}/cancel/").status_code == 302


def test_meter_readings_per_asset_and_the_form(example: Portal) -> None:
    """An asset with meters shows them; a bad value keeps what was typed; a good one is listed."""
    with example.request(DEMO_TENANT) as req:
        req.sign_in(ANN, DEMO_PASSWORD)
        asset, meter = next(
            (a, m[0]) for a in req.accounts.assets(size=100).items if (m := req.meters.meters(a))
        )
    ann = signed_in(ANN)
    assert meter.name in text(ann.get("/meters/", {"asset": asset.id}))
    bad = ann.post("/meters/", {"asset": str(asset.id), "meter": str(meter.id), "value": "lots"})
    assert bad.status_code == 400
    assert _errors(bad)
    assert 'value="lots"' in text(bad)
    value = (meter.last_value or 0) + 10
    good = ann.post(
        "/meters/", {"asset": str(asset.id), "meter": str(meter.id), "value": str(value)}
    )
    assert good.status_code == 302, _errors(good)
    assert f"{value:.1f}" in text(ann.get(good["Location"]))


def test_a_guest_leaves_a_contact_that_only_staff_see(example: Portal) -> None:
    """Guest mode: the guest names the asset and must leave a contact; staff see it, Ann not."""
    with example.admin(DEMO_TENANT) as admin:
        admin.update_settings(login_required=False)
    try:
        guest = Client()
        assert 'href="/service-requests/"' in text(guest.get("/"))
        assert guest.get("/appointments/").status_code == 403
        missing = guest.post(
            "/service-requests/",
            {"asset_number": "CF-100", "description": "Wipers torn", "contact_email": "x@"},
        )
        assert missing.status_code == 400
        assert len(_errors(missing)) == 2
        assert "Wipers torn" in text(missing)
        assert 'value="x@"' in text(missing)
        sent = guest.post(
            "/service-requests/",
            {
                "asset_number": "CF-100", "description": "Wipers torn",
                "contact_name": "Pat Visitor", "contact_email": "Pat@Example.com",
            },
        )
        assert sent.status_code == 302, _errors(sent)
        assert "Wipers torn" not in text(guest.get("/service-requests/"))
    finally:
        with example.admin(DEMO_TENANT) as admin:
            admin.update_settings(login_required=True)
    staff = text(signed_in(STAFF).get("/service-requests/"))
    assert "Pat Visitor" in staff
    assert "pat@example.com" in staff
    ann = text(signed_in(ANN).get("/service-requests/"))
    assert "Wipers torn" in ann
    assert "Pat Visitor" not in ann
    assert "pat@example.com" not in ann
