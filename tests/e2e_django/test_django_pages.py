"""The Django example's flows in Chromium at phone size (390x844).

Sign-in → my assets → asset → job detail, invitation sign-up, password
reset and organization switching, each page checked for horizontal
overflow. Emails come from the example's console mailer, in its log.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from portalkit.demo import DEMO_PASSWORD

NEW_PASSWORD = "copper-kettle-meadow-91"
PHONE_WIDTH = 390


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the example's form."""
    page.goto("/login/")
    page.get_by_label("Email or phone").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def fits(page: Any) -> None:
    """The page has no horizontal overflow at phone width (its stylesheet loaded)."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, (page.url, width)


def from_log(log: Path, pattern: str, after: int, timeout: float = 15.0) -> str:
    """The first match of *pattern* in the server's log after byte *after* (waits for it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, log.read_bytes()[after:].decode(errors="replace"))
        if found:
            return found.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern!r} not in the server log")
        time.sleep(0.2)


def test_sign_in_my_assets_asset_and_job_detail(phone: Any) -> None:
    """A fleet manager finds an asset in her list, opens it, then a job with its status in words."""
    sign_in(phone, "ann@cityfleet.example")
    expect(phone.get_by_role("heading", name="Welcome, Ann Lee")).to_be_visible()
    fits(phone)
    phone.get_by_role("link", name="My assets").click()
    expect(phone.get_by_role("heading", name="My assets")).to_be_visible()
    fits(phone)
    phone.get_by_label("Asset number or licence plate").fill("cf 100")
    phone.get_by_role("button", name="Search").click()
    phone.get_by_role("link", name="CF-100", exact=True).click()
    expect(phone.get_by_role("heading", name="Asset CF-100")).to_be_visible()
    fits(phone)
    phone.get_by_role("link", name="Jobs", exact=True).click()
    expect(phone.get_by_role("heading", name="Jobs")).to_be_visible()
    fits(phone)
    phone.get_by_label("Status").select_option("in_progress")
    phone.get_by_role("button", name="Search").click()
    phone.locator("table a").first.click()
    expect(phone.get_by_role("heading", name=re.compile(r"^Job "))).to_be_visible()
    expect(phone.locator("h1 .pill")).to_have_text("In progress")
    fits(phone)


def test_invitation_sign_up_signs_in(phone: Any, browser: Any, server_log: Path) -> None:
    """Staff invite a contact; the emailed link's form creates the account and signs in."""
    sign_in(phone, "admin@northwind.example")
    phone.get_by_role("link", name="Invitations").click()
    expect(phone.get_by_role("heading", name="Send Customer Portal invitations")).to_be_visible()
    fits(phone)
    before = server_log.stat().st_size
    phone.get_by_label("To (one contact a line").fill("Lu Park, lu@cityfleet.example")
    phone.get_by_label("Organization").select_option(label="City Fleet Services")
    phone.get_by_label("Role").select_option("site_contact")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text("Sent 1")
    link = from_log(server_log, r"(http://\S+/invitations/accept\?token=\S+)", before)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    visitor = context.new_page()
    try:
        visitor.goto(link)
        expect(visitor.get_by_role("heading", name="Customer Portal Sign Up")).to_be_visible()
        assert "token" not in visitor.url
        fits(visitor)
        visitor.get_by_label("New password").fill("short")
        visitor.get_by_label("Confirm password").fill("short")
        visitor.get_by_role("button", name="Sign up").click()
        expect(visitor.locator(".field-error").first).to_be_visible()
        expect(visitor.get_by_label("New password")).to_have_value("")
        visitor.get_by_label("New password").fill(NEW_PASSWORD)
        visitor.get_by_label("Confirm password").fill(NEW_PASSWORD)
        visitor.get_by_role("button", name="Sign up").click()
        expect(visitor.get_by_role("heading", name="Welcome, Lu Park")).to_be_visible()
    finally:
        context.close()


def test_password_reset(phone: Any, server_log: Path) -> None:
    """Forgot password: the emailed code and a new password; the new one signs in."""
    phone.goto("/login/")
    phone.get_by_role("link", name="Forgot your password?").click()
    fits(phone)
    before = server_log.stat().st_size
    phone.get_by_label("Email").fill("carol@rentall.example")
    phone.get_by_role("button", name="Send code").click()
    expect(phone.get_by_role("heading", name="Choose a new password")).to_be_visible()
    fits(phone)
    code = from_log(server_log, r"\b(\d{6,8})\b", before)
    phone.get_by_label("Code from the email").fill("000000")
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("Confirm password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Change password").click()
    expect(phone.locator(".field-error").first).to_be_visible()
    expect(phone.get_by_label("Code from the email")).to_have_value("000000")
    phone.get_by_label("Code from the email").fill(code)
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("Confirm password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Change password").click()
    expect(phone.get_by_role("status")).to_contain_text("Your password was changed")
    sign_in(phone, "carol@rentall.example", NEW_PASSWORD)
    expect(phone.get_by_role("heading", name="Welcome, Carol")).to_be_visible()
    phone.get_by_role("link", name="Account").click()
    expect(phone.get_by_role("heading", name="Customer account summary")).to_be_visible()
    fits(phone)


def my_assets(page: Any) -> None:
    """Open "My assets" from the menu and wait for the page."""
    page.get_by_role("link", name="My assets").click()
    expect(page.get_by_role("heading", name="My assets")).to_be_visible()
    page.wait_for_load_state("load")


def test_organization_switching(phone: Any) -> None:
    """A user with two organizations narrows the portal to one, then sees all again."""
    sign_in(phone, "dave@consultant.example")
    phone.get_by_role("link", name=re.compile("All organizations")).click()
    expect(phone.get_by_role("heading", name="Switch organization")).to_be_visible()
    fits(phone)
    phone.get_by_role("button", name="Green Acres Landscaping").click()
    expect(phone.get_by_role("link", name=re.compile("Green Acres Landscaping"))).to_be_visible()
    my_assets(phone)
    numbers = phone.locator("table a").all_inner_texts()
    assert numbers
    assert not [n for n in numbers if n.startswith("CF-")]
    fits(phone)
    phone.get_by_role("link", name=re.compile("Green Acres Landscaping")).click()
    phone.get_by_role("button", name="All organizations").click()
    my_assets(phone)
    assert [n for n in phone.locator("table a").all_inner_texts() if n.startswith("CF-")]


def test_spanish(phone: Any) -> None:
    """The language chosen in the header is kept; pages and statuses are in Spanish."""
    sign_in(phone, "ann@cityfleet.example")
    phone.get_by_label("Language").select_option("es")
    phone.get_by_role("button", name="Change language").click()
    expect(phone.get_by_role("heading", name="Bienvenido, Ann Lee")).to_be_visible()
    assert phone.locator("html").get_attribute("lang") == "es"
    phone.get_by_role("link", name="Trabajos").click()
    expect(phone.get_by_role("heading", name="Trabajos")).to_be_visible()
    fits(phone)
