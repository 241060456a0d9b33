"""Every page of the Django example (examples/django_project) with Django's test client.

Each test runs on SQLite and on PostgreSQL (``PORTALKIT_TEST_DATABASE_URL``):
the example's Portal holds the demo data in a SQLite file, or in a new
PostgreSQL schema of its own. One rule for what a user may not see: a
section without the permission is the 403 page, another customer's record
the same 404 page as a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from django.test import Client

from portalkit import Portal
from portalkit.adapters.mail import MemoryMailer
from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.conftest import _schema_url
from tests.examples.permission_matrix import SIGN_IN_FIRST, STATUSES

NEW_PASSWORD = "copper-kettle-meadow-91"

_shared: dict[str, Any] = {}


def pages_portal(config: DjangoPortalConfig) -> Portal:
    """The module's example Portal (the ``PORTALKIT["PORTAL"]`` factory of these tests)."""
    portal: Portal = _shared["portal"]
    return portal


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    """The example's Portal with the demo data, on SQLite or in a new PostgreSQL schema."""
    from customer_portal.portal import make_portal  # noqa: PLC0415

    from portalkit.contrib.django.conf import get_config  # noqa: PLC0415

    mailer = MemoryMailer()
    config = get_config()

    def build(url: str) -> Portal:
        return make_portal(
            DjangoPortalConfig(
                storage=url, database="default", tenant=DEMO_TENANT,
                secret_key=config.secret_key, login_url="/login/", trusted_proxies=(),
                error_template=None, portal=None,
                portal_config=attrs.evolve(config.portal_config, mailer=mailer),
            )
        )

    if request.param == "postgres":
        postgres_url = request.getfixturevalue("postgres_url")
        with _schema_url(postgres_url) as url:
            portal = build(url)
            _shared.update(portal=portal, mailer=mailer)
            yield portal
            portal.close()
    else:
        path = Path(tmp_path_factory.mktemp("example-pages")) / "demo.db"
        portal = build(f"sqlite:///{path}")
        _shared.update(portal=portal, mailer=mailer)
        yield portal
        portal.close()
    _shared.clear()


@pytest.fixture
def example(demo_portal: Portal, db: None, settings: Any) -> Portal:
    """Settings of the example project (its languages too), on the module's demo portal."""
    settings.ROOT_URLCONF = "portal_site.urls"
    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    settings.LANGUAGE_CODE = "en"
    middleware = list(settings.MIDDLEWARE)
    sessions = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    middleware.insert(sessions + 1, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
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
        "TENANT": DEMO_TENANT,
        "LOGIN_URL": "/login/",
        "ERROR_TEMPLATE": "customer_portal/error.html",
        "PORTAL": "tests.contrib.django.test_example_pages.pages_portal",
    }
    return demo_portal


@pytest.fixture
def mailer(example: Portal) -> MemoryMailer:
    """The outbox of the module's portal."""
    found: MemoryMailer = _shared["mailer"]
    return found


def signed_in(email: str, password: str = DEMO_PASSWORD) -> Client:
    """A new browser signed in through the example's form."""
    client = Client()
    response = client.post("/login/", {"email": email, "password": password, "next": "/"})
    assert response.status_code == 302, response.content.decode()[:800]
    return client


def text(response: Any) -> str:
    """The response's body as text."""
    return str(response.content.decode())


def without_tokens(html: str) -> str:
    """*html* without the CSRF token and the page's own address (the language form's next)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'name="next" value="[^"]*"', "", html)


def record_ids(portal: Portal, kind: str, number_prefix: str) -> list[int]:
    """Ids of the demo's assets / jobs / documents whose number starts with *number_prefix*."""
    with portal.storage.unit_of_work(read_only=True) as uow:
        tenant = uow.tenants.get_by_slug(DEMO_TENANT)
        assert tenant is not None
        rows = getattr(uow, kind).find(tenant.id, limit=1000)
    return [r.id for r in rows if r.number.startswith(number_prefix)]


def code_from(mailer: MemoryMailer, address: str) -> str:
    """The code in the last email to *address*."""
    message = mailer.to(address)[-1]
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6,8})\b", body.get_content())
    assert found, message
    return found.group(1)


