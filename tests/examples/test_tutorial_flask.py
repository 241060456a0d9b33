"""The Flask tutorial (docs/tutorial/flask.md) works end to end, as a reader runs it.

``examples/tutorial_flask`` is the code the page includes: ``setup_data.py``
creates the schema and the data, ``app.py`` is the portal's three pages. Each
test imports ``app.py`` afresh with the settings in the environment, exactly
as ``flask --app app run`` would, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask.testing import FlaskClient

from portalkit import Portal
from tests.examples.tutorials import (
    EMAIL,
    FLASK_TUTORIAL,
    MAX_HOST_LINES,
    PLATE,
    host_lines,
)

SECRET = "tutorial-test-secret-key-0123456789-abcdefghijk"


def _load(path: Path) -> ModuleType:
    name = f"tutorial_flask_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Flask finds the templates through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def tutorial(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The tutorial's app, after its setup_data step, configured from the environment."""
    monkeypatch.setenv("FLASK_SECRET_KEY", SECRET)
    monkeypatch.setenv("FLASK_DATABASE_URL", database_url)
    setup = _load(FLASK_TUTORIAL / "setup_data.py")
    with Portal.from_url(database_url, secret_key=SECRET) as portal:
        setup.create_data(portal)
        with portal.admin() as admin:  # another customer, for the negative cases
            other = admin.add_organization("Green Acres")
            admin.upsert_asset(number="GA-7", plate="GR-111-A", scope=other)
            admin.add_document(kind="invoice", status="issued", number="INV-9", scope=other)
    module = _load(FLASK_TUTORIAL / "app.py")
    module.app.config["TESTING"] = True
    module.password = setup.PASSWORD
    yield module
    module.portal.close()
    sys.modules.pop(module.__name__, None)


def _csrf(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return match[1]


def _sign_in(client: FlaskClient, password: str) -> tuple[int, str | None]:
    response = client.post(
        "/login?next=/lookup",
        data={"email": EMAIL, "password": password, "csrf_token": _csrf(client)},
    )
    return response.status_code, response.headers.get("Location")


def test_sign_in_look_up_the_plate_see_the_document(tutorial: ModuleType) -> None:
    """The reader's walk: sign in, find the vehicle by its plate, see the invoice."""
    client = tutorial.app.test_client()
    assert _sign_in(client, tutorial.password) == (302, "/lookup")
    found = client.get("/lookup", query_string={"plate": PLATE})
    assert found.status_code == 200
    assert "CF-100" in found.text
    listed = client.get("/")
    assert listed.status_code == 200
    assert "INV-1001" in listed.text
    assert "INV-9" not in listed.text  # another customer's invoice


def test_wrong_password_is_the_one_sign_in_error(tutorial: ModuleType) -> None:
    """A wrong password and an unknown address get the same 401 answer."""
    client = tutorial.app.test_client()
    wrong = client.post("/login", data={
        "email": EMAIL, "password": "not-the-password-1234", "csrf_token": _csrf(client)})
    unknown = client.post("/login", data={
        "email": "zed@cityfleet.example", "password": "not-the-password-1234",
        "csrf_token": _csrf(client)})
    assert wrong.status_code == unknown.status_code == 401
    assert re.sub(r'value="[^"]*"', "", wrong.text) == re.sub(r'value="[^"]*"', "", unknown.text)
    assert client.get("/").status_code == 302  # still not signed in


def test_another_customers_plate_is_not_there(tutorial: ModuleType) -> None:
    """Another customer's plate gets exactly the answer of a plate that does not exist."""
    client = tutorial.app.test_client()
    _sign_in(client, tutorial.password)
    theirs = client.get("/lookup", query_string={"plate": "GR-111-A"})
    nobodys = client.get("/lookup", query_string={"plate": "ZZ-999-Z"})
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.text.replace("GR-111-A", "?") == nobodys.text.replace("ZZ-999-Z", "?")
    assert "GA-7" not in theirs.text


@pytest.mark.parametrize("page", ["/", "/lookup?plate=KX-482-B"])
def test_not_signed_in_goes_to_sign_in(tutorial: ModuleType, page: str) -> None:
    """Every page sends a visitor who is not signed in to the sign-in page, and back."""
    response = tutorial.app.test_client().get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_three_pages_in_at_most_30_lines() -> None:
    """The promise of the tutorial: the three pages are at most 30 lines of host code."""
    lines = host_lines((FLASK_TUTORIAL / "app.py").read_text(encoding="utf-8"))
    assert lines <= MAX_HOST_LINES, f"app.py has {lines} lines of code"


def test_line_count_ignores_comments_docstrings_and_blanks() -> None:
    """The count is of code only: a docstring, a comment or a blank line is not host code."""
    source = (
        '"""Doc."""\n\n# a comment\nx = [\n    1,  # one\n]\n\n'
        'def f():\n    """Doc\n    more."""\n    return x\n'
    )
    assert host_lines(source) == 5
