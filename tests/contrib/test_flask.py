"""The Flask integration (portalkit.contrib.flask) through the example portal.

Real SQLite, the demo data, Flask's test client; mail goes to a MemoryMailer.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
from examples.flask_app import create_app
from flask.testing import FlaskClient

from portalkit import Portal, errors
from portalkit.adapters.mail import MemoryMailer
from portalkit.contrib import flask as pk
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from portalkit.domain.filters import Eq

SECRET = "test-secret-key-for-the-flask-integration-0123456789"
ANN = "ann@cityfleet.example"
CAROL = "carol@rentall.example"
NEW_PASSWORD = "copper-meadow-signal-88"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def mailer() -> MemoryMailer:
    """Every email the app sends."""
    return MemoryMailer()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, mailer: MemoryMailer) -> Iterator[flask.Flask]:
    """The example portal on a fresh SQLite file with the demo data."""
    db = tmp_path_factory.mktemp("flask") / "portal.db"
    application = create_app(f"sqlite:///{db}", secret_key=SECRET, mailer=mailer)
    yield application
    pk_portal = application.extensions["portalkit"].portal
    pk_portal.close()


def token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a rendered form."""
    found = _CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """POST a form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": token(client), **(data or {})}, **kw)


def signed_in(app: flask.Flask, email: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    """A new client signed in as *email*."""
    client = app.test_client()
    response = post(client, "/login", {"identifier": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def ids(app: flask.Flask, number: str) -> list[int]:
    """The ids of the demo assets with *number* (test set-up only)."""
    portal = app.extensions["portalkit"].portal
    tenant = portal.tenant(DEMO_TENANT)
    with portal.storage.unit_of_work() as uow:
        return [a.id for a in uow.assets.find(tenant.id, Eq("number", number))]


# Set-up and secure defaults ---------------------------------------------------
def test_init_app_stores_state_and_secure_defaults(app: flask.Flask) -> None:
    """init_app keeps the portal in app.extensions and sets safe cookie and size defaults."""
    assert app.extensions["portalkit"].portal is not None
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == pk.DEFAULT_MAX_CONTENT_LENGTH
    assert app.config["PORTALKIT_SECURE_COOKIES"] is False
    # CSRF is portalkit.web's (bound to the session), not Flask-WTF's.
    assert "csrf" not in app.extensions
    assert app.jinja_env.globals["csrf_token"] is pk.csrf_token


def test_secure_cookies_setting(tmp_path: Path) -> None:
    """PORTALKIT_SECURE_COOKIES marks the session cookie Secure."""
    application = flask.Flask(__name__)
    application.config["PORTALKIT_SECURE_COOKIES"] = True
    with Portal.from_url("memory://", secret_key=SECRET) as portal:
        portal.create_tenant("default", "Default")
        pk.PortalFlask(application, portal=portal)
        assert application.config["SESSION_COOKIE_SECURE"] is True


def test_init_app_without_portal_is_refused() -> None:
    """A missing portal is a configuration error, not a failure at the first request."""
    with pytest.raises(errors.ConfigurationError):
        pk.init_app(flask.Flask(__name__), portal=None)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidInputError("x"), 400),
        (errors.InvalidTokenError(), 400),
        (errors.TokenExpiredError(), 400),
        (errors.AuthenticationError(), 401),
        (errors.PermissionDeniedError(), 403),
        (errors.NotFoundError(), 404),
        (errors.UnknownScopeError(), 404),
        (errors.ConflictError(), 409),
        (errors.AlreadyUsedError(), 409),
        (errors.ThrottledError(3), 429),
        (errors.DatabaseUnavailableError(), 503),
        (errors.MailDeliveryError("smtp down"), 503),
        (errors.ConfigurationError("x"), 500),
    ],
)
def test_error_status_mapping(error: errors.PortalkitError, status: int) -> None:
    """One mapping from the error tree to HTTP statuses."""
    assert pk.error_status(error) == status


def test_import_portalkit_loads_no_flask() -> None:
    """`import portalkit` imports neither Flask nor this integration."""
    code = (
        "import sys, portalkit; "
        "print('flask' in sys.modules, 'portalkit.contrib.flask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# Sign-in, sessions ---------------------------------------------------------------
def test_anonymous_visitor_is_sent_to_login_with_safe_next(app: flask.Flask) -> None:
    """A page behind require() redirects to the sign-in page with the path as next."""
    response = app.test_client().get("/jobs?status=scheduled")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    assert "jobs" in response.headers["Location"]


def test_login_page_is_not_cached_and_sends_no_referrer(app: flask.Flask) -> None:
    """Account pages carry Cache-Control: no-store and Referrer-Policy: no-referrer."""
    response = app.test_client().get("/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_login_rotates_the_session_and_follows_safe_next(app: flask.Flask) -> None:
    """Signing in drops the pre-login session (its CSRF token) and redirects only locally."""
    client = app.test_client()
    before = token(client)
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    response = client.post(
        "/login",
        data={"csrf_token": before, "identifier": ANN, "password": DEMO_PASSWORD,
              "next": "//evil.example/"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert pk.SESSION_KEY in sess
        assert pk.CSRF_SESSION_KEY not in sess
    # The old CSRF token is worthless in the new session.
    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400


def test_wrong_password_and_unknown_user_look_the_same(app: flask.Flask) -> None:
    """Sign-in failures give one 401 page whether or not the account exists."""
    client = app.test_client()
    wrong = post(client, "/login", {"identifier": ANN, "password": "not-the-password-123"})
    unknown = post(
        client, "/login", {"identifier": "nobody@x.example", "password": "whatever-123456"}
    )
    assert wrong.status_code == unknown.status_code == 401
    # The form keeps what was typed: only that echo may differ.
    typed = re.compile(r'(name="identifier"[^>]*value=")[^"]*"')
    strip = lambda r: typed.sub(r"\1", _CSRF.sub("", r.get_data(as_text=True)))  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert 'value="nobody@x.example"' in unknown.get_data(as_text=True)


def test_logout_everywhere_ends_other_sessions(app: flask.Flask) -> None:
    """Signing out everywhere ends the user's sessions in every browser."""
    first = signed_in(app, "bob@greenacres.example")
    second = signed_in(app, "bob@greenacres.example")
    assert second.get("/jobs").status_code == 200
    response = first.post("/logout-everywhere", data={"csrf_token": token(first, "/jobs")})
    assert response.status_code == 302
    assert second.get("/jobs").status_code == 302  # back to the sign-in page
    again = signed_in(app, "bob@greenacres.example")
    assert again.get("/jobs").status_code == 200


