"""Every seed flow of the example portal, end to end in a real Chromium."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from playwright.sync_api import Browser, Page, expect

from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.smtp_fixtures import SmtpServer

NEW_PASSWORD = "amber-quarry-whistle-63"


def sign_in(page: Page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto(base + "/login")
    page.get_by_label("Email or phone").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def lookup(page: Page, text: str) -> None:
    """Type an asset number or plate into the landing page's lookup."""
    page.get_by_label("Asset number or licence plate").fill(text)
    page.get_by_role("button", name="Continue").click()


def mail_to(smtp: SmtpServer, address: str) -> str:
    """The plain-text body of the newest email caught for *address*.

    The portal's background sender delivers queued mail just after the
    request: wait for it (10 s at most).
    """
    deadline = time.monotonic() + 10
    while True:
        for message in reversed(smtp.outbox.messages):
            if address in str(message["To"]):
                return str(message.get_body(("plain",)).get_content())
        if time.monotonic() > deadline:
            raise AssertionError(f"no email to {address}")
        time.sleep(0.05)


def code_in(text: str) -> str:
    """The one-time code in an email body."""
    found = re.search(r"\b(\d{6,8})\b", text)
    assert found, text
    return found.group(1)


def test_sign_in_dashboard(browser: Browser, page: Page, flask_server: str, shot: Any) -> None:
    """Seed 001: after sign-in the dashboard shows KPI tiles and broadcast messages."""
    print(f"\nChromium {browser.version}")
    page.goto(flask_server + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shot("01-login")
    sign_in(page, flask_server, "ann@cityfleet.example")
    expect(page.get_by_role("heading", name="Welcome, Ann")).to_be_visible()
    expect(page.get_by_text("Total Services Repairs")).to_be_visible()
    expect(page.get_by_text("Holiday opening hours")).to_be_visible()
    shot("02-dashboard")


def test_lookup_ambiguous_then_asset_page(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 000: an asset number in two organizations asks which one, then shows the asset."""
    sign_in(page, flask_server, "dave@consultant.example")
    lookup(page, "SHARED-1")
    expect(page.get_by_role("heading", name="Select organization")).to_be_visible()
    shot("03-choose-organization")
    page.get_by_label("Select Organization").select_option(label="Green Acres Landscaping")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Asset SHARED-1")).to_be_visible()
    for title in ("Identification", "Outstanding Service Requests", "Open and Pending Repairs"):
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    shot("04-asset-shared")


def test_no_access_page(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 000: a user without any informational section sees the no-access page."""
    sign_in(page, flask_server, "eve@cityfleet.example")
    lookup(page, "CF-100")
    expect(page.get_by_role("heading", name="You do not have permission to view this asset"))\
        .to_be_visible()
    shot("05-no-access")


def test_asset_actions(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 000: request service, book an appointment and add a meter reading on one asset."""
    sign_in(page, flask_server, "ann@cityfleet.example")
    lookup(page, "CF1 207")  # by licence plate
    expect(page.get_by_role("heading", name="Asset CF-101")).to_be_visible()
    expect(page.get_by_role("heading", name="Maintenance Schedule")).to_be_visible()
    expect(page.get_by_text("Oil and filter service")).to_be_visible()
    shot("06-asset-page")

    page.get_by_label("What is needed?").fill("Left mirror is cracked")
    page.get_by_role("button", name="Request service").click()
    expect(page.get_by_text("Your service request was sent.")).to_be_visible()
    expect(page.locator("#outstanding_service_requests")).to_contain_text("Left mirror is cracked")

    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    expect(page.locator("#appointments")).to_contain_text("Booked")

    page.get_by_label("Reading", exact=True).fill("1")
    page.get_by_role("button", name="Add meter reading").click()
    expect(page.get_by_role("alert")).to_contain_text("lower than the last reading")
    page.get_by_label("Reading", exact=True).fill("20500")
    page.get_by_role("button", name="Add meter reading").click()
    expect(page.get_by_text("The meter reading was recorded.")).to_be_visible()
    shot("07-asset-after-actions")


def test_jobs_search(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 002: jobs list and search by number."""
    sign_in(page, flask_server, "ann@cityfleet.example")
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("cell", name="CF-JOB-001")).to_be_visible()
    page.get_by_label("Job number").fill("CF-JOB-003")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="CF-JOB-003")).to_be_visible()
    expect(page.get_by_role("cell", name="CF-JOB-001")).to_have_count(0)
    shot("08-jobs-search")


def test_download_invoice_pdf(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 002: invoices (no drafts) with a PDF download."""
    sign_in(page, flask_server, "ann@cityfleet.example")
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("cell", name="CF-INV-0002")).to_be_visible()
    expect(page.get_by_role("cell", name="CF-INV-0001")).to_have_count(0)  # draft
    shot("09-invoices")
    row = page.get_by_role("row", name=re.compile("CF-INV-0002"))
    with page.expect_download() as info:
        row.get_by_role("button", name="Download PDF").click()
    download = info.value
    path = download.path()
    assert download.suggested_filename.endswith(".pdf")
    assert path.read_bytes().startswith(b"%PDF-")


def test_account_and_call_off_rent(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 004: account summary, contracts and items out, and a call-off-rent request."""
    sign_in(page, flask_server, "carol@rentall.example")
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text("Current balance")).to_be_visible()
    shot("10-account-summary")
    page.get_by_role("link", name="Contracts & items out").click()
    expect(page.get_by_role("cell", name="RA-C-1001").first).to_be_visible()
    expect(page.get_by_role("cell", name="Scaffold tower 10 m")).to_be_visible()
    shot("11-contracts")
    page.get_by_role("link", name="Call off rent").click()
    page.get_by_label("Quantity of SCAF-10").fill("1")
    page.get_by_label("Pickup date").fill((dt.date.today() + dt.timedelta(days=2)).isoformat())
    page.get_by_label("Notes for the store").fill("Gate code 4711")
    shot("12-call-off")
    page.get_by_role("button", name="Send call-off request").click()
    expect(page.get_by_text("Your call-off request was sent to the store.")).to_be_visible()


