"""Core flows of the Django example in Chromium: sign-in, lookup, asset page, documents."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from portalkit.demo import DEMO_PASSWORD


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the example's form."""
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_browser_version(browser: Any) -> None:
    """Print the Chromium version (Debian updates it on its own schedule)."""
    print("chromium", browser.version)
    assert browser.version


def test_sign_in_and_out(page: Any) -> None:
    """A wrong password is refused; the right one signs in; sign-out ends the session."""
    sign_in(page, "ann@cityfleet.example", "not-the-password-at-all")
    expect(page.get_by_role("alert")).to_be_visible()
    sign_in(page, "ann@cityfleet.example")
    expect(page.get_by_role("heading", name="Welcome, Ann Lee")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/jobs/")
    expect(page).to_have_url("/login/?next=%2Fjobs%2F")


def test_lookup_to_asset_page(page: Any) -> None:
    """A fleet manager types an asset number and lands on its page."""
    sign_in(page, "ann@cityfleet.example")
    page.get_by_label("Asset number or licence plate").fill("cf 100")
    page.get_by_role("button", name="Find asset").click()
    expect(page.get_by_role("heading", name="Asset CF-100")).to_be_visible()


def test_other_customers_asset_is_not_found(page: Any) -> None:
    """Another customer's asset number answers exactly like a number that does not exist."""
    sign_in(page, "bob@greenacres.example")
    page.goto("/lookup/?q=CF-100")
    theirs = page.get_by_role("alert").inner_text()
    page.goto("/lookup/?q=NO-SUCH-1")
    assert page.get_by_role("alert").inner_text() == theirs


def test_documents_list_and_download(page: Any) -> None:
    """Invoices are listed; Download PDF delivers a PDF file."""
    sign_in(page, "ann@cityfleet.example")
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
