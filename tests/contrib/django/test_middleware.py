"""The middleware, decorator, mixin, sign-in and error mapping, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from portalkit.contrib.django.middleware import SESSION_KEY
from tests.contrib.django.conftest import PASSWORD, World


def sign_in(client: Client, email: str, password: str = PASSWORD) -> None:
    """Sign in through the test login view."""
    response = client.post("/login/", {"identifier": email, "password": password})
    assert response.status_code == 302, response.content


def test_anonymous_is_sent_to_sign_in_with_next(world: World, client: Client) -> None:
    """An anonymous visitor of a guarded page goes to the sign-in page with a safe next."""
    response = client.get("/jobs/?page=2")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fjobs%2F%3Fpage%3D2"
    assert client.get("/jobs-cbv/").status_code == 302
    assert client.get("/whoami/").content == b"anonymous"


def test_sign_in_cycles_the_session_key(world: World, client: Client) -> None:
    """Signing in replaces the session key and stores the credential; whoami knows the user."""
    client.get("/whoami/")
    client.session["x"] = 1  # make sure a session exists
    before = client.cookies.get("sessionid")
    sign_in(client, "ann@example.com")
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after
    assert isinstance(client.session[SESSION_KEY], str)
    assert client.get("/whoami/").content == f"user:{world.ann.id}".encode()


def test_session_key_changes_even_for_an_existing_session(world: World, client: Client) -> None:
    """A session that existed before sign-in (a fixation attempt) is not the one after it."""
    session = client.session
    session["planted"] = "yes"
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    sign_in(client, "ann@example.com")
    assert client.cookies["sessionid"].value != planted


def test_permission_decorator_and_mixin(world: World, client: Client) -> None:
    """A principal with the permission gets the page; one without gets the 403 page."""
    sign_in(client, "ann@example.com")
    assert client.get("/jobs/").content == b"jobs"
    assert client.get("/jobs-cbv/").content == b"jobs-cbv"
    other = Client()
    sign_in(other, "bob@example.com")
    denied = other.get("/jobs/")
    assert denied.status_code == 403
    assert other.get("/jobs-cbv/").status_code == 403
    assert other.get("/any/").content == b"principal:user"
    assert denied["Cache-Control"] == "no-store"


def test_not_yours_and_not_there_look_the_same(world: World, client: Client) -> None:
    """Another organization's asset and a missing one give the same 404 page."""
    sign_in(client, "ann@example.com")
    assert client.get(f"/assets/{world.asset_a.id}/").content == b"asset:TRK-1"
    not_yours = client.get(f"/assets/{world.asset_b.id}/")
    not_there = client.get("/assets/987654/")
    assert not_yours.status_code == not_there.status_code == 404
    assert not_yours.content == not_there.content
    assert b"TRK-2" not in not_yours.content


@pytest.mark.parametrize(
    ("kind", "status", "shown"),
    [
        ("not-found", 404, "does not exist or is not available to you"),
        ("denied", 403, "Ask your administrator"),
        ("invalid", 400, "Enter a valid email address."),
        ("conflict", 409, "Someone changed this meanwhile."),
        ("throttled", 429, "Too many attempts"),
        ("storage", 503, "try again in a few minutes"),
    ],
)
def test_error_mapping(world: World, client: Client, kind: str, status: int, shown: str) -> None:
    """Each portalkit error becomes its status with a safe message; 403/404 echo nothing."""
    response = client.get(f"/fail/{kind}/")
    assert response.status_code == status
    assert shown in response.content.decode()
    assert b"invoice 42" not in response.content
    if kind == "throttled":
        assert response["Retry-After"] == "7"


def test_wrong_password_and_unknown_user_answer_alike(world: World, client: Client) -> None:
    """A wrong password and an unknown address give the same 401 page; nothing is stored."""
    wrong = client.post("/login/", {"identifier": "ann@example.com", "password": "nope-nope"})
    unknown = client.post("/login/", {"identifier": "zed@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert SESSION_KEY not in client.session
    assert client.get("/whoami/").content == b"anonymous"


def test_logout_ends_the_session(world: World, client: Client) -> None:
    """After sign-out the browser is anonymous again."""
    sign_in(client, "ann@example.com")
    client.post("/logout/")
    assert client.get("/whoami/").content == b"anonymous"


def test_logout_ends_the_portal_session_on_the_server(world: World, client: Client) -> None:
    """The portal token of a signed-out session is worthless in any other Django session."""
    sign_in(client, "ann@example.com")
    token = client.session[SESSION_KEY]
    copy = Client()
    session = copy.session
    session[SESSION_KEY] = token
    session.save()
    copy.cookies["sessionid"] = session.session_key
    assert copy.get("/whoami/").content == f"user:{world.ann.id}".encode()
    client.post("/logout/")
    assert copy.get("/whoami/").content == b"anonymous"


def test_logout_everywhere_ends_other_browsers(world: World) -> None:
    """Signing out everywhere ends the sessions of every browser of the user."""
    first, second = Client(), Client()
    sign_in(first, "ann@example.com")
    sign_in(second, "ann@example.com")
    first.post("/logout-everywhere/")
    assert second.get("/whoami/").content == b"anonymous"
    assert SESSION_KEY not in second.session


def test_csrf_is_django_s_own(world: World) -> None:
    """A form post without Django's CSRF token is refused before any sign-in attempt."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"identifier": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_guest_when_no_login_is_required(world: World, client: Client) -> None:
    """A tenant that requires no login runs anonymous requests as its guest."""
    from portalkit.contrib.django.conf import get_portal  # noqa: PLC0415

    with get_portal().admin("acme") as admin:
        admin.update_settings(login_required=False, guest_user_id=world.bob.id)
    assert client.get("/whoami/").content == b"guest"
    assert client.get("/any/").content == b"principal:guest"


@pytest.mark.parametrize(("outcome", "status", "kept"), [("ok", 200, True), ("fail", 400, False)])
def test_a_views_writes_commit_only_when_it_answers(
    world: World, client: Client, outcome: str, status: int, kept: bool
) -> None:
    """The request's one unit of work commits after the view; a failed view keeps nothing."""
    from portalkit.contrib.django.conf import get_portal  # noqa: PLC0415

    response = client.post(f"/write/{outcome}/")
    assert response.status_code == status
    with get_portal().admin("acme") as admin:
        found = admin.uow.scopes.get_by_external_key(admin.tenant.id, f"written-{outcome}")
    assert (found is not None) is kept


@pytest.mark.parametrize("value", ["forged", "x" * 300])
def test_a_bad_session_value_is_the_guest_and_is_cleared(
    world: World, client: Client, value: str
) -> None:
    """A forged portal session value: the request is nobody, and the value leaves the session."""
    session = client.session
    session[SESSION_KEY] = value
    session.save()
    assert client.get("/whoami/").content == b"anonymous"
    assert SESSION_KEY not in client.session