def test_logout_ends_this_session(app: flask.Flask) -> None:
    """Signing out clears this browser's session."""
    client = signed_in(app, "bob@greenacres.example")
    client.post("/logout", data={"csrf_token": token(client, "/jobs")})
    assert client.get("/jobs").status_code == 302


def test_a_copy_of_the_cookie_is_anonymous_after_logout(app: flask.Flask) -> None:
    """Sign-out ends the session on the server: a copy of the old cookie signs nobody in,
    and the user's other browser stays signed in."""
    name = app.config["SESSION_COOKIE_NAME"]
    client = signed_in(app, "bob@greenacres.example")
    other_browser = signed_in(app, "bob@greenacres.example")
    cookie = client.get_cookie(name)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(name, cookie.value)
    assert thief.get("/jobs").status_code == 200  # the copy works while signed in
    client.post("/logout", data={"csrf_token": token(client, "/jobs")})
    assert thief.get("/jobs").status_code == 302  # to the sign-in page
    assert other_browser.get("/jobs").status_code == 200


# Bad input --------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused_and_stores_nothing(app: flask.Flask) -> None:
    """A form without its CSRF token gets 400 and no service request is stored."""
    client = signed_in(app, ANN)
    asset_id = ids(app, "CF-101")[0]
    portal = app.extensions["portalkit"].portal
    tenant = portal.tenant(DEMO_TENANT)
    with portal.storage.unit_of_work() as uow:
        before = uow.actions.requests.count(tenant.id)
    response = client.post(f"/assets/{asset_id}/request", data={"description": "No token"})
    assert response.status_code == 400
    tampered = client.post(
        f"/assets/{asset_id}/request", data={"csrf_token": "x" * 40, "description": "Bad"}
    )
    assert tampered.status_code == 400
    with portal.storage.unit_of_work() as uow:
        assert uow.actions.requests.count(tenant.id) == before