def restore_password(portal: Portal, email: str) -> None:
    """Give a demo user the demo password again (tests share the module's data)."""
    with portal.admin(DEMO_TENANT) as admin:
        user = admin.uow.users.get_by_email(admin.tenant.id, email)
        assert user is not None
        admin.set_password(user, DEMO_PASSWORD)


# Every page, signed in with the permission ---------------------------------------------
PAGES = {
    "ann@cityfleet.example": [
        "/", "/lookup/", "/assets/", "/assets/?number=CF-100", "/jobs/",
        "/jobs/?status=in_progress", "/documents/quotes/", "/documents/invoices/",
        "/documents/reports/", "/messages/", "/profile/", "/organizations/",
    ],
    "carol@rentall.example": [
        "/", "/account/", "/account/contracts/", "/account/call-off/",
        "/documents/statements/", "/documents/invoices/", "/jobs/", "/messages/",
    ],
    "admin@northwind.example": [
        "/staff/invitations/", "/jobs/", "/assets/", "/account/contracts/",
    ],
    "dave@consultant.example": ["/organizations/", "/assets/", "/jobs/"],
}


@pytest.mark.parametrize("email", sorted(PAGES))
def test_every_page_answers_with_the_permission(example: Portal, email: str) -> None:
    """Each page a user may use answers 200 with one h1 and the user's language tag."""
    client = signed_in(email)
    for url in PAGES[email]:
        response = client.get(url)
        assert response.status_code == 200, (email, url, text(response)[:500])
        html = text(response)
        assert html.count("<h1") == 1, url
        assert '<html lang="en">' in html, url
        assert "<main" in html, url
        assert "<nav" in html, url


def test_contracts_of_several_organizations_ask_which_one(example: Portal) -> None:
    """Staff of several organizations, none chosen: contracts ask for one (as in Flask), not 400."""
    page = signed_in("admin@northwind.example").get("/account/contracts/")
    assert page.status_code == 200
    assert 'href="/organizations/"' in text(page)


def test_asset_and_job_pages(example: Portal) -> None:
    """My assets links to the asset page; jobs link to job detail with words for statuses."""
    client = signed_in("ann@cityfleet.example")
    listing = text(client.get("/assets/", {"number": "CF-100"}))
    asset_id = record_ids(example, "assets", "CF-100")[0]
    assert f'href="/assets/{asset_id}/"' in listing
    page = text(client.get(f"/assets/{asset_id}/"))
    assert "Asset CF-100" in page
    assert "Request service" in page
    jobs = text(client.get("/jobs/"))
    assert "in_progress" not in jobs.replace('value="in_progress"', "")
    assert "In progress" in jobs
    job_id = record_ids(example, "jobs", "CF")[0]
    detail = client.get(f"/jobs/{job_id}/")
    assert detail.status_code == 200
    assert "Status" in text(detail)


def test_my_assets_pages_through_every_asset(example: Portal) -> None:
    """The list is paginated: following "Next page" reaches every asset once."""
    client = signed_in("admin@northwind.example")
    seen: list[str] = []
    url = "/assets/"
    for _page in range(20):
        html = text(client.get(url))
        seen += re.findall(r'href="/assets/(\d+)/"', html)
        found = re.search(r'href="(\?[^"]*cursor=[^"]+)"', html)
        if found is None:
            break
        url = "/assets/" + found.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen))
    with example.storage.unit_of_work(read_only=True) as uow:
        tenant = uow.tenants.get_by_slug(DEMO_TENANT)
        assert tenant is not None
        total = len(uow.assets.find(tenant.id, limit=1000))
    assert len(seen) == total


# Without the permission: the same kind of answer everywhere --------------------------------
FORBIDDEN = {
    "bob@greenacres.example": [
        "/account/", "/account/contracts/", "/account/call-off/", "/documents/statements/",
        "/staff/invitations/",
    ],
    "carol@rentall.example": ["/assets/", "/lookup/", "/documents/reports/"],
    "eve@cityfleet.example": [
        "/jobs/", "/documents/invoices/", "/account/", "/service-requests/", "/appointments/",
        "/meters/",
    ],
    "ann@cityfleet.example": ["/account/", "/staff/invitations/", "/documents/statements/"],
}


