"""A FastAPI app with the JSON API over a real SQLite file and a real PostgreSQL server.

Two customers of one tenant: Ann (City Fleet) and Bob (Green Acres), each
with an asset, a job and an invoice, so every test can ask for the other's.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # Starlette now prefers httpx2; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import portalkit
from portalkit import Document, perms
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.contrib import fastapi as pk

SECRET = "fastapi-api-tests-secret-key-0123456789"
PASSWORD = "harbour-lantern-violet-42"
FAST = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


class Files:
    """The host's files: every document's bytes are its number."""

    def read(self, document: Document) -> bytes:
        return f"%PDF {document.number}".encode()


@attrs.frozen
class World:
    """The app, its portal and the ids of each customer's records."""

    app: FastAPI
    portal: portalkit.Portal
    ids: dict[str, int]


def build(storage: Any) -> World:
    portal = portalkit.Portal(
        storage, secret_key=SECRET, config=portalkit.PortalConfig(hasher=FAST),
        document_source=Files(),
    )
    portal.create_tenant("acme", "Acme")
    ids: dict[str, int] = {}
    assets: dict[str, Any] = {}
    sites: dict[str, Any] = {}
    with portal.admin("acme") as admin:
        admin.define_role("fleet", [
            perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.JOB_VIEW,
            perms.INVOICE_VIEW, perms.SERVICE_REQUEST_VIEW, perms.SERVICE_REQUEST_EDIT,
            perms.METER_READING_EDIT, perms.QUOTE_VIEW, perms.QUOTE_DECIDE,
            perms.ITEMS_OUT_VIEW, perms.CALL_OFF_RENT_REQUEST, perms.PROFILE_EDIT,
        ])
        for who, org_name, number in (("ann", "City Fleet", "A-100"),
                                      ("bob", "Green Acres", "B-200")):
            org = admin.add_organization(org_name)
            site = admin.add_scope(org, kind="site", name=f"{org_name} depot")
            user = admin.create_user(f"{who}@example.com", who.title())
            admin.grant(user, "fleet", scope=org)
            admin.set_password(user, PASSWORD)
            asset = admin.upsert_asset(number=number, plate=f"{who.upper()} 1", scope=site)
            doc = admin.add_document(
                kind="invoice", status="sent", number=f"INV-{who}", scope=org,
                issued_on=dt.date(2026, 1, 5),
            )
            quote = admin.add_document(
                kind="quote", status="sent", number=f"Q-{who}", scope=org,
                issued_on=dt.date(2026, 1, 6),
            )
            ids[f"{who}_quote"] = quote.id
            sites[who] = site
            job = admin.add_job(number=f"J-{who}", status="scheduled", scope=site)
            assets[who] = asset
            ids |= {f"{who}_asset": asset.id, f"{who}_doc": doc.id, f"{who}_job": job.id,
                    f"{who}_org": org.id, f"{who}_user": user.id}
    tenant = portal.tenant("acme")
    for who, asset in assets.items():
        meter = portal.action_records.add_meter(
            tenant.id, asset, name="odometer", unit="km", last_value=1000.0,
            last_read_at=portal.clock.now() - dt.timedelta(days=3),
        )
        ids[f"{who}_meter"] = meter.id
        item = portal.action_records.add_rental_item(
            tenant.id, sites[who], contract_number=f"C-{who}", item_number=f"LIFT-{who}",
            quantity_out=2, description="Scissor lift",
        )
        ids[f"{who}_item"] = item.id
    app = FastAPI()
    pk.install(app, portal, tenant="acme")
    app.include_router(pk.api_router(), prefix="/api")
    return World(app=app, portal=portal, ids=ids)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> World:
    return build(request.getfixturevalue(f"{request.param}_storage"))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app) as test_client:
        yield test_client


def sign_in(client: TestClient, who: str = "ann") -> str:
    """Sign *client* in with the session cookie; the CSRF token for its writes."""
    answer = client.post(
        "/api/session", json={"identifier": f"{who}@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["csrf_token"]
    assert isinstance(token, str)
    return token


def bearer(client: TestClient, who: str = "ann") -> dict[str, str]:
    """An app's sign-in: the Authorization header to send."""
    answer = client.post(
        "/api/tokens", json={"identifier": f"{who}@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    assert "set-cookie" not in answer.headers
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
