"""Benchmark: the JSON API's asset page and document list vs hand-written FastAPI endpoints.

The same data as ``bench/pages.py`` (the demo data set plus 1,000 assets and
1,000 documents per site; a customer whose access comes from one
division-level grant), served two ways, both FastAPI with sync endpoints and
the same bearer token:

* portalkit: ``portalkit.contrib.fastapi`` (``install`` + ``api_router``),
  ``GET /api/assets/{id}`` and ``GET /api/documents?kind=invoice&size=50``;
* hand-written: the same two answers by plain SQL, as a competent developer
  would write them (``bench/handwritten_portal.py``'s statements): the
  session found by its token's hash, checked against the user's stamp, active
  flag and timeouts; one access query; the asset with its sections and
  fields, or the invoices filtered by the granted paths; one transaction.

In-process through FastAPI's TestClient, the two sides alternating request by
request (their order swapped every round); medians per endpoint. Every pair
of answers is compared (the section keys and fields of the asset, the
numbers of the invoices); a difference is a mismatch.

    python bench/api.py [--quick] [--json PATH] [--postgres URL] [--requests N]

Target: ``ratios.portalkit_over_handwritten <= 1.5`` (worst endpoint, worst backend).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from _util import ROOT, postgres_schema, postgres_url, print_table, write_json

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import handwritten_portal as hw
import pages

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fastapi import FastAPI, Header, HTTPException

SIDES = ("portalkit", "handwritten")
ENDPOINTS = ("asset", "invoices")
IDLE = dt.timedelta(minutes=30)  # portalkit's default idle timeout
ABSOLUTE = dt.timedelta(hours=12)

SESSION_SQL = hw.Sql(
    "SELECT u.id, t.id AS tenant_id, s.created_at, s.last_seen_at"
    " FROM portalkit_sessions s JOIN portalkit_users u ON u.id = s.user_id"
    " JOIN portalkit_tenants t ON t.id = s.tenant_id"
    " WHERE s.token_hash = :digest AND t.slug = :slug AND u.tenant_id = t.id"
    " AND u.is_active AND u.security_stamp = s.security_stamp",
)


def parse_args() -> argparse.Namespace:
    """This bench's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 requests per endpoint")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--postgres", help="PostgreSQL URL (default: the bench/test env var)")
    parser.add_argument("--requests", type=int, help="requests per endpoint and side")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    return parser.parse_args()


def handwritten_app(url: str, tenant: str = "demo") -> FastAPI:
    """The two endpoints by hand, over portalkit's tables."""
    engine = hw.make_engine(url)
    app = FastAPI()

    def who(conn: Any, authorization: str | None) -> tuple[int, hw.Access]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401)
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = conn.execute(SESSION_SQL(), {"digest": digest, "slug": tenant}).mappings().first()
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

        def naive(value: Any) -> dt.datetime:
            moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
            return moment.replace(tzinfo=None)

        if row is None or now - naive(row["last_seen_at"]) > IDLE or (
            now - naive(row["created_at"]) > ABSOLUTE
        ):
            raise HTTPException(401)
        access = hw.Access(conn.execute(
            hw.ACCESS_SQL(), {"tid": row["tenant_id"], "uid": row["id"]}
        ).all())
        return int(row["tenant_id"]), access

    @app.get("/hw/assets/{asset_id}")
    def asset(asset_id: int, authorization: str | None = Header(None)) -> dict[str, Any]:
        with engine.connect() as conn, conn.begin():
            tid, access = who(conn, authorization)
            row = conn.execute(hw.ASSET_SQL(), {"tid": tid, "id": asset_id}).mappings().first()
            if row is None or not access.at("asset.view", row["scope_path"]):
                raise HTTPException(404)
        path = row["scope_path"]
        sections = [
            {"key": key, "title": title,
             "actions": sorted(a for a in actions if access.at(a, path))}
            for key, title, needed, _info, actions in hw.SECTIONS
            if all(access.at(p, path) for p in needed)
        ]
        if not any(s["key"] in hw.INFORMATIONAL for s in sections):
            raise HTTPException(403)
        fields = []
        if any(s["key"] == "identification" for s in sections):
            fields = [{"label": label, "value": hw._plain(row[name])}
                      for name, label in hw.ASSET_FIELDS]
        return {"id": row["id"], "number": row["number"], "sections": sections, "fields": fields}

    @app.get("/hw/documents")
    def documents(authorization: str | None = Header(None)) -> dict[str, Any]:
        stored, permission, hidden, _shown = hw.KINDS["invoices"]
        with engine.connect() as conn, conn.begin():
            tid, access = who(conn, authorization)
            params: dict[str, Any] = {"tid": tid, "kind": stored, "limit": hw.PAGE_SIZE + 1}
            status = "status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(hidden)) + ")"
            visible = hw._prefixes(
                "scope_path", access.paths.get(permission, []), params
            )
            found = conn.execute(
                hw.DOCUMENTS_SQL(status=status, visible=visible), params
            ).mappings().all()
        items = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}
                 for d in found[:hw.PAGE_SIZE]]
        return {"items": items, "next_cursor": "more" if len(found) > hw.PAGE_SIZE else None}

    return app