@pytest.mark.parametrize("email", sorted(FORBIDDEN))
def test_a_section_without_the_permission_is_the_403_page(example: Portal, email: str) -> None:
    """Every section the user may not use answers the one 403 page (never 200 "nothing")."""
    client = signed_in(email)
    bodies = set()
    for url in FORBIDDEN[email]:
        response = client.get(url)
        assert response.status_code == 403, (email, url)
        bodies.add(without_tokens(text(response)))
    assert len(bodies) == 1


@pytest.mark.parametrize("email", sorted(STATUSES))
def test_sections_answer_as_in_the_flask_example(example: Portal, email: str) -> None:
    """The permission table both examples share (tests/examples/permission_matrix.py)."""
    client = signed_in(email)
    found = {path: client.get(path.rstrip("/") + "/").status_code for path in STATUSES[email]}
    assert found == STATUSES[email]
    visitor = Client()
    assert {
        p: visitor.get(p.rstrip("/") + "/").status_code for p in SIGN_IN_FIRST
    } == dict.fromkeys(SIGN_IN_FIRST, 302)


def test_another_customers_record_is_the_same_404_as_a_missing_one(example: Portal) -> None:
    """Bob (Green Acres) asking for City Fleet's asset, job or document gets the missing page."""
    client = signed_in("bob@greenacres.example")
    theirs = {
        "asset": record_ids(example, "assets", "CF-100")[0],
        "job": record_ids(example, "jobs", "CF")[0],
    }
    theirs["quote"] = record_ids(example, "documents", "CF-QUO")[0]
    for url in (
        f"/assets/{theirs['asset']}/", f"/jobs/{theirs['job']}/", f"/quotes/{theirs['quote']}/"
    ):
        other, missing = client.get(url), client.get(re.sub(r"\d+", "987654", url))
        assert other.status_code == missing.status_code == 404
        assert without_tokens(text(other)) == without_tokens(text(missing))
    document = record_ids(example, "documents", "CF-INV")[0]
    other, missing = client.post(f"/documents/{document}/download/"), client.post(
        "/documents/987654/download/"
    )
    assert other.status_code == missing.status_code == 404
    # Someone else's session and organization: the same 404.
    ann = signed_in("ann@cityfleet.example")
    ann_session = re.findall(r"/profile/sessions/(\d+)/end/", text(ann.get("/profile/")))[0]
    assert client.post(f"/profile/sessions/{ann_session}/end/").status_code == 404
    assert ann.get("/profile/").status_code == 200  # ann's session goes on
    city = re.findall(r'name="organization" value="(\d+)"', text(
        signed_in("dave@consultant.example").get("/organizations/")
    ))
    assert client.post("/organizations/switch/", {"organization": city[0]}).status_code == 404


def test_no_access_page_for_an_asset_without_visible_sections(example: Portal) -> None:
    """Eve may look assets up but see nothing of them: the no-access page (403)."""
    client = signed_in("eve@cityfleet.example")
    found = client.get("/lookup/", {"q": "CF-100"})
    assert found.status_code == 302
    page = client.get(found["Location"])
    assert page.status_code == 403
    assert "You do not have permission to view this asset" in text(page)


# Forms: errors by field, in the user's language, with what was typed -----------------------------
def test_spanish_is_selectable_and_form_errors_are_spanish(example: Portal) -> None:
    """set_language switches the pages; a form's field errors come back in Spanish."""
    client = signed_in("ann@cityfleet.example")
    chosen = client.post("/i18n/setlang/", {"language": "es", "next": "/jobs/"})
    assert chosen.status_code == 302
    jobs = text(client.get("/jobs/"))
    assert '<html lang="es">' in jobs
    assert "Trabajos" in jobs
    assert "En curso" in jobs
    bad = client.get("/jobs/", {"from": "yesterday", "number": "CF-9"})
    assert bad.status_code == 400
    assert "Introduzca una fecha" in text(bad)
    assert 'value="CF-9"' in text(bad)
    asset_id = record_ids(example, "assets", "CF-100")[0]
    empty = client.post(
        f"/assets/{asset_id}/meters/", {"meter": "", "value": "lots", "nonce": "x1"}
    )
    assert empty.status_code == 400
    assert 'value="lots"' in text(empty)
    assert 'class="field-error"' in text(empty)
    missing = client.get("/assets/987654/")
    assert missing.status_code == 404
    assert "Página no encontrada" in text(missing) or "no existe" in text(missing)


