"""The Django tutorial (docs/tutorial/django.md) works end to end with Django's test client.

``examples/tutorial_django`` is the project the page includes. Its settings
(``ROOT_URLCONF``, ``TEMPLATES``, ``PORTALKIT``) are applied over the test
settings, its ``setup_data.create_data`` fills the database, and its three
pages are walked on SQLite and on PostgreSQL (the Django ORM storage on the
``postgres`` alias).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.examples.tutorials import (
    DJANGO_TUTORIAL,
    EMAIL,
    MAX_HOST_LINES,
    PLATE,
    host_lines,
)

#: Every test may use both databases; the PostgreSQL one only when configured.
_ALIASES = [alias for alias in ("default", "postgres") if alias in django_settings.DATABASES]
pytestmark = pytest.mark.django_db(transaction=True, databases=_ALIASES)


def _tutorial_module(name: str) -> ModuleType:
    if str(DJANGO_TUTORIAL) not in sys.path:
        sys.path.insert(0, str(DJANGO_TUTORIAL))
    return importlib.import_module(name)


@pytest.fixture(params=["default", pytest.param("postgres", marks=pytest.mark.postgres)])
def tutorial(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """The tutorial's settings over the test settings, its data stored; yields the password."""
    from portalkit.contrib.django.conf import get_portal, reset_portal  # noqa: PLC0415

    alias = request.param
    if alias == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    site = _tutorial_module("mysite.settings")
    settings.ROOT_URLCONF = site.ROOT_URLCONF
    settings.TEMPLATES = site.TEMPLATES
    settings.PORTALKIT = {**site.PORTALKIT, "DATABASE": alias}
    reset_portal()
    setup = _tutorial_module("setup_data")
    portal = get_portal()
    setup.create_data(portal)
    with portal.admin() as admin:  # another customer, for the negative cases
        other = admin.add_organization("Green Acres")
        admin.upsert_asset(number="GA-7", plate="GR-111-A", scope=other)
        admin.add_document(kind="invoice", status="issued", number="INV-9", scope=other)
    yield setup.PASSWORD
    reset_portal()


def _sign_in(client: Client, password: str) -> tuple[int, str | None]:
    response = client.post("/login/?next=/lookup/", {"email": EMAIL, "password": password})
    return response.status_code, response.get("Location")


def test_sign_in_look_up_the_plate_see_the_document(tutorial: str, client: Client) -> None:
    """The reader's walk: sign in, find the vehicle by its plate, see the invoice."""
    assert _sign_in(client, tutorial) == (302, "/lookup/")
    found = client.get("/lookup/", {"plate": PLATE})
    assert found.status_code == 200
    assert "CF-100" in found.content.decode()
    listed = client.get("/").content.decode()
    assert "INV-1001" in listed
    assert "INV-9" not in listed  # another customer's invoice


def test_wrong_password_is_the_one_sign_in_error(tutorial: str, client: Client) -> None:
    """A wrong password and an unknown address get the same 401 answer."""
    wrong = client.post("/login/", {"email": EMAIL, "password": "not-the-password-1234"})
    unknown = client.post(
        "/login/", {"email": "zed@cityfleet.example", "password": "not-the-password-1234"}
    )
    assert wrong.status_code == unknown.status_code == 401
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub(b"", wrong.content) == token.sub(b"", unknown.content)
    assert client.get("/").status_code == 302  # still not signed in


def test_another_customers_plate_is_not_there(tutorial: str, client: Client) -> None:
    """Another customer's plate gets exactly the answer of a plate that does not exist."""
    _sign_in(client, tutorial)
    theirs = client.get("/lookup/", {"plate": "GR-111-A"})
    nobodys = client.get("/lookup/", {"plate": "ZZ-999-Z"})
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.content.replace(b"GR-111-A", b"?") == nobodys.content.replace(b"ZZ-999-Z", b"?")
    assert b"GA-7" not in theirs.content


@pytest.mark.parametrize("page", ["/", "/lookup/?plate=KX-482-B"])
def test_not_signed_in_goes_to_sign_in(tutorial: str, client: Client, page: str) -> None:
    """Every page sends a visitor who is not signed in to the sign-in page, and back."""
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_three_pages_in_at_most_30_lines() -> None:
    """The promise of the tutorial: views and URLs of the three pages are at most 30 lines."""
    lines = sum(
        host_lines((DJANGO_TUTORIAL / "mysite" / name).read_text(encoding="utf-8"))
        for name in ("views.py", "urls.py")
    )
    assert lines <= MAX_HOST_LINES, f"views.py and urls.py have {lines} lines of code"