def test_csrf_token_is_bound_to_the_session_and_read_from_a_header(app: flask.Flask) -> None:
    """Another browser's token is refused; the session's own works as X-CSRFToken too."""
    mine, theirs = signed_in(app, ANN), app.test_client()
    stolen = token(theirs)
    refused = mine.post("/logout", data={"csrf_token": stolen})
    assert refused.status_code == 400
    assert "Reload the page" in refused.get_data(as_text=True)
    assert mine.post("/logout", headers={"X-CSRFToken": token(mine, "/jobs")}).status_code == 302


def test_expired_csrf_token_is_refused(app: flask.Flask) -> None:
    """A token older than the portal's CSRF max age no longer posts."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess[pk.CSRF_SESSION_KEY] = "a-session-secret"
    portal = app.extensions["portalkit"].portal
    old = portal.csrf.issue("a-session-secret")
    portal.csrf.max_age, saved = dt.timedelta(seconds=-1), portal.csrf.max_age
    try:
        response = client.post("/login", data={"csrf_token": old, "identifier": ANN})
    finally:
        portal.csrf.max_age = saved
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_wrong_method_gets_the_405_page(app: flask.Flask) -> None:
    """Flask's own 405 is the shared page, with Allow and the security headers."""
    response = app.test_client().get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Method not allowed" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_oversized_body_is_refused(app: flask.Flask) -> None:
    """A body over MAX_CONTENT_LENGTH gets 413."""
    client = signed_in(app, ANN)
    asset_id = ids(app, "CF-101")[0]
    response = client.post(
        f"/assets/{asset_id}/request",
        data={"csrf_token": token(client, "/jobs"), "description": "x" * (2 * 1024 * 1024)},
    )
    assert response.status_code == 413


def test_not_yours_is_the_same_page_as_not_there(app: flask.Flask) -> None:
    """Another organization's asset or document answers exactly like a missing one."""
    client = signed_in(app, ANN)
    foreign = ids(app, "GA-100")[0]
    theirs = client.get(f"/assets/{foreign}")
    missing = client.get("/assets/987654")
    assert theirs.status_code == missing.status_code == 404
    # Only the address asked for (the switchers' way back) may differ.
    back = re.compile(rb'name="next" value="[^"]*"')
    assert back.sub(b"", theirs.get_data()) == back.sub(b"", missing.get_data())
    assert b"GA-100" not in theirs.get_data()
    t = token(client, "/jobs")
    doc_theirs = client.post(f"/documents/{_document_of(app, 'GA-INV-0002')}/download",
                             data={"csrf_token": t})
    doc_missing = client.post("/documents/987654/download", data={"csrf_token": t})
    assert doc_theirs.status_code == doc_missing.status_code == 404
    assert back.sub(b"", doc_theirs.get_data()) == back.sub(b"", doc_missing.get_data())


def _document_of(app: flask.Flask, number: str) -> int:
    portal = app.extensions["portalkit"].portal
    tenant = portal.tenant(DEMO_TENANT)
    with portal.storage.unit_of_work() as uow:
        return uow.documents.find(tenant.id, Eq("number", number))[0].id


def test_page_without_the_permission_is_403(app: flask.Flask) -> None:
    """A signed-in user without the page's permission anywhere gets 403."""
    client = signed_in(app, "bob@greenacres.example")
    response = client.get("/account")
    assert response.status_code == 403
    assert b"do not have access" in response.get_data()


