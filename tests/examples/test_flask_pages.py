"""The Flask example's pages (issue 21 item 5): one permission rule across pages, my assets,
job detail, "where you're signed in", the organization and language switchers, and the
example's Spanish catalogue. Runs on SQLite, and on PostgreSQL when
``PORTALKIT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from examples.flask_app import create_app, i18n
from flask.testing import FlaskClient

from portalkit import PortalRequest
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.conftest import _schema_url
from tests.examples.permission_matrix import SIGN_IN_FIRST, STATUSES

SECRET = "flask-example-pages-test-secret-0123456789-abcdef"
ANN = "ann@cityfleet.example"
BOB = "bob@greenacres.example"
CAROL = "carol@rentall.example"
DAVE = "dave@consultant.example"
EVE = "eve@cityfleet.example"
EXAMPLE = Path(i18n.__file__).parent


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The example portal with the demo data (shared by the module: the tests only read)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'portal.db'}"
        else:  # a schema of its own for the module
            url = stack.enter_context(_schema_url(request.getfixturevalue("postgres_url")))
        app = create_app(url, secret_key=SECRET, config={"PORTALKIT_CSRF": False})
        yield app
        app.extensions["portalkit"].portal.close()


def _client(app: Any, who: str, *, user_agent: str = "pytest") -> FlaskClient:
    client: FlaskClient = app.test_client()
    answer = client.post(
        "/login", data={"identifier": who, "password": DEMO_PASSWORD},
        headers={"User-Agent": user_agent},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _as(app: Any, who: str) -> Any:
    """A PortalRequest signed in as *who*, to find records the way the pages do."""
    portal = app.extensions["portalkit"].portal
    req: PortalRequest = portal.request(DEMO_TENANT)
    req.__enter__()
    req.sign_in(who, DEMO_PASSWORD)
    return req


def _first(app: Any, who: str, find: Any) -> int:
    req = _as(app, who)
    try:
        return int(find(req))
    finally:
        req.__exit__(None, None, None)


def _text(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def _heading(answer: Any) -> str:
    found = re.search(r"<h1>(.*?)</h1>", _text(answer), re.S)
    return found.group(1).strip() if found else ""


# One rule: a section the user may not use is the 403 page, a record they may not see the 404.
SECTIONS = [
    "/service-requests", "/appointments", "/meters",
    "/jobs", "/documents/quotes", "/documents/invoices", "/documents/reports",
    "/documents/statements", "/account", "/account/contracts", "/account/call-off",
    "/staff/invitations",
]


@pytest.mark.parametrize("path", SECTIONS)
def test_a_section_the_user_may_not_use_is_the_same_403_page(app: Any, path: str) -> None:
    """Eve may only look assets up: every other section answers the one 403 page."""
    answer = _client(app, EVE).get(path)
    assert answer.status_code == 403, path
    assert _heading(answer) == "You do not have access to this page"


def test_invoices_answer_like_jobs_for_the_same_user(app: Any) -> None:
    """The issue's case: invoices were 200 "Nothing to show" where jobs were 403."""
    eve = _client(app, EVE)
    jobs, invoices = eve.get("/jobs"), eve.get("/documents/invoices")
    assert jobs.status_code == invoices.status_code == 403
    assert _heading(jobs) == _heading(invoices)


def test_a_record_of_another_customer_is_the_404_page(app: Any) -> None:
    """Ann's pages for Green Acres' job, quote and asset answer like missing ones."""
    job = _first(app, BOB, lambda req: req.jobs.list(size=1).items[0].id)
    quote = _first(app, BOB, lambda req: req.documents.list(kind="quote", size=1).items[0].id)
    asset = _first(app, BOB, lambda req: req.accounts.assets(size=1).items[0].id)
    ann = _client(app, ANN)
    for path in (f"/jobs/{job}", f"/quotes/{quote}", f"/assets/{asset}", "/jobs/987654"):
        answer = ann.get(path)
        assert answer.status_code == 404, path
        assert _heading(answer) == "Page not found"
    # A download and a switch to an organization not hers: the same 404 as missing ones.
    for path in (f"/documents/{quote}/download", "/documents/987654/download"):
        answer = ann.post(path)
        assert answer.status_code == 404, path
        assert _heading(answer) == "Page not found"


