"""The JSON API's rentals, quote decisions and profile."""

from __future__ import annotations

import datetime as dt

from portalkit.contrib import fastapi as pk

from .conftest import PASSWORD, TestClient, World, bearer, sign_in


def _weekday_ahead(days: int) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day.isoformat()


def test_call_items_off_rent(client: TestClient, world: World) -> None:
    headers = bearer(client)
    items = client.get("/api/items-out", headers=headers).json()
    assert [i["item_number"] for i in items] == ["LIFT-ann"]
    body = {"items": [{"item": world.ids["ann_item"], "quantity": 1}],
            "pickup_on": _weekday_ahead(3)}
    made = client.post("/api/call-offs", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert [line["quantity"] for line in made.json()] == [1]
    too_many = client.post("/api/call-offs", headers=headers, json=body | {
        "items": [{"item": world.ids["ann_item"], "quantity": 5}]})
    assert too_many.status_code == 400
    assert too_many.json()["fields"][0]["code"] == "action.quantity_too_large"
    theirs = client.post("/api/call-offs", headers=headers, json=body | {
        "items": [{"item": world.ids["bob_item"], "quantity": 1}]})
    missing = client.post("/api/call-offs", headers=headers, json=body | {
        "items": [{"item": 999_999, "quantity": 1}]})
    assert theirs.status_code == 404
    assert theirs.content == missing.content
    nested = client.post("/api/call-offs", headers=headers, json=body | {
        "items": [{"item": "one", "quantity": 1}]})
    assert nested.status_code == 400


def test_quote_decisions(client: TestClient, world: World) -> None:
    headers = bearer(client)
    quote = world.ids["ann_quote"]
    changes = client.post(f"/api/quotes/{quote}/changes", headers=headers,
                          json={"message": "Cheaper, please"})
    assert changes.status_code == 200, changes.text
    approved = client.post(f"/api/quotes/{quote}/approve", headers=headers,
                           json={"signer_name": "Ann Lee", "signature": "Ann Lee"})
    assert approved.json()["decision"] == "approved"
    again = client.post(f"/api/quotes/{quote}/decline", headers=headers, json={"reason": "No"})
    assert again.status_code == 409
    decided = client.get(f"/api/quotes/{quote}/decisions", headers=headers).json()
    assert [d["decision"] for d in decided] == ["changes_requested", "approved"]
    theirs = client.post(f"/api/quotes/{world.ids['bob_quote']}/decline", headers=headers,
                         json={"reason": "No"})
    missing = client.post("/api/quotes/999999/decline", headers=headers, json={"reason": "No"})
    assert theirs.status_code == 404
    assert theirs.content == missing.content


def test_profile_and_password_change_for_an_app(client: TestClient) -> None:
    headers = bearer(client)
    updated = client.put("/api/profile", headers=headers, json={
        "first_name": "Ann", "last_name": "Lee-Smith", "email": "ann@example.com"})
    assert updated.json()["name"] == "Ann Lee-Smith"
    new = "a-brand-new-harbour-lantern-77"
    changed = client.post("/api/profile/password", headers=headers, json={
        "current_password": PASSWORD, "new_password": new, "confirmation": new})
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/assets", headers=headers).status_code == 401  # the old token ended
    assert client.get("/api/assets", headers=fresh).status_code == 200


def test_password_change_for_a_browser_renews_the_cookie(client: TestClient) -> None:
    token = sign_in(client)
    old = client.cookies[pk.SESSION_COOKIE]
    new = "a-brand-new-harbour-lantern-77"
    changed = client.post("/api/profile/password", headers={pk.CSRF_HEADER: token}, json={
        "current_password": PASSWORD, "new_password": new, "confirmation": new})
    assert changed.status_code == 200, changed.text
    assert changed.json()["access_token"] is None
    assert client.cookies[pk.SESSION_COOKIE] != old
    fresh_token = changed.json()["csrf_token"]
    assert client.get("/api/sessions").status_code == 200
    url = "/api/profile"
    body = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}
    assert client.put(url, json=body, headers={pk.CSRF_HEADER: token}).status_code == 400
    assert client.put(url, json=body, headers={pk.CSRF_HEADER: fresh_token}).status_code == 200
