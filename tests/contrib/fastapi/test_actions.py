"""The JSON API's customer actions: the service's rules and codes, idempotency, isolation."""

from __future__ import annotations

from fastapi import HTTPException

from portalkit.contrib import fastapi as pk
from portalkit.errors import InvalidInputError

from .conftest import TestClient, World, bearer, sign_in


def test_record_a_meter_reading_once_per_idempotency_key(client: TestClient, world: World) -> None:
    headers = bearer(client) | {"Idempotency-Key": "app-42"}
    body = {"meter": world.ids["ann_meter"], "value": 1250}
    first = client.post("/api/meter-readings", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["value"] == 1250.0
    again = client.post("/api/meter-readings", json=body, headers=headers)
    assert again.json()["id"] == first.json()["id"]
    meters = client.get(f"/api/assets/{world.ids['ann_asset']}/meters", headers=headers).json()
    assert meters[0]["last_value"] == 1250.0


def test_a_reading_below_the_last_is_a_400_with_its_message_code(
    client: TestClient, world: World
) -> None:
    headers = bearer(client)
    answer = client.post(
        "/api/meter-readings", json={"meter": world.ids["ann_meter"], "value": 10},
        headers=headers,
    )
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["code"] == "invalid_input"
    assert [(f["field"], f["code"]) for f in problem["fields"]] == [
        ("value", "action.reading_below_last")
    ]
    spanish = client.post(
        "/api/meter-readings", json={"meter": world.ids["ann_meter"], "value": 10},
        headers=headers | {"Accept-Language": "es"},
    )
    assert spanish.json()["fields"][0]["detail"] != problem["fields"][0]["detail"]


def test_another_customers_meter_and_asset_are_the_missing_ones_404(
    client: TestClient, world: World
) -> None:
    headers = bearer(client)
    theirs = client.post("/api/meter-readings", headers=headers,
                         json={"meter": world.ids["bob_meter"], "value": 2000})
    missing = client.post("/api/meter-readings", headers=headers,
                          json={"meter": 999_999, "value": 2000})
    assert theirs.status_code == 404
    assert theirs.content == missing.content
    theirs = client.post("/api/service-requests", headers=headers,
                         json={"asset": world.ids["bob_asset"], "description": "Brakes"})
    missing = client.post("/api/service-requests", headers=headers,
                          json={"asset": 999_999, "description": "Brakes"})
    assert theirs.status_code == 404
    assert theirs.content == missing.content
    assert client.get("/api/service-requests", headers=headers).json() == []


def test_request_service_with_a_cookie_session(client: TestClient, world: World) -> None:
    token = sign_in(client)
    body = {"asset": world.ids["ann_asset"], "description": "Brakes squeal"}
    assert client.post("/api/service-requests", json=body).status_code == 400  # no CSRF token
    made = client.post("/api/service-requests", json=body, headers={pk.CSRF_HEADER: token})
    assert made.status_code == 201
    listed = client.get(f"/api/service-requests?asset={world.ids['ann_asset']}").json()
    assert [r["description"] for r in listed] == ["Brakes squeal"]


def test_a_host_endpoints_writes_commit_when_it_answers_and_roll_back_when_it_raises(
    world: World,
) -> None:
    asset = world.ids["ann_asset"]

    @world.app.post("/host/request")
    def request(req: pk.PortalRequestDep, fail: str = "") -> dict[str, int]:
        made = req.requests.request_service(asset=asset, description=f"Lights {fail}")
        if fail == "portalkit":
            raise InvalidInputError.for_field("notes", "Something else was wrong.")
        if fail == "http":
            raise HTTPException(409)
        return {"id": made.id}

    with TestClient(world.app) as client:
        headers = bearer(client)
        assert client.post("/host/request", headers=headers).status_code == 200
        assert client.post("/host/request?fail=portalkit", headers=headers).status_code == 400
        assert client.post("/host/request?fail=http", headers=headers).status_code == 409
        stored = client.get("/api/service-requests", headers=headers).json()
    assert [r["description"] for r in stored] == ["Lights"]


def test_nan_and_infinity_are_not_json(client: TestClient, world: World) -> None:
    headers = bearer(client) | {"content-type": "application/json"}
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = f'{{"meter": {world.ids["ann_meter"]}, "value": {constant}}}'.encode()
        answer = client.post("/api/meter-readings", content=body, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["fields"] == [{
            "field": "body", "code": "field.wrong_type",
            "detail": "This value is not of the expected kind.",
        }]