def test_messages(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 001: broadcast messages, group and global, marked as read."""
    sign_in(page, flask_server, "ann@cityfleet.example")
    page.get_by_role("link", name=re.compile("^Messages")).click()
    expect(page.get_by_text("New inspection checklist")).to_be_visible()
    shot("13-messages")
    before = page.get_by_role("button", name="Mark as read").count()
    page.get_by_role("button", name="Mark as read").first.click()
    expect(page.get_by_role("button", name="Mark as read")).to_have_count(before - 1)


def test_invitation_sign_up(page: Page, flask_server: str, smtp: SmtpServer, shot: Any) -> None:
    """Seed 003: staff invite in bulk; the emailed link opens sign-up with the password rules."""
    sign_in(page, flask_server, "admin@northwind.example")
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("To (one contact a line").fill(
        "Lena Park, lena@cityfleet.example\nOmar Diaz <omar@cityfleet.example>"
    )
    page.get_by_label("Organization").select_option(label="City Fleet Services")
    page.get_by_label("Role").select_option("site_contact")
    shot("14-staff-invitations")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent 2, skipped 0, failed 0.")).to_be_visible()

    link = re.search(r"https?://\S+/invitations/accept\?token=\S+", mail_to(smtp, "lena@"))
    assert link
    page.get_by_role("button", name="Sign out").click()
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Customer Portal Sign Up")).to_be_visible()
    expect(page.get_by_role("list", name="Password rules")).to_contain_text("At least 15")
    shot("15-sign-up")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("You are signed up and signed in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, Lena")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="You have already signed up")).to_be_visible()
    sign_in(page, flask_server, "lena@cityfleet.example", NEW_PASSWORD)


def test_registration_by_proof(page: Page, flask_server: str, smtp: SmtpServer, shot: Any) -> None:
    """Seed 004: phone, email and ZIP as on record, the emailed code, a new password."""
    page.goto(flask_server + "/login")
    page.get_by_role("link", name="First time here? Register").click()
    page.get_by_label("Business phone number").fill("4165550188")
    page.get_by_label("Email").fill("office@greenacres.example")
    page.get_by_label("ZIP/Postal code").fill("M5V 3L9")
    shot("16-register")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Create your password")).to_be_visible()
    page.get_by_label("Code from the email").fill(code_in(mail_to(smtp, "office@greenacres")))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered and signed in.")).to_be_visible()


def test_password_reset(page: Page, flask_server: str, smtp: SmtpServer, shot: Any) -> None:
    """A reset code by email; the new password signs in."""
    page.goto(flask_server + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("bob@greenacres.example")
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code from the email").fill(code_in(mail_to(smtp, "bob@greenacres")))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    shot("17-reset")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    sign_in(page, flask_server, "bob@greenacres.example", NEW_PASSWORD)


def test_profile(page: Page, flask_server: str, shot: Any) -> None:
    """Seed 003: the profile page updates the name."""
    sign_in(page, flask_server, "carol@rentall.example")
    page.get_by_role("link", name="Carol Hire").click()
    page.get_by_label("First name").fill("Caroline")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile has been successfully updated.")).to_be_visible()
    expect(page.get_by_role("link", name="Caroline Hire")).to_be_visible()
    shot("18-profile")


def test_guest_mode(page: Page, flask_server: str, portal_app: Any, shot: Any) -> None:
    """Seed 000: with no login required, visitors use the guest user's grants."""
    portal = portal_app.extensions["portalkit"].portal
    with portal.admin(DEMO_TENANT) as admin:
        admin.update_settings(login_required=False)
    try:
        page.goto(flask_server + "/")
        expect(page.get_by_text("Guest")).to_be_visible()
        lookup(page, "CF-100")
        expect(page.get_by_role("heading", name="Identification")).to_be_visible()
        expect(page.get_by_role("heading", name="Maintenance Schedule")).to_have_count(0)
        shot("19-guest")
        # A guest's request needs a contact: the errors first, then it is sent.
        page.get_by_label("What is needed?").fill("The tail light is out")
        page.get_by_label("Email").fill("pat@localhost")  # the browser lets it through
        page.get_by_role("button", name="Request service").click()
        expect(page.locator(".field-error")).to_have_count(2)
        expect(page.get_by_label("What is needed?")).to_have_value("The tail light is out")
        shot("19b-guest-contact-errors")
        page.get_by_label("Your name").fill("Pat Visitor")
        page.get_by_label("Email").fill("pat@example.com")
        page.get_by_role("button", name="Request service").click()
        expect(page.get_by_text("Your service request was sent.")).to_be_visible()
        expect(page.get_by_role("link", name="My assets")).to_have_count(0)
        shot("19c-guest-request-sent")
    finally:
        with portal.admin(DEMO_TENANT) as admin:
            admin.update_settings(login_required=True)