def test_sign_in_keeps_the_identifier_not_the_password(example: Portal) -> None:
    """A refused sign-in shows the typed email again, never the password."""
    client = Client()
    response = client.post(
        "/login/", {"email": "ann@cityfleet.example", "password": "wrong-password-here-1"}
    )
    assert response.status_code == 401
    html = text(response)
    assert 'value="ann@cityfleet.example"' in html
    assert "wrong-password-here-1" not in html


def test_call_off_errors_keep_what_was_typed(example: Portal) -> None:
    """A call-off without a pickup date is refused by field; the notes stay."""
    client = signed_in("carol@rentall.example")
    response = client.post(
        "/account/call-off/", {"pickup_on": "", "notes": "Gate code 4411", "nonce": "n-1"}
    )
    assert response.status_code == 400
    html = text(response)
    assert "Gate code 4411" in html
    assert 'class="field-error"' in html


# Account flows ---------------------------------------------------------------------------
def test_invitation_sign_up_signs_the_new_user_in(
    example: Portal, mailer: MemoryMailer
) -> None:
    """Staff invite a contact; the link's form refuses a short password, then signs them in."""
    staff = signed_in("admin@northwind.example")
    page = text(staff.get("/staff/invitations/"))
    org = re.search(r'<option value="(\d+)"[^>]*>City Fleet', page)
    assert org
    empty = staff.post("/staff/invitations/", {"contacts": "", "organization": org.group(1)})
    assert empty.status_code == 400
    sent = staff.post(
        "/staff/invitations/",
        {"contacts": "Jo Bloggs, jo@cityfleet.example", "organization": org.group(1),
         "role": "site_contact"},
    )
    assert sent.status_code == 302
    part = mailer.to("jo@cityfleet.example")[-1].get_body(("plain",))
    assert part is not None
    link = re.search(r"(/invitations/accept\?token=[\w.\-]+)", part.get_content())
    assert link
    visitor = Client()
    moved = visitor.get(link.group(1))
    assert (moved.status_code, moved["Location"]) == (303, "/invitations/accept")
    assert moved["Referrer-Policy"] == "no-referrer"
    form = text(visitor.get("/invitations/accept"))
    assert "Jo Bloggs" in form
    assert "token" not in form.replace("csrfmiddlewaretoken", "")
    short = visitor.post("/invitations/accept", {"password": "short", "password_again": "short"})
    assert short.status_code == 400
    assert 'class="field-error"' in text(short)
    assert 'value="short"' not in text(short)
    done = visitor.post(
        "/invitations/accept", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert (done.status_code, done["Location"]) == (302, "/")
    home = text(visitor.get("/"))
    assert "Welcome, Jo Bloggs" in home
    again = visitor.get(link.group(1), follow=True)
    assert "already signed up" in text(again)


def test_password_reset_by_emailed_code(example: Portal, mailer: MemoryMailer) -> None:
    """A reset code sets a new password; a wrong code is a field error keeping the email."""
    client = Client()
    bad = client.post("/reset/", {"email": "not an email"})
    assert bad.status_code == 400
    assert 'value="not an email"' in text(bad)
    assert client.post("/reset/", {"email": "eve@cityfleet.example"}).status_code == 302
    wrong = client.post(
        "/reset/finish/",
        {"email": "eve@cityfleet.example", "code": "000000", "password": NEW_PASSWORD,
         "password_again": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert 'value="eve@cityfleet.example"' in text(wrong)
    assert NEW_PASSWORD not in text(wrong)
    code = code_from(mailer, "eve@cityfleet.example")
    done = client.post(
        "/reset/finish/",
        {"email": "eve@cityfleet.example", "code": code, "password": NEW_PASSWORD,
         "password_again": NEW_PASSWORD},
    )
    assert done.status_code == 302
    try:
        signed_in("eve@cityfleet.example", NEW_PASSWORD)
    finally:
        restore_password(example, "eve@cityfleet.example")


def test_registration_by_proof_signs_in(example: Portal, mailer: MemoryMailer) -> None:
    """Phone, email and ZIP as on record, the emailed code and a password: signed in."""
    client = Client()
    wrong = client.post("/register/", {"phone": "x", "email": "fleet@cityfleet.example",
                                       "postal_code": "20001"})
    assert wrong.status_code == 400
    assert 'value="fleet@cityfleet.example"' in text(wrong)
    claimed = client.post(
        "/register/",
        {"phone": "(202) 555-0143", "email": "fleet@cityfleet.example", "postal_code": "20001"},
    )
    assert claimed.status_code == 302
    code = code_from(mailer, "fleet@cityfleet.example")
    done = client.post(
        "/register/finish/",
        {"code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/profile/").status_code == 200


def this_session(profile_page: str) -> str:
    """The id of the session marked "This browser" on a profile page."""
    (this,) = [item for item in profile_page.split("<li>") if "This browser" in item]
    found: str = re.findall(r"/profile/sessions/(\d+)/end/", this)[0]
    return found


def test_where_you_are_signed_in(example: Portal) -> None:
    """The profile lists the user's sessions; one can be ended; sign out everywhere ends all."""
    laptop = signed_in("bob@greenacres.example")
    phone = signed_in("bob@greenacres.example")
    page = text(phone.get("/profile/"))
    assert "Where you&#x27;re signed in" in page or "Where you're signed in" in page
    ids = re.findall(r"/profile/sessions/(\d+)/end/", page)
    assert len(ids) >= 2
    assert "This browser" in page
    laptop_session = this_session(text(laptop.get("/profile/")))
    assert laptop_session in ids
    assert laptop_session != this_session(page)
    assert phone.post(f"/profile/sessions/{laptop_session}/end/").status_code == 302
    assert phone.get("/profile/").status_code == 200
    assert laptop.get("/profile/").status_code == 302  # the ended session signs in again
    tablet = signed_in("bob@greenacres.example")
    assert phone.post("/logout/everywhere/").status_code == 302
    assert phone.get("/profile/").status_code == 302
    assert tablet.get("/profile/").status_code == 302


def test_profile_errors_keep_what_was_typed(example: Portal) -> None:
    """A bad email on the profile is a field error; the typed name stays."""
    client = signed_in("bob@greenacres.example")
    response = client.post(
        "/profile/",
        {"action": "profile", "first_name": "Bobby", "last_name": "Green", "email": "nope"},
    )
    assert response.status_code == 400
    html = text(response)
    assert 'value="Bobby"' in html
    assert 'value="nope"' in html


def test_organization_switcher(example: Portal) -> None:
    """Dave acts for two organizations: switching shows one's assets; all again afterwards."""
    client = signed_in("dave@consultant.example")
    page = text(client.get("/organizations/"))
    choices = re.findall(
        r'name="organization" value="(\d*)">\s*<input[^>]*>\s*<button[^>]*>([^<]+)<', page
    )
    names = {name: value for value, name in choices}
    assert {"City Fleet Services", "Green Acres Landscaping"} <= set(names)
    everything = set(re.findall(r'href="/assets/(\d+)/"', text(client.get("/assets/"))))
    switched = client.post(
        "/organizations/switch/", {"organization": names["Green Acres Landscaping"], "next": "/"}
    )
    assert switched.status_code == 302
    home = text(client.get("/"))
    assert "Green Acres Landscaping · Switch" in home
    green = set(re.findall(r'href="/assets/(\d+)/"', text(client.get("/assets/"))))
    assert green
    assert green < everything
    city_asset = record_ids(example, "assets", "CF-")
    assert not green & {str(i) for i in city_asset}
    client.post("/organizations/switch/", {"organization": "", "next": "/"})
    assert set(re.findall(r'href="/assets/(\d+)/"', text(client.get("/assets/")))) == everything
    assert client.post("/organizations/switch/", {"organization": "987654"}).status_code == 404
    single = text(signed_in("ann@cityfleet.example").get("/"))
    assert "· Switch" not in single


def test_quote_decision(example: Portal) -> None:
    """A quote is approved with a typed signature; errors keep the name; other kinds are 404."""
    quote = record_ids(example, "documents", "CF-QUO-0002")[0]
    invoice = record_ids(example, "documents", "CF-INV")[0]
    ann = signed_in("ann@cityfleet.example")
    listing = text(ann.get("/documents/quotes/"))
    assert f'href="/quotes/{quote}/"' in listing
    page = ann.get(f"/quotes/{quote}/")
    assert page.status_code == 200
    assert "Approve quote" in text(page)
    unsigned = ann.post(
        f"/quotes/{quote}/",
        {"action": "approve", "signer_name": "Ann Lee", "signature": "", "nonce": "q-1"},
    )
    assert unsigned.status_code == 400
    assert 'value="Ann Lee"' in text(unsigned)
    assert 'class="field-error"' in text(unsigned)
    approved = ann.post(
        f"/quotes/{quote}/",
        {"action": "approve", "signer_name": "Ann Lee", "signature": "Ann Lee", "nonce": "q-2"},
    )
    assert approved.status_code == 302
    after = text(ann.get(f"/quotes/{quote}/"))
    assert "Approved" in after
    assert "Approve quote" not in after
    assert ann.get(f"/quotes/{invoice}/").status_code == 404
    assert signed_in("bob@greenacres.example").get(f"/quotes/{quote}/").status_code == 404
    assert signed_in("eve@cityfleet.example").get(f"/quotes/{quote}/").status_code == 403


def test_guests_look_up_by_number_and_never_list(example: Portal) -> None:
    """Guest mode: a visitor finds an asset by number, but "my assets" lists nothing to them."""
    with example.admin(DEMO_TENANT) as admin:
        admin.update_settings(login_required=False)
    try:
        guest = Client()
        home = text(guest.get("/"))
        assert "Guest" in home
        assert 'href="/lookup/"' in home
        assert 'href="/assets/"' not in home
        assert guest.get("/assets/")["Location"] == "/lookup/"
        found = guest.get("/lookup/", {"q": "CF-100"})
        assert found.status_code == 302
        assert guest.get(found["Location"]).status_code == 200
        assert guest.get("/jobs/").status_code == 403
        assert guest.get("/profile/")["Location"].startswith("/login/")
    finally:
        with example.admin(DEMO_TENANT) as admin:
            admin.update_settings(login_required=True)


def test_a_spanish_visitor_gets_the_reset_code_in_spanish(
    example: Portal, mailer: MemoryMailer
) -> None:
    """LocaleMiddleware's language is the portal request's: the reset email is in Spanish."""
    client = Client()
    client.cookies["django_language"] = "es"
    page = text(client.get("/reset/"))
    assert "Restablezca su contraseña" in page
    assert client.post("/reset/", {"email": "bob@greenacres.example"}).status_code == 302
    assert "Al menos 15 caracteres." in text(client.get("/reset/finish/"))
    assert "su código para restablecer la contraseña" in mailer.to("bob@greenacres.example")[-1][
        "Subject"
    ]


def test_a_chosen_organization_no_longer_theirs_is_dropped(example: Portal) -> None:
    """Lose the grant of the chosen organization: the next page shows all of the user's own."""
    with example.admin(DEMO_TENANT) as admin:
        dave = admin.uow.users.get_by_email(admin.tenant.id, "dave@consultant.example")
        assert dave is not None
        rent_all = admin.scope_by_key("CUST-1003")
        grant = admin.grant(dave, "fleet_manager", scope=rent_all)
    client = signed_in("dave@consultant.example")
    switched = client.post("/organizations/switch/", {"organization": str(rent_all.id)})
    assert switched.status_code == 302
    assert "Rent-All Equipment Co · Switch" in text(client.get("/"))
    with example.admin(DEMO_TENANT) as admin:
        admin.revoke(grant)
    home = client.get("/")
    assert home.status_code == 200
    assert "All organizations · Switch" in text(home)
    assert "_portalkit_organization" not in client.session


def test_a_message_for_a_field_the_page_does_not_show_is_never_lost() -> None:
    """Field errors for fields a form lacks join the form's own message."""
    from customer_portal.forms import field_errors  # noqa: PLC0415

    from portalkit.errors import InvalidInputError  # noqa: PLC0415

    error = InvalidInputError.for_field("asset", "Choose an asset.")
    assert field_errors(error, shown=("asset",)) == {"asset": "Choose an asset."}
    assert field_errors(error, shown=("description",)) == {"_": "Choose an asset."}
    assert field_errors(error) == {"asset": "Choose an asset."}
