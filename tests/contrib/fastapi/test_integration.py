"""The FastAPI integration's settings and edges: guest mode, Secure cookies, throttling, 405."""

from __future__ import annotations

from fastapi import FastAPI

from portalkit.contrib import fastapi as pk

from .conftest import PASSWORD, TestClient, World, bearer


def test_a_guest_tenant_lets_anonymous_callers_look_up(client: TestClient, world: World) -> None:
    assert client.get("/api/lookup?q=ann-1").status_code == 401
    with world.portal.admin("acme") as admin:
        guest = admin.create_user("guest@example.com", "Guest")
        admin.grant(guest, "fleet", scope=admin.scope(world.ids["ann_org"]))
        admin.update_settings(login_required=False, guest_user_id=guest.id)
    answer = client.get("/api/lookup?q=ann-1")
    assert answer.json()["asset"]["number"] == "A-100"  # the guest's grants apply
    assert client.get("/api/sessions").status_code == 401  # still a signed-in user's


def test_secure_cookies_and_a_host_content_security_policy(world: World) -> None:
    app = FastAPI()
    pk.install(app, world.portal, tenant="acme", secure_cookies=True,
               content_security_policy="default-src 'none'")
    app.include_router(pk.api_router())
    with TestClient(app) as client:
        answer = client.post("/session", json={"identifier": "ann@example.com",
                                               "password": PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{pk.SESSION_COOKIE}=")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert answer.headers["content-security-policy"] == "default-src 'none'"
    assert answer.headers["cache-control"] == "no-store"


def test_repeated_wrong_passwords_are_throttled_with_retry_after(client: TestClient) -> None:
    statuses = []
    for _ in range(30):
        answer = client.post("/api/tokens", json={"identifier": "ann@example.com",
                                                  "password": "wrong-password"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert answer.json()["code"] == "throttled"
    assert int(answer.headers["retry-after"]) >= 1


def test_a_method_the_route_does_not_take_is_a_405_problem_with_allow(
    client: TestClient,
) -> None:
    answer = client.patch("/api/session")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"
    assert answer.headers["allow"]  # Starlette names the methods of the first route matched


def test_the_organization_header_narrows_a_request(client: TestClient, world: World) -> None:
    with world.portal.admin("acme") as admin:
        carl = admin.create_user("carl@example.com", "Carl")
        for org in ("ann_org", "bob_org"):
            admin.grant(carl, "fleet", scope=admin.scope(world.ids[org]))
        admin.set_password(carl, PASSWORD)
        other = admin.add_organization("Nobody's")
    headers = bearer(client, "carl")
    url = "/api/documents?kind=invoice"
    both = client.get(url, headers=headers).json()
    assert sorted(d["number"] for d in both["items"]) == ["INV-ann", "INV-bob"]
    one = client.get(url, headers=headers | {pk.ORGANIZATION_HEADER: str(world.ids["bob_org"])})
    assert [d["number"] for d in one.json()["items"]] == ["INV-bob"]
    missing = client.get(url, headers=headers | {pk.ORGANIZATION_HEADER: "999999"})
    not_theirs = client.get(url, headers=headers | {pk.ORGANIZATION_HEADER: str(other.id)})
    assert not_theirs.status_code == 404
    assert not_theirs.content == missing.content
    bad = client.get(url, headers=headers | {pk.ORGANIZATION_HEADER: "first"})
    assert bad.status_code == 400
    assert bad.json()["fields"][0]["field"] == pk.ORGANIZATION_HEADER


def test_another_tenants_token_is_a_401(client: TestClient, world: World) -> None:
    headers = bearer(client)  # a session of "acme"
    world.portal.create_tenant("beta", "Beta")
    app = FastAPI()
    pk.install(app, world.portal, tenant="beta")
    app.include_router(pk.api_router(), prefix="/api")
    with TestClient(app) as beta:
        answer = beta.get("/api/session", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "authentication_failed"
    assert client.get("/api/session", headers=headers).json()["signed_in"] is True