def test_menu_shows_only_usable_sections(app: Any) -> None:
    """The menu and the document tabs list what answers 200, nothing that answers 403."""
    ann = _client(app, ANN)
    page = _text(ann.get("/documents/quotes"))
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', page, re.S)
    assert tabs
    for href in re.findall(r'href="([^"]+)"', tabs.group(1)):
        assert ann.get(href).status_code == 200, href
    assert "/documents/statements" not in tabs.group(1)


# The pages the issue found missing --------------------------------------------
def test_my_assets_is_searchable_and_paginated(app: Any) -> None:
    ann = _client(app, ANN)
    first = _text(ann.get("/assets"))
    numbers = re.findall(r'<a href="/assets/\d+">([^<]+)</a>', first)
    assert "CF-100" in numbers
    found = _text(ann.get("/assets?q=cf-100"))
    assert re.findall(r'<a href="/assets/\d+">([^<]+)</a>', found) == ["CF-100"]
    assert "GA-100" not in first  # another customer's asset
    req = _as(app, ANN)
    try:
        total = req.accounts.assets(size=200).items
    finally:
        req.__exit__(None, None, None)
    if len(total) > 20:  # a next page link that keeps the search
        assert "cursor=" in first


def test_job_detail_shows_human_status_labels(app: Any) -> None:
    job = _first(app, ANN, lambda req: req.jobs.list(status="in_progress", size=1).items[0].id)
    ann = _client(app, ANN)
    page = _text(ann.get(f"/jobs/{job}"))
    assert "In progress" in page
    assert "in_progress" not in page.replace('value="in_progress"', "")
    listing = _text(ann.get("/jobs"))
    assert f'href="/jobs/{job}"' in listing
    assert ">in_progress<" not in listing