def portalkit_app(url: str) -> FastAPI:
    """The JSON API as a host installs it."""
    from portalkit import Portal, PortalConfig  # noqa: PLC0415
    from portalkit.contrib import fastapi as pk  # noqa: PLC0415
    from portalkit.demo import DEMO_TENANT  # noqa: PLC0415

    portal = Portal.from_url(url, secret_key=pages.SECRET,
                             config=PortalConfig(default_tenant=DEMO_TENANT))
    app = FastAPI()
    pk.install(app, portal, tenant=DEMO_TENANT)
    app.include_router(pk.api_router(), prefix="/api")
    return app


def measure(url: str, requests: int) -> dict[str, Any]:
    """Medians per endpoint and side on the database at *url*, and the mismatches."""
    pages.prepare(url)
    ours, theirs = TestClient(portalkit_app(url)), TestClient(handwritten_app(url))
    token = ours.post("/api/tokens", json={"identifier": pages.EMAIL,
                                           "password": pages.PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    asset = ours.get("/api/lookup", params={"q": pages.PLATE}, headers=auth).json()["asset"]
    paths = {
        "portalkit": {"asset": f"/api/assets/{asset['id']}",
                      "invoices": "/api/documents?kind=invoice&size=50"},
        "handwritten": {"asset": f"/hw/assets/{asset['id']}", "invoices": "/hw/documents"},
    }
    clients = {"portalkit": ours, "handwritten": theirs}
    times: dict[str, dict[str, list[float]]] = {e: {s: [] for s in SIDES} for e in ENDPOINTS}
    mismatches = 0
    for n in range(requests):
        for endpoint in ENDPOINTS:
            answers = {}
            for side in SIDES if n % 2 == 0 else reversed(SIDES):
                start = time.perf_counter()
                answer = clients[side].get(paths[side][endpoint], headers=auth)
                times[endpoint][side].append(time.perf_counter() - start)
                assert answer.status_code == 200, (side, endpoint, answer.text)
                answers[side] = answer.json()
            mismatches += _differ(endpoint, answers)
    ms = {e: {s: statistics.median(times[e][s]) * 1000 for s in SIDES} for e in ENDPOINTS}
    return {
        "ms": ms,
        "ratios": {e: ms[e]["portalkit"] / ms[e]["handwritten"] for e in ENDPOINTS},
        "mismatches": mismatches,
    }


def _differ(endpoint: str, answers: dict[str, Any]) -> int:
    ours, theirs = answers["portalkit"], answers["handwritten"]
    if endpoint == "asset":
        same = (ours["sections"] == theirs["sections"]
                and [f["value"] for f in ours["fields"]] == [f["value"] for f in theirs["fields"]])
    else:
        same = [d["number"] for d in ours["items"]] == [d["number"] for d in theirs["items"]]
    return 0 if same else 1


def main() -> None:
    """Run on SQLite (and PostgreSQL when a URL is known), print the table, check the target."""
    args = parse_args()
    requests = args.requests or (30 if args.quick else 200)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(f"sqlite:///{Path(folder) / 'api.db'}", requests)
    pg = None if args.sqlite_only else (args.postgres or postgres_url())
    if pg:
        with postgres_schema(pg) as url:
            results["postgresql"] = measure(url, requests)
    rows = [
        [backend, endpoint, f"{r['ms'][endpoint]['portalkit']:.2f}",
         f"{r['ms'][endpoint]['handwritten']:.2f}", f"{r['ratios'][endpoint]:.2f}"]
        for backend, r in results.items() for endpoint in ENDPOINTS
    ]
    print_table(f"JSON API vs hand-written FastAPI ({requests} requests each, median ms)",
                ["backend", "endpoint", "portalkit", "handwritten", "ratio"], rows)
    worst = max(r for res in results.values() for r in res["ratios"].values())
    mismatches = sum(res["mismatches"] for res in results.values())
    summary = {"ratios": {"portalkit_over_handwritten": worst}, "mismatches": mismatches,
               "requests": requests, "backends": results}
    print(f"\nworst ratio {worst:.2f} (target <= 1.5), mismatches {mismatches}")
    write_json(args.json, summary)


if __name__ == "__main__":
    main()
