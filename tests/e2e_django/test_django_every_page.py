"""Every page of the Django example, as each kind of user meets it, on a phone and a desktop.

Each page must fit a 390x844 screen (no horizontal overflow), carry the
basics a screen reader needs (one h1, the page's language, a main landmark
and a label for every field) and have no serious or critical axe-core
violation, as the Flask example's pages (tests/e2e/test_pages.py). Full-page
screenshots at both sizes go to ``test-artifacts/django/`` for review.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from portalkit.demo import DEMO_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "django"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
SERIOUS = ("serious", "critical")

#: Per user: (name, address); "link:<pattern>@<address>" follows the first link
#: matching <pattern> on that page (records have no fixed ids).
PAGES: dict[str | None, list[tuple[str, str]]] = {
    None: [
        ("login", "/login/"),
        ("register", "/register/"),
        ("reset", "/reset/"),
        ("reset-finish", "/reset/finish/"),
        ("signup-invalid", "/invitations/accept"),
    ],
    "ann@cityfleet.example": [
        ("home", "/"),
        ("lookup", "/lookup/"),
        ("lookup-not-found", "/lookup/?q=NO-SUCH-1"),
        ("my-assets", "/assets/"),
        ("asset", r"link:/assets/\d+/@/assets/?number=CF-100"),
        ("jobs", "/jobs/"),
        ("job", r"link:/jobs/\d+/@/jobs/"),
        ("quotes", "/documents/quotes/"),
        ("quote", r"link:/quotes/\d+/@/documents/quotes/"),
        ("invoices", "/documents/invoices/"),
        ("reports", "/documents/reports/"),
        ("service-requests", "/service-requests/"),
        ("appointments", "/appointments/"),
        ("meters", "/meters/"),
        ("messages", "/messages/"),
        ("profile", "/profile/"),
        ("organizations-one", "/organizations/"),
        ("forbidden-403", "/account/"),
        ("not-found-404", "/assets/987654/"),
    ],
    "carol@rentall.example": [
        ("account", "/account/"),
        ("contracts", "/account/contracts/"),
        ("call-off", "/account/call-off/"),
        ("statements", "/documents/statements/"),
    ],
    "admin@northwind.example": [
        ("staff-invitations", "/staff/invitations/"),
        ("contracts-choose", "/account/contracts/"),
        ("service-requests-staff", "/service-requests/"),
    ],
    "dave@consultant.example": [
        ("organizations", "/organizations/"),
        ("choose-organization", "/lookup/?q=SHARED-1"),
        ("account-choose", "/account/"),
    ],
    "eve@cityfleet.example": [("no-access", r"link:/assets/\d+/@/assets/?number=CF-100")],
}

_CHECKS = """() => {
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden');
  const unlabelled = fields.filter(e => !(e.labels && e.labels.length)
    && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML.slice(0, 80));
  return {
    width: document.documentElement.scrollWidth,
    h1: document.querySelectorAll('h1').length,
    lang: document.documentElement.lang,
    main: document.querySelectorAll('main').length,
    unlabelled: unlabelled,
  };
}"""


def _address(page: Any, target: str) -> str:
    if not target.startswith("link:"):
        return target
    pattern, _, where = target[5:].partition("@")
    page.goto(where)
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = next((h for h in hrefs if re.fullmatch(pattern, h)), None)
    assert found, (pattern, where)
    return str(found)


@pytest.mark.parametrize("user", list(PAGES), ids=lambda u: (u or "anonymous").split("@")[0])
def test_every_page_fits_a_phone_and_has_the_basics(
    browser: Any, django_example: str, user: str | None
) -> None:
    """No horizontal overflow at 390 px; one h1, lang, main and a label for every field; no
    serious or critical axe violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for size, (width, height) in SIZES.items():
        context = browser.new_context(
            base_url=django_example, viewport={"width": width, "height": height},
            is_mobile=size == "phone",
        )
        page = context.new_page()
        try:
            if user is not None:
                page.goto("/login/")
                page.get_by_label("Email or phone").fill(user)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(re.compile(r"/$"))
            for name, target in PAGES[user]:
                page.goto(_address(page, target))
                page.wait_for_load_state("load")
                found = page.evaluate(_CHECKS)
                where = (name, page.url)
                assert found["h1"] == 1, where
                assert found["lang"] == "en", where
                assert found["main"] == 1, where
                assert found["unlabelled"] == [], where
                if size == "phone":
                    assert found["width"] <= width, (*where, found["width"])
                page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
                serious = [
                    f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'])}"
                    for v in Axe().run(page).response["violations"]
                    if v.get("impact") in SERIOUS
                ]
                problems += [f"{name} at {size}: {line}" for line in serious]
        finally:
            context.close()
    assert not problems, "\n".join(problems)