def test_too_many_lookups_is_429_with_retry_after(app: flask.Flask) -> None:
    """The lookup throttle maps to 429 with a Retry-After header."""
    client = signed_in(app, "bob@greenacres.example")
    t = token(client, "/lookup")
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}  # its own client-address bucket
    statuses = [
        client.post(
            "/lookup", data={"csrf_token": t, "q": f"NOPE-{n}"}, environ_base=elsewhere
        ).status_code
        for n in range(40)
    ]
    assert 429 in statuses
    response = client.post(
        "/lookup", data={"csrf_token": t, "q": "NOPE-X"}, environ_base=elsewhere
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


# Every page's happy path ---------------------------------------------------------------
def test_home_shows_kpi_tiles_and_messages(app: flask.Flask) -> None:
    """The dashboard shows the KPI tiles of the user's group and broadcast messages."""
    page = signed_in(app, ANN).get("/").get_data(as_text=True)
    assert "Total Services Repairs" in page
    assert "Holiday opening hours" in page


def test_lookup_found_goes_to_the_asset_page_with_sections(app: flask.Flask) -> None:
    """A plate lookup redirects to the asset page, which shows the allowed sections."""
    client = signed_in(app, ANN)
    response = post(client, "/lookup", {"q": "cf0 200"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for title in ("Identification", "Outstanding Service Requests", "Open and Pending Repairs",
                  "Appointments", "Request Service", "Add Meter Reading", "Maintenance Schedule"):
        assert title in page
    assert "PM-A" in page


def test_ambiguous_lookup_asks_for_the_organization(app: flask.Flask) -> None:
    """SHARED-1 in two of Dave's organizations asks which one, then opens that asset."""
    client = signed_in(app, "dave@consultant.example")
    page = post(client, "/lookup", {"q": "SHARED-1"}).get_data(as_text=True)
    assert "Select Organization" in page
    org = re.search(r'<option value="(\d+)">Green Acres', page)
    assert org
    response = post(client, "/lookup", {"q": "SHARED-1", "organization": org.group(1)})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_asset_without_informational_sections_shows_no_access(app: flask.Flask) -> None:
    """A user who may look assets up but see none of their sections gets the no-access page."""
    client = signed_in(app, "eve@cityfleet.example")
    response = client.get(f"/assets/{ids(app, 'CF-100')[0]}")
    assert response.status_code == 403
    assert "do not have permission to view this asset" in response.get_data(as_text=True)


def test_unknown_asset_lookup_is_404(app: flask.Flask) -> None:
    """A number nobody has gives the lookup page again with a 404."""
    assert post(signed_in(app, ANN), "/lookup", {"q": "ZZ-999"}).status_code == 404


def test_request_service_book_and_meter_reading(app: flask.Flask) -> None:
    """The asset page's three actions store what the customer asked for."""
    client = signed_in(app, ANN)
    asset_id = ids(app, "CF-102")[0]
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    t = token(client, f"/assets/{asset_id}")
    r = client.post(f"/assets/{asset_id}/request",
                    data={"csrf_token": t, "description": "Brakes squeak", "job_type": "Repair"})
    assert r.status_code == 302
    slot = re.search(r'<option value="([^"]+)">\d{4}-\d\d-\d\d \d\d:\d\d UTC', page)
    assert slot
    r = client.post(f"/assets/{asset_id}/appointments",
                    data={"csrf_token": t, "starts_at": slot.group(1)})
    assert r.status_code == 302
    meter = re.search(r'<select id="meter" name="meter">\s*<option value="(\d+)"', page)
    assert meter
    r = client.post(f"/assets/{asset_id}/meters",
                    data={"csrf_token": t, "meter": meter.group(1), "value": "20999"})
    assert r.status_code == 302
    low = client.post(f"/assets/{asset_id}/meters",
                      data={"csrf_token": t, "meter": meter.group(1), "value": "5"})
    assert low.status_code == 400
    assert "lower than the last reading" in low.get_data(as_text=True)
    after = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Brakes squeak" in after
    assert "Booked" in after


def test_jobs_search(app: flask.Flask) -> None:
    """Jobs list and search by number and status; a bad date is a 400."""
    client = signed_in(app, ANN)
    page = client.get("/jobs").get_data(as_text=True)
    assert "CF-JOB-001" in page
    assert "GA-JOB-001" not in page
    found = client.get("/jobs?number=CF-JOB-002").get_data(as_text=True)
    assert "CF-JOB-002" in found
    assert "CF-JOB-001" not in found
    assert client.get("/jobs?from=yesterday").status_code == 400


def test_documents_and_pdf_download(app: flask.Flask) -> None:
    """Invoices list hides drafts; the download button's POST answers the PDF itself (no
    token in any URL, issue 20 finding 9), no-store."""
    client = signed_in(app, ANN)
    page = client.get("/documents/invoices").get_data(as_text=True)
    assert "CF-INV-0002" in page
    assert "CF-INV-0001" not in page
    pdf = post(client, f"/documents/{_document_of(app, 'CF-INV-0002')}/download")
    assert pdf.status_code == 200
    assert "Location" not in pdf.headers
    assert pdf.data.startswith(b"%PDF-1.4")
    assert pdf.data.rstrip().endswith(b"%%EOF")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert client.get("/documents/nonsense").status_code == 404


def test_account_contracts_and_call_off(app: flask.Flask) -> None:
    """Seed 004: balance, contracts, items out, and a call-off request."""
    client = signed_in(app, CAROL)
    summary = client.get("/account")
    assert summary.status_code == 200
    assert "Current balance" in summary.get_data(as_text=True)
    assert summary.headers["Cache-Control"] == "no-store"
    contracts = client.get("/account/contracts").get_data(as_text=True)
    assert "RA-C-1001" in contracts
    assert "Scaffold tower" in contracts
    page = client.get("/account/call-off").get_data(as_text=True)
    item = re.search(r'name="qty_(\d+)"', page)
    assert item
    pickup = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = post(client, "/account/call-off", {f"qty_{item.group(1)}": "1", "pickup_on": pickup})
    assert r.status_code == 302
    too_many = post(
        client, "/account/call-off", {f"qty_{item.group(1)}": "50", "pickup_on": pickup}
    )
    assert too_many.status_code in (400, 409)


def test_messages_mark_read(app: flask.Flask) -> None:
    """Messages list and mark as read."""
    client = signed_in(app, ANN)
    page = client.get("/messages").get_data(as_text=True)
    assert "New inspection checklist" in page
    mid = re.search(r'/messages/(\d+)/read', page)
    assert mid
    assert post(client, f"/messages/{mid.group(1)}/read").status_code == 302


def test_profile_update(app: flask.Flask) -> None:
    """The profile page updates the name."""
    client = signed_in(app, "bob@greenacres.example")
    r = post(client, "/profile", {"action": "profile", "first_name": "Robert",
                                  "last_name": "Green", "email": "bob@greenacres.example"})
    assert r.status_code == 302
    assert "Robert Green" in client.get("/profile").get_data(as_text=True)


def test_staff_invitation_and_sign_up(app: flask.Flask, mailer: MemoryMailer) -> None:
    """Staff send invitations in bulk; the emailed link signs the contact up (seed 003)."""
    staff = signed_in(app, "admin@northwind.example")
    page = staff.get("/staff/invitations").get_data(as_text=True)
    org = re.search(r'<option value="(\d+)">City Fleet', page)
    assert org
    r = post(staff, "/staff/invitations", {
        "contacts": "Jo Bloggs, jo@cityfleet.example\nMo Smith <mo@cityfleet.example>",
        "organization": org.group(1), "role": "site_contact",
    })
    assert r.status_code == 302
    (message,) = mailer.to("jo@cityfleet.example")
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(/invitations/accept\?token=[\w.\-]+)", text)
    assert link
    visitor = app.test_client()
    # The token leaves the URL at the first GET (issue 20, finding 9).
    moved = visitor.get(link.group(1))
    assert (moved.status_code, moved.headers["Location"]) == (303, "/invitations/accept")
    form = visitor.get("/invitations/accept")
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    page = form.get_data(as_text=True)
    assert "characters" in page  # the password rules are shown
    assert "token" not in page.replace("csrf_token", "")
    short = post(visitor, "/invitations/accept", {"password": "short", "password_again": "short"})
    assert short.status_code == 400
    done = post(visitor, "/invitations/accept",
                {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302  # signed in at once, on the home page
    home = visitor.get(done.headers["Location"]).get_data(as_text=True)
    assert "You are signed up and signed in." in home
    assert "Sign out" in home
    stranger = app.test_client()  # the bare page without the link's session: no invitation
    assert stranger.get("/invitations/accept").status_code == 400
    again = visitor.get(link.group(1), follow_redirects=True)
    assert "already signed up" in again.get_data(as_text=True)
    signed_in(app, "jo@cityfleet.example", NEW_PASSWORD)


def test_password_reset(app: flask.Flask, mailer: MemoryMailer) -> None:
    """A reset code by email sets a new password; the old one stops working."""
    client = app.test_client()
    assert post(client, "/reset", {"email": "eve@cityfleet.example"}).status_code == 302
    code = _code(mailer, "eve@cityfleet.example")
    r = post(client, "/reset/finish", {"email": "eve@cityfleet.example", "code": code,
                                       "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert r.status_code == 302
    signed_in(app, "eve@cityfleet.example", NEW_PASSWORD)
    old = post(app.test_client(), "/login", {"identifier": "eve@cityfleet.example",
                                             "password": DEMO_PASSWORD})
    assert old.status_code == 401


def _code(mailer: MemoryMailer, address: str) -> str:
    message = mailer.to(address)[-1]
    found = re.search(r"\b(\d{6,8})\b", message.get_body(("plain",)).get_content())
    assert found, message
    return found.group(1)


def test_registration_by_phone_email_and_zip(app: flask.Flask, mailer: MemoryMailer) -> None:
    """Seed 004: phone, email and ZIP as on record, an emailed code, a new password."""
    client = app.test_client()
    r = post(client, "/register", {"phone": "(202) 555-0143", "email": "fleet@cityfleet.example",
                                   "postal_code": "20001"})
    assert r.status_code == 302
    code = _code(mailer, "fleet@cityfleet.example")
    done = post(client, "/register/finish", {"code": code, "password": NEW_PASSWORD,
                                             "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/profile").status_code == 200


def test_guest_mode_when_no_login_is_required(app: flask.Flask) -> None:
    """With login_required off, anonymous visitors run as the tenant's guest user."""
    portal = app.extensions["portalkit"].portal
    client = app.test_client()
    assert client.get("/").status_code == 302
    with portal.admin(DEMO_TENANT) as admin:
        admin.update_settings(login_required=False)
    try:
        home = client.get("/")
        assert home.status_code == 200
        assert "Guest" in home.get_data(as_text=True)
        r = post(client, "/lookup", {"q": "CF-100"})
        assert r.status_code == 302
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "Identification" in page
        assert "Maintenance Schedule" not in page
        assert client.get(f"/assets/{ids(app, 'GA-100')[0]}").status_code == 404
        assert client.get("/jobs").status_code == 403
    finally:
        with portal.admin(DEMO_TENANT) as admin:
            admin.update_settings(login_required=True)


def test_session_cookie_flags(app: flask.Flask) -> None:
    """The session cookie is HttpOnly and SameSite=Lax."""
    client = app.test_client()
    response = post(client, "/login", {"identifier": ANN, "password": DEMO_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_foreign_ids_in_action_urls_are_404_and_store_nothing(app: flask.Flask) -> None:
    """Another customer's meter, appointment or asset in a form or URL answers 404."""
    portal = app.extensions["portalkit"].portal
    tenant = portal.tenant(DEMO_TENANT)
    with portal.storage.unit_of_work() as uow:
        theirs = uow.actions.meters.find(tenant.id, Eq("asset_id", ids(app, "GA-100")[0]))
        readings = uow.actions.readings.count(tenant.id)
    client = signed_in(app, ANN)
    own = ids(app, "CF-103")[0]
    t = token(client, "/jobs")
    r = client.post(f"/assets/{own}/meters",
                    data={"csrf_token": t, "meter": str(theirs[0].id), "value": "1"})
    assert r.status_code == 404
    r = client.post(f"/assets/{own}/appointments/987654/cancel", data={"csrf_token": t})
    assert r.status_code == 404
    foreign_asset = ids(app, "GA-101")[0]
    r = client.post(f"/assets/{foreign_asset}/request",
                    data={"csrf_token": t, "description": "Not mine"})
    assert r.status_code == 404
    with portal.storage.unit_of_work() as uow:
        assert uow.actions.readings.count(tenant.id) == readings



def test_quote_approval(app: flask.Flask) -> None:
    """A sent quote is approved with a typed signature, once; a draft is not even shown."""
    client = signed_in(app, ANN)
    sent = _document_of(app, "CF-QUO-0002")
    page = client.get(f"/quotes/{sent}").get_data(as_text=True)
    assert "Approve quote" in page
    r = post(client, f"/quotes/{sent}", {"action": "approve", "signer_name": "Ann Lee",
                                         "signature": "Ann Lee"})
    assert r.status_code == 302
    after = client.get(f"/quotes/{sent}").get_data(as_text=True)
    assert "approved" in after
    assert "Approve quote" not in after
    assert client.get(f"/quotes/{_document_of(app, 'CF-QUO-0001')}").status_code == 404


def test_host_error_pages_are_kept() -> None:
    """init_app leaves an error page the host registered before it in place."""
    application = flask.Flask(__name__)
    application.config["SECRET_KEY"] = SECRET
    application.register_error_handler(404, lambda _e: ("host 404", 404))
    with Portal.from_url("memory://", secret_key=SECRET) as portal:
        portal.create_tenant("default", "Default")
        pk.init_app(application, portal=portal)
        response = application.test_client().get("/nowhere")
    assert response.get_data(as_text=True) == "host 404"
