"""Any body, any parameter: the JSON API answers a problem, never a 500 (Hypothesis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit.adapters.sqlalchemy import SqlAlchemyStorage

from .conftest import TestClient, build

SCALARS = (
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=12,
)
FIELDS = st.sampled_from([
    "identifier", "password", "meter", "value", "read_at", "unit", "asset", "description",
    "starts_at", "items", "pickup_on", "reason", "message", "signer_name", "signature",
    "first_name", "last_name", "email", "current_password", "new_password", "extra",
])
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=6)
POSTS = [
    "/api/tokens", "/api/meter-readings", "/api/service-requests", "/api/appointments",
    "/api/call-offs", "/api/quotes/{quote}/approve", "/api/quotes/{quote}/decline",
    "/api/profile/password",
]
ANSWERS = {200, 201, 400, 401, 403, 404, 409, 413, 429}


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, Any]]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "api.db"
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
    storage.upgrade()
    world = build(storage)
    client = TestClient(world.app, raise_server_exceptions=False)
    token = client.post("/api/tokens", json={
        "identifier": "ann@example.com", "password": "harbour-lantern-violet-42"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    return client, {"headers": headers, "quote": world.ids["ann_quote"]}


def _check(answer: Any) -> None:
    assert answer.status_code in ANSWERS, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
        assert isinstance(answer.json()["code"], str)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(POSTS), body=BODIES)
def test_any_body_is_answered_without_a_500(
    fuzz_client: tuple[TestClient, dict[str, Any]], route: str, body: Any
) -> None:
    client, context = fuzz_client
    headers = context["headers"] if route != "/api/tokens" else {}
    _check(client.post(route.format(quote=context["quote"]), json=body, headers=headers))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(["/api/lookup", "/api/assets", "/api/documents", "/api/jobs",
                          "/api/account", "/api/appointments", "/api/download"]),
    params=st.dictionaries(
        st.sampled_from(["q", "cursor", "size", "organization", "kind", "asset", "token"]),
        st.text(max_size=30), max_size=4,
    ),
)
def test_any_parameter_is_answered_without_a_500(
    fuzz_client: tuple[TestClient, dict[str, Any]], path: str, params: dict[str, str]
) -> None:
    client, context = fuzz_client
    _check(client.get(path, params=params, headers=context["headers"]))
