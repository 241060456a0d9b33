"""The JSON API's OpenAPI description: valid, complete, and true to the answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from portalkit.contrib import fastapi as pk
from portalkit.contrib.fastapi import _api_identity, _api_records

from .conftest import TestClient, World, bearer

openapi_spec_validator = pytest.importorskip("openapi_spec_validator")


def _description(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


def test_the_description_is_valid_openapi(client: TestClient) -> None:
    openapi_spec_validator.validate(_description(client))


def test_every_route_is_described_with_its_answers(client: TestClient) -> None:
    paths = _description(client)["paths"]
    declared = [*_api_identity.router.routes, *_api_records.router.routes]
    routes = [r for r in declared if isinstance(r, APIRoute)]
    assert len(routes) >= 18
    for route in routes:
        for method in route.methods:
            operation = paths["/api" + route.path][method.lower()]
            answers = operation["responses"]
            assert "422" not in answers, route.path  # bad input is a 400 problem here
            assert answers["401"]["content"][pk.PROBLEM_JSON]["schema"]["title"] == "Problem"
            assert answers["404"]["content"][pk.PROBLEM_JSON]
            ok = [code for code in answers if code in ("200", "204")]
            assert ok, route.path
            if "200" in ok and route.name != "portalkit_download":
                assert answers["200"]["content"]["application/json"]["schema"], route.path


def test_the_router_goes_under_any_prefix(world: World) -> None:
    app = FastAPI()
    pk.install(app, world.portal, tenant="acme", check_on_start=False)
    app.include_router(pk.api_router(), prefix="/mobile/v1")
    with TestClient(app) as client:
        assert "/mobile/v1/assets/{asset_id}" in _description(client)["paths"]
        answer = client.post("/mobile/v1/tokens", json={"identifier": "x", "password": "y"})
        assert answer.status_code == 401


def test_answers_match_their_described_schemas(client: TestClient, world: World) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    paths = _description(client)["paths"]
    headers = bearer(client)
    for path, template in (
        ("/api/session", "/api/session"),
        ("/api/assets", "/api/assets"),
        (f"/api/assets/{world.ids['ann_asset']}", "/api/assets/{asset_id}"),
        ("/api/documents", "/api/documents"),
        (f"/api/jobs/{world.ids['ann_job']}", "/api/jobs/{job_id}"),
        ("/api/sessions", "/api/sessions"),
        ("/api/lookup?q=A-100", "/api/lookup"),
        ("/api/messages", "/api/messages"),
        ("/api/organizations", "/api/organizations"),
        (f"/api/assets/{world.ids['bob_asset']}", "/api/assets/{asset_id}"),
    ):
        answer = client.get(path, headers=headers)
        kind = answer.headers["content-type"]
        schema = paths[template]["get"]["responses"][str(answer.status_code)]["content"][kind]
        jsonschema.validate(answer.json(), schema["schema"])


def test_every_read_route_answers_as_described(client: TestClient, world: World) -> None:
    """A contract test: each GET of the description, called with its parameters filled in,
    answers a status the description lists, with a body its schema accepts."""
    jsonschema = pytest.importorskip("jsonschema")
    headers = bearer(client)
    values = {"asset_id": world.ids["ann_asset"], "document_id": world.ids["ann_quote"],
              "job_id": world.ids["ann_job"], "q": "ann-1", "token": "not-a-token"}
    checked = 0
    for path, operations in _description(client)["paths"].items():
        operation = operations.get("get")
        if operation is None or not path.startswith("/api/"):
            continue
        params = operation.get("parameters", [])
        url = path.format(**{p["name"]: values[p["name"]] for p in params if p["in"] == "path"})
        query = {p["name"]: values[p["name"]] for p in params
                 if p["in"] == "query" and p.get("required")}
        answer = client.get(url, params=query, headers=headers)
        described = operation["responses"].get(str(answer.status_code))
        assert described is not None, (path, answer.status_code, answer.text)
        kind = answer.headers["content-type"].split(";")[0]
        if kind in ("application/json", pk.PROBLEM_JSON):
            jsonschema.validate(answer.json(), described["content"][kind]["schema"])
        checked += 1
    assert checked >= 18


def _example(schema: dict[str, Any]) -> Any:
    """The smallest value a schema describes (its required fields only)."""
    if "anyOf" in schema:
        return _example(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(schema["properties"][name]) for name in schema.get("required", [])}
    return {"integer": 1, "number": 1.0, "string": "x", "boolean": False, "array": []}.get(
        str(kind)
    )


def test_every_write_route_answers_as_described(client: TestClient, world: World) -> None:
    """Each POST, PUT and DELETE, called with the smallest body its schema describes."""
    jsonschema = pytest.importorskip("jsonschema")
    checked = 0
    for path, operations in _description(client)["paths"].items():
        for method in ("post", "put", "delete"):
            operation = operations.get(method)
            if operation is None or path in ("/api/tokens", "/api/session"):
                continue
            headers = bearer(client)  # a fresh session: a route may end one
            url = re.sub(r"\{[a-z_]+\}", str(world.ids["ann_quote"]), path)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs["json"] = _example(body["schema"])
            answer = client.request(method.upper(), url, **kwargs)
            described = operation["responses"].get(str(answer.status_code))
            assert described is not None, (method, path, answer.status_code, answer.text)
            if answer.status_code != 204:
                kind = answer.headers["content-type"].split(";")[0]
                jsonschema.validate(answer.json(), described["content"][kind]["schema"])
            checked += 1
    assert checked >= 12


def test_the_description_names_the_bearer_token_the_cookie_and_the_organization_header(
    client: TestClient,
) -> None:
    described = _description(client)
    schemes = described["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assets = described["paths"]["/api/assets"]["get"]
    assert len(assets["security"]) == 2  # either one
    assert pk.ORGANIZATION_HEADER in [p["name"] for p in assets["parameters"]]
