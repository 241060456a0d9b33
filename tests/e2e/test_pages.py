"""Every page of the Flask example on a phone and a desktop: no sideways scrolling, no serious
or critical axe-core violation, and a screenshot of each in ``test-artifacts/e2e/pages``.

Each page is visited once per viewport: the desktop in English, the phone (390x844,
where longer texts wrap first) in Spanish, so both languages are looked at too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page

from portalkit import PortalRequest, perms
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.e2e.conftest import ARTIFACTS
from tests.smtp_fixtures import SmtpServer

VIEWPORTS = {
    "desktop": ({"width": 1280, "height": 800}, "en"),
    "phone": ({"width": 390, "height": 844}, "es"),
}
SERIOUS = ("serious", "critical")

ANN = "ann@cityfleet.example"
CAROL = "carol@rentall.example"
DAVE = "dave@consultant.example"
EVE = "eve@cityfleet.example"
STAFF = "admin@northwind.example"


def _asset(req: PortalRequest) -> str:
    return f"/assets/{req.accounts.assets(number='CF-100').items[0].id}"


def _job(req: PortalRequest) -> str:
    return f"/jobs/{req.jobs.list(size=1).items[0].id}"


def _quote(req: PortalRequest) -> str:
    return f"/quotes/{req.documents.list(kind='quote', size=1).items[0].id}"


class Drive:
    """Reach a page through the browser (a form, an emailed link) instead of an address."""

    def __init__(self, steps: Callable[[Page, str, SmtpServer, Any], None]) -> None:
        self.steps = steps


def _register_finish(page: Page, base: str, smtp: SmtpServer, portal_app: Any) -> None:
    page.goto(base + "/register")
    page.locator("#phone").fill("4165550188")  # Green Acres, as on record
    page.locator("#email").fill("office@greenacres.example")
    page.locator("#postal_code").fill("M5V 3L9")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(base + "/register/finish")


def _register_no_match(page: Page, base: str, smtp: SmtpServer, portal_app: Any) -> None:
    page.goto(base + "/register")
    page.locator("#phone").fill("4165550100")
    page.locator("#email").fill("nobody@example.com")
    page.locator("#postal_code").fill("M5V 3L9")
    page.locator("form button[type=submit]").last.click()
    page.locator(".flash.error").wait_for()


def _sign_up(page: Page, base: str, smtp: SmtpServer, portal_app: Any) -> None:
    """Open the sign-up form of a fresh invitation, as its emailed link does."""
    email = f"pat-{len(smtp.outbox.messages)}@cityfleet.example"
    portal = portal_app.extensions["portalkit"].portal
    with portal.request(DEMO_TENANT) as req:
        req.sign_in(STAFF, DEMO_PASSWORD)
        city_fleet = next(
            c.organization_id
            for c in req.assets.resolve("SHARED-1").candidates  # type: ignore[union-attr]
            if c.name.startswith("City Fleet")
        )
        req.invitations.send(
            [{"name": "Pat Page", "email": email}], scope_id=city_fleet, role="site_contact"
        )
    body = next(
        str(m.get_body(("plain",)).get_content())
        for m in reversed(smtp.outbox.messages)
        if email in str(m["To"])
    )
    link = re.search(r"https?://\S+/invitations/accept\?token=\S+", body)
    assert link, body
    page.goto(link.group(0))


def _service_request_errors(page: Page, base: str, smtp: SmtpServer, portal_app: Any) -> None:
    """Send the service request form empty: its field errors, next to the fields."""
    page.goto(base + "/service-requests")
    page.locator("#description").evaluate("e => e.removeAttribute('required')")
    page.locator("form[action='/service-requests'] button[type=submit]").click()
    page.locator(".field-error").first.wait_for()


def _people(page: Page, base: str, smtp: SmtpServer, portal_app: Any) -> None:
    """Sign in as a City Fleet user who also manages its people, and open the People page."""
    email = "pia@cityfleet.example"
    portal = portal_app.extensions["portalkit"].portal
    with portal.admin(DEMO_TENANT) as admin:
        if admin.uow.users.get_by_email(admin.tenant.id, email) is None:
            admin.define_role("people_admin", [perms.PEOPLE_MANAGE, perms.INVITATION_SEND])
            pia = admin.create_user(email, "Pia People")
            city = admin.scope_by_key("CUST-1001")
            admin.grant(pia, "lookup_only", scope=city)
            admin.grant(pia, "people_admin", scope=city)
            admin.set_password(pia, DEMO_PASSWORD)
    page.goto(base + "/login")
    page.locator("#identifier").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/people")


Where = str | Callable[[PortalRequest], str] | Drive

#: name → (who is signed in (None: nobody), the path, how to find it as that user, or
#: how to reach it in the browser).
PAGES: dict[str, tuple[str | None, Where]] = {
    "login": (None, "/login"),
    "register": (None, "/register"),
    "reset": (None, "/reset"),
    "reset-finish": (None, "/reset/finish"),
    "invitation-invalid": (None, "/invitations/accept"),
    "register-finish": (None, Drive(_register_finish)),
    "register-no-match": (None, Drive(_register_no_match)),
    "sign-up": (None, Drive(_sign_up)),
    "not-found": (ANN, "/no-such-page"),
    "home": (ANN, "/"),
    "my-assets": (ANN, "/assets"),
    "lookup": (ANN, "/lookup?q=NOPE-1"),
    "asset": (ANN, _asset),
    "jobs": (ANN, "/jobs"),
    "jobs-bad-date": (ANN, "/jobs?from=2026-13-01"),
    "job": (ANN, _job),
    "quotes": (ANN, "/documents/quotes"),
    "invoices": (ANN, "/documents/invoices"),
    "quote": (ANN, _quote),
    "service-requests": (ANN, "/service-requests"),
    "service-request-errors": (ANN, Drive(_service_request_errors)),
    "appointments": (ANN, "/appointments"),
    "meters": (ANN, "/meters"),
    "service-requests-staff": (STAFF, "/service-requests"),
    "messages": (ANN, "/messages"),
    "profile": (ANN, "/profile"),
    "forbidden-section": (ANN, "/documents/statements"),
    "account": (CAROL, "/account"),
    "contracts": (CAROL, "/account/contracts"),
    "call-off": (CAROL, "/account/call-off"),
    "statements": (CAROL, "/documents/statements"),
    "switcher-home": (DAVE, "/"),
    "organizations": (DAVE, "/organizations"),
    "organizations-one": (ANN, "/organizations"),
    "choose-organization": (DAVE, "/lookup?q=SHARED-1"),
    "no-access": (EVE, _asset),
    "staff-invitations": (STAFF, "/staff/invitations"),
    "choose-account": (STAFF, "/account/contracts"),
    "people": (None, Drive(_people)),
}


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, Any]:
    """One browser sign-in per user (cookies kept as a storage state), made on first use."""
    return {}


def _state(browser: Browser, base: str, states: dict[str, Any], who: str) -> Any:
    if who not in states:
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/login")
        page.locator("#identifier").fill(who)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url(base + "/")
        states[who] = context.storage_state()
        context.close()
    return states[who]


def _path(portal_app: Any, who: str | None, where: str | Callable[[PortalRequest], str]) -> str:
    if isinstance(where, str):
        return where
    portal = portal_app.extensions["portalkit"].portal
    with portal.request(DEMO_TENANT) as req:
        req.sign_in(who or "", DEMO_PASSWORD)
        return where(req)


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The viewport (and with it the language) a page is checked at."""
    return str(request.param)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_and_passes_axe(
    browser: Browser,
    flask_server: str,
    portal_app: Any,
    smtp: SmtpServer,
    signed_in_states: dict[str, Any],
    name: str,
    viewport: str,
) -> None:
    """No horizontal overflow, no serious or critical axe violation; a screenshot each."""
    who, where = PAGES[name]
    size, language = VIEWPORTS[viewport]
    state = _state(browser, flask_server, signed_in_states, who) if who else None
    context: BrowserContext = browser.new_context(viewport=size, storage_state=state)
    host = flask_server.split("//", 1)[1].split(":", 1)[0]
    context.add_cookies([{"name": "portal_lang", "value": language, "domain": host, "path": "/"}])
    try:
        page: Page = context.new_page()
        if isinstance(where, Drive):
            where.steps(page, flask_server, smtp, portal_app)
        else:
            page.goto(flask_server + _path(portal_app, who, where))
        assert page.locator("html").get_attribute("lang") == language
        folder = ARTIFACTS / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{viewport}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert not wide, f"{name} at {viewport} is {width}px wide: it scrolls sideways"
        found = Axe().run(page).response["violations"]
        serious = [
            f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'])}"
            for v in found
            if v.get("impact") in SERIOUS
        ]
        assert not serious, f"{name} at {viewport}:\n" + "\n".join(serious)
    finally:
        context.close()