def test_where_you_are_signed_in_lists_and_ends_sessions(app: Any) -> None:
    phone = _client(app, ANN, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)")
    laptop = _client(app, ANN, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
    page = _text(laptop.get("/profile"))
    assert "Where you&#39;re signed in" in page or "Where you're signed in" in page
    ends = re.findall(r'action="/profile/sessions/(\d+)/end"', page)
    assert len(ends) >= 2
    current = re.search(r'This browser</span>.*?/profile/sessions/(\d+)/end', page, re.S)
    assert current
    other = next(s for s in ends if s != current.group(1))
    # Ending another session signs that browser out, not this one.
    for session_id in ends:
        if session_id != current.group(1):
            assert laptop.post(f"/profile/sessions/{session_id}/end").status_code == 302
    assert laptop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302  # to the sign-in page
    assert f"/profile/sessions/{other}/end" not in _text(laptop.get("/profile"))
    # Ending this browser's own session signs it out.
    assert laptop.post(f"/profile/sessions/{current.group(1)}/end").status_code == 302
    assert laptop.get("/profile").status_code == 302


def test_organization_switcher_for_a_user_of_several(app: Any) -> None:
    ann, dave = _client(app, ANN), _client(app, DAVE)
    assert 'name="organization"' not in _text(ann.get("/"))
    home = _text(dave.get("/"))
    options = re.findall(
        r'<select id="switch-organization".*?</select>', home, re.S
    )
    assert options
    ids = re.findall(r'<option value="(\d+)"', options[0])
    assert len(ids) == 2
    # Without a choice SHARED-1 is ambiguous; with one, the lookup goes to that asset.
    assert "Select organization" in _text(dave.get("/lookup?q=SHARED-1"))
    assert dave.post("/organization", data={"organization": ids[0], "next": "/"}).status_code == 302
    chosen = dave.get("/lookup?q=SHARED-1")
    assert chosen.status_code == 302
    assert "/assets/" in chosen.headers["Location"]
    # An organization that is not the user's is the 404 of a missing one; the choice stays.
    assert dave.post("/organization", data={"organization": "987654"}).status_code == 404
    assert dave.post("/organization", data={"organization": "x"}).status_code == 404
    assert dave.get("/lookup?q=SHARED-1").status_code == 302
    # The switcher as a page (as the Django example's /organizations/): the choice marked.
    page = _text(dave.get("/organizations"))
    assert page.count('<input type="hidden" name="organization"') == 3
    assert page.count('aria-current="true"') == 1
    assert "one organization only" in _text(ann.get("/organizations"))
    # "All my organizations" again: SHARED-1 is ambiguous once more.
    assert dave.post("/organization", data={"organization": "", "next": "/"}).status_code == 302
    assert "Select organization" in _text(dave.get("/lookup?q=SHARED-1"))


def test_language_switcher_keeps_the_choice_across_sign_in(app: Any) -> None:
    client: FlaskClient = app.test_client()
    assert 'lang="en"' in _text(client.get("/login"))
    chosen = client.post("/language", data={"lang": "es", "next": "/login"})
    assert chosen.status_code == 302
    assert chosen.headers["Location"].endswith("/login")
    page = _text(client.get("/login"))
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page
    client.post("/login", data={"identifier": ANN, "password": DEMO_PASSWORD})
    home = _text(client.get("/"))
    assert "Hola, Ann" in home
    assert "Mis activos" in home
    forbidden = client.get("/documents/statements")
    assert _heading(forbidden) == "No tienes acceso a esta página"
    client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert "Hola, Ann" in _text(client.get("/"))  # an unknown language changes nothing
    browser: FlaskClient = app.test_client()
    negotiated = _text(browser.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"}))
    assert '<html lang="es">' in negotiated


def test_field_errors_are_in_the_users_language(app: Any) -> None:
    client: FlaskClient = app.test_client()
    client.post("/language", data={"lang": "es"})
    answer = client.post(
        "/register", data={"phone": "abc", "email": "a@example.com", "postal_code": "!!"}
    )
    assert answer.status_code == 400
    page = _text(answer)
    assert "Introduce un número de teléfono válido." in page
    assert 'value="abc"' in page
    assert 'value="!!"' in page
    nomatch = client.post(
        "/register",
        data={"phone": "4165550100", "email": "nobody@example.com", "postal_code": "M5V 3L9"},
    )
    assert nomatch.status_code == 400  # the form again, not the sign-in error page
    page = _text(nomatch)
    assert "No hemos podido asociar estos datos a ninguna cuenta." in page
    assert 'value="nobody@example.com"' in page


# The example's catalogue -----------------------------------------------------------
def test_every_text_of_the_example_has_spanish() -> None:
    """Every ``_()``/``gettext()`` text of the templates and views is in the Spanish
    catalogue, and the compiled ``.mo`` is the ``.po``."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    texts = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(EXAMPLE), method_map, options, keywords={"_": None, "gettext": None}
        )
        if isinstance(message, str)
    }
    folder = EXAMPLE / "translations" / "es" / "LC_MESSAGES"
    with (folder / "portalkit.po").open("rb") as stream:
        po = read_po(stream)
    with (folder / "portalkit.mo").open("rb") as stream:
        mo = read_mo(stream)
    spanish = {m.id: m.string for m in po if m.id}
    missing = sorted(t for t in texts if not spanish.get(t))
    assert not missing, missing
    labels = set(i18n.STATUS_LABELS.values())
    assert not sorted(t for t in labels if not spanish.get(t))
    assert {m.id: m.string for m in mo if m.id} == spanish


@pytest.mark.parametrize("who", sorted(STATUSES))
def test_sections_answer_as_in_the_django_example(app: Any, who: str) -> None:
    """The permission table both examples share (tests/examples/permission_matrix.py)."""
    client = _client(app, who)
    found = {path: client.get(path).status_code for path in STATUSES[who]}
    assert found == STATUSES[who]
    visitor = app.test_client()
    assert {p: visitor.get(p).status_code for p in SIGN_IN_FIRST} == dict.fromkeys(
        SIGN_IN_FIRST, 302
    )
