"""The JSON API through FastAPI's TestClient, on SQLite and PostgreSQL.

Tenant isolation (another customer's record is the missing record's 404, byte
for byte), 401 problems for anonymous callers, CSRF for cookie writes and
none for bearer tokens, sign-out ending the session on the server, and the
same security headers as the Flask integration.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.contrib import fastapi as pk

from .conftest import PASSWORD, TestClient, World, bearer, sign_in

PROBLEM = "application/problem+json"


def test_anonymous_callers_get_a_401_problem(client: TestClient) -> None:
    for path in ("/api/assets", "/api/documents", "/api/jobs", "/api/sessions",
                 "/api/messages", "/api/lookup?q=A-100"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["code"] == "authentication_failed"
    assert client.get("/api/session").json() == {
        "signed_in": False, "user": None, "csrf_token": None, "organization": None,
    }


@pytest.mark.parametrize("kind", ["asset", "doc", "job"])
def test_another_customers_record_is_the_missing_records_404(
    client: TestClient, world: World, kind: str
) -> None:
    paths = {"asset": "/api/assets/{}", "doc": "/api/documents/{}", "job": "/api/jobs/{}"}
    path = paths[kind]
    sign_in(client, "ann")
    mine = client.get(path.format(world.ids[f"ann_{kind}"]))
    theirs = client.get(path.format(world.ids[f"bob_{kind}"]))
    missing = client.get(path.format(999_999))
    assert mine.status_code == 200
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert theirs.headers["content-type"] == missing.headers["content-type"] == PROBLEM
    assert missing.json()["code"] == "not_found"


def test_lists_show_only_the_callers_records(client: TestClient, world: World) -> None:
    headers = bearer(client, "bob")
    docs = client.get("/api/documents?kind=invoice", headers=headers).json()
    assert [d["number"] for d in docs["items"]] == ["INV-bob"]
    assets = client.get("/api/assets", headers=headers).json()
    assert [a["number"] for a in assets["items"]] == ["B-200"]
    jobs = client.get("/api/jobs", headers=headers).json()
    assert [j["number"] for j in jobs["items"]] == ["J-bob"]
    assert client.get("/api/lookup?q=ann-1", headers=headers).status_code == 404
    found = client.get("/api/lookup?q=bob-1", headers=headers).json()
    assert found == {"result": "found", "asset": {"id": world.ids["bob_asset"], "number": "B-200"},
                     "candidates": []}


def test_another_customers_download_is_refused_like_a_missing_one(
    client: TestClient, world: World
) -> None:
    headers = bearer(client, "ann")
    url = "/api/documents/{}/download-url"
    theirs = client.post(url.format(world.ids["bob_doc"]), headers=headers)
    missing = client.post(url.format(999_999), headers=headers)
    assert theirs.status_code == 404
    assert theirs.content == missing.content
    link = client.post(url.format(world.ids["ann_doc"]), headers=headers).json()["url"]
    assert client.get(link).status_code == 401  # the address is for this session only
    got = client.get(link, headers=headers)
    assert got.content == b"%PDF INV-ann"
    assert got.headers["referrer-policy"] == "no-referrer"
    again = client.get(link, headers=headers)  # once only
    assert (again.status_code, again.json()["code"]) == (409, "already_used")


def test_a_cookie_sessions_writes_need_the_csrf_token(client: TestClient, world: World) -> None:
    token = sign_in(client)
    url = f"/api/documents/{world.ids['ann_doc']}/download-url"
    refused = client.post(url)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_token"
    assert client.post(url, headers={"X-CSRF-Token": "0.forged"}).status_code == 400
    assert client.post(url, headers={pk.CSRF_HEADER: token}).status_code == 200


def test_a_bearer_token_needs_no_csrf_token_and_no_cookie(
    client: TestClient, world: World
) -> None:
    headers = bearer(client)
    assert not client.cookies
    url = f"/api/documents/{world.ids['ann_doc']}/download-url"
    assert client.post(url, headers=headers).status_code == 200
    bad = client.get("/api/session", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "authentication_failed"


def test_sign_out_ends_the_session_on_the_server(client: TestClient) -> None:
    token = sign_in(client)
    value = client.cookies[pk.SESSION_COOKIE]
    out = client.delete("/api/session", headers={pk.CSRF_HEADER: token})
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["set-cookie"]
    # A copy of the cookie, or the same value as a bearer token, no longer works.
    client.cookies.set(pk.SESSION_COOKIE, value)
    assert client.get("/api/assets").status_code == 401
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {value}"}
    assert client.get("/api/assets", headers=headers).status_code == 401


def test_sessions_list_and_end_one(client: TestClient) -> None:
    app_headers = bearer(client)
    token = sign_in(client)
    listed = client.get("/api/sessions").json()
    assert len(listed) == 2
    other = next(s["id"] for s in listed if not s["current"])
    ended = client.delete(f"/api/sessions/{other}", headers={pk.CSRF_HEADER: token})
    assert ended.status_code == 204
    assert client.get("/api/assets", headers=app_headers).status_code == 401
    assert client.get("/api/sessions").status_code == 200


def test_a_wrong_password_is_a_401_and_sets_no_cookie(client: TestClient) -> None:
    answer = client.post("/api/session", json={"identifier": "ann@example.com", "password": "no"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "authentication_failed"
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"identifier": "ann@example.com"}, "password", "field.required"),
        ({"identifier": 5, "password": PASSWORD}, "identifier", "field.wrong_type"),
        ({"identifier": "a", "password": PASSWORD, "admin": True}, "admin", "field.not_allowed"),
        ([1, 2], "body", "field.wrong_type"),
    ],
)
def test_bad_bodies_are_400_problems_naming_the_field(
    client: TestClient, body: Any, field: str, code: str
) -> None:
    answer = client.post("/api/tokens", json=body)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["code"] == "invalid_input"
    assert {"field": field, "code": code} == {
        k: problem["fields"][0][k] for k in ("field", "code")
    }


def test_malformed_json_bad_parameters_and_oversized_bodies(client: TestClient) -> None:
    malformed = client.post(
        "/api/tokens", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["fields"][0]["field"] == "body"
    headers = bearer(client)
    wrong = client.get("/api/assets?size=nine", headers=headers)
    assert wrong.status_code == 400
    assert wrong.json()["fields"] == [{
        "field": "size", "code": "field.wrong_type",
        "detail": "This value is not of the expected kind.",
    }]
    huge = client.post("/api/tokens", content=b"x" * (2 * 1024 * 1024),
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert huge.json()["code"] == "request_too_large"
    assert client.get("/api/nowhere").json()["code"] == "not_found"
    assert client.put("/api/session").status_code == 405


def test_security_headers_match_the_flask_integrations(client: TestClient, world: World) -> None:
    flask = pytest.importorskip("flask")
    from portalkit.contrib import flask as pk_flask  # noqa: PLC0415

    app = flask.Flask(__name__)
    app.secret_key = "s" * 32
    app.config.update(PORTALKIT_TENANT="acme", TESTING=True)
    pk_flask.init_app(app, portal=world.portal)

    @app.get("/page")
    def page() -> str:
        pk_flask.login("ann@example.com", PASSWORD)
        return "ok"

    names = ("content-security-policy", "x-content-type-options", "x-frame-options",
             "referrer-policy", "cache-control")
    flask_answer = app.test_client().get("/page")
    sign_in(client)
    api_answer = client.get("/api/assets")
    assert {n: flask_answer.headers.get(n) for n in names} == {
        n: api_answer.headers.get(n) for n in names
    }


def test_a_read_is_one_transaction(client: TestClient, world: World) -> None:
    """Session check, policy, the list and its projection: one transaction, not one per call."""
    headers = bearer(client)
    client.get("/api/documents", headers=headers)  # "last seen" is written now, not next time
    storage = world.portal.storage
    assert isinstance(storage, SqlAlchemyStorage)
    begins: list[Any] = []

    def count(connection: Any) -> None:
        begins.append(connection)

    event.listen(storage.engine, "begin", count)
    try:
        assert client.get("/api/assets", headers=headers).status_code == 200
    finally:
        event.remove(storage.engine, "begin", count)
    assert len(begins) == 1


@pytest.mark.parametrize("number", [2**63, 2**70, -(2**63) - 1])
def test_ids_out_of_the_databases_range_are_the_missing_records_404(
    client: TestClient, number: int
) -> None:
    headers = bearer(client)
    missing = client.get("/api/assets/999999", headers=headers)
    for path in (f"/api/assets/{number}", f"/api/documents/{number}", f"/api/jobs/{number}"):
        answer = client.get(path, headers=headers)
        assert answer.status_code in (400, 404), path
        if answer.status_code == 404:
            assert answer.content == missing.content
    body = {"meter": number, "value": 5}
    assert client.post("/api/meter-readings", json=body, headers=headers).status_code in (400, 404)


def test_a_stale_cookie_is_cleared_even_when_the_answer_is_an_error(client: TestClient) -> None:
    client.cookies.set(pk.SESSION_COOKIE, "expired-or-forged")
    answer = client.get("/api/assets")
    assert answer.status_code == 401
    assert f"{pk.SESSION_COOKIE}=;" in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]


def test_a_bad_parameter_is_explained_in_the_callers_language(client: TestClient) -> None:
    headers = bearer(client)
    english = client.get("/api/assets?size=nine", headers=headers).json()
    spanish = client.get("/api/assets?size=nine", headers=headers | {"Accept-Language": "es"})
    assert spanish.json()["fields"][0]["code"] == english["fields"][0]["code"]
    assert spanish.json()["fields"][0]["detail"] != english["fields"][0]["detail"]
    assert spanish.json()["detail"] != english["detail"]
