"""One page of documents for a customer: portalkit vs a hand-written SQL query.

The data set: 1,000,000 documents over 1,000 organizations (each with 3
divisions of 3 sites), mixed kinds, 10% drafts, some unapproved reports. The
principal holds a role with every document kind's view permission at two
divisions of one organization. Both sides fetch the same page of 50, newest
first: portalkit through ``DocumentService.list`` (visibility rule compiled to
SQL, keyset-ready order, rows turned into ``Document`` records, the request's
policy already loaded), the raw side with one hand-written ``SELECT`` over the
same connection pool, returning plain tuples. The same is measured at 10,000
documents (10 organizations), to show the page time does not grow with the
table.

    python bench/documents.py [--quick] [--json PATH]

The rows are written with SQLAlchemy Core ``executemany`` (not the admin API).
Runs on a temporary SQLite file and, when PORTALKIT_BENCH_DATABASE_URL or
PORTALKIT_TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL too (in a
schema of its own, dropped afterwards). ``--quick`` uses 100,000 documents.
Targets: portalkit/raw <= 1.3; page time at the large size within 1.5x of 10k.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import (
    median,
    parse_args,
    postgres_schema,
    postgres_url,
    print_table,
    timed,
    write_json,
)
from sqlalchemy import Engine, insert, text

import portalkit
from portalkit._services.documents import DocumentService
from portalkit._services.policy import load_policy
from portalkit.adapters.clock import SystemClock
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import Base
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.filters import Eq
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.perms import DOCUMENT_KIND_PERMISSIONS

SECRET = "bench-secret-key-bench-secret-key-0123456789"
DOCS_PER_ORG = 1000
DIVISIONS = 3
SITES_PER_DIVISION = 3
PAGE = 50
CALLS = 200  # timed calls per side and run, interleaved; the median call is reported
BATCH = 20_000
KINDS = [
    ("quote", 0.2), ("invoice", 0.3), ("report", 0.2),
    ("proposal", 0.1), ("statement", 0.1), ("contract", 0.1),
]
LIVE_STATUS = {
    "quote": "awaiting acceptance", "invoice": "awaiting payment", "report": "approved",
    "proposal": "sent", "statement": "issued", "contract": "open",
}
SCOPES = Base.metadata.tables["portalkit_scopes"]
DOCUMENTS = Base.metadata.tables["portalkit_documents"]
COLUMNS = [c.name for c in DOCUMENTS.columns]

#: The hand-written query: the same rule (drafts of quotes and invoices hidden,
#: only approved reports, the other kinds in any status) and the same order.
RAW_SQL = f"""
SELECT {", ".join(COLUMNS)} FROM portalkit_documents
WHERE tenant_id = :tenant
  AND ((scope_path >= :p1 AND scope_path < :p1_end) OR (scope_path >= :p2 AND scope_path < :p2_end))
  AND ((kind IN ('quote', 'invoice') AND status <> 'draft')
       OR (kind = 'report' AND status = 'approved')
       OR kind IN ('proposal', 'statement', 'contract'))
ORDER BY issued_on DESC NULLS LAST, id DESC
LIMIT {PAGE}
"""


def _end(path: str) -> str:
    """The exclusive upper bound of a path's subtree ("/" + 1 is "0")."""
    return path[:-1] + "0"


def load(engine: Engine, tenant_id: int, organizations: int, seed: int = 7) -> dict[str, Any]:
    """Write the scope tree and the documents with Core executemany; return the layout."""
    rng = random.Random(seed)
    next_id = 1_000_000
    scope_rows: list[dict[str, Any]] = []
    sites: list[tuple[int, str]] = []
    divisions: dict[int, list[str]] = {}
    for o in range(organizations):
        org_id = next_id = next_id + 1
        org_path = f"/org:{org_id}/"
        scope_rows.append({"id": org_id, "tenant_id": tenant_id, "kind": "organization",
                           "name": f"Org {o}", "path": org_path, "parent_id": None,
                           "external_key": None})
        for d in range(DIVISIONS):
            div_id = next_id = next_id + 1
            div_path = f"{org_path}div:{div_id}/"
            divisions.setdefault(o, []).append(div_path)
            scope_rows.append({"id": div_id, "tenant_id": tenant_id, "kind": "division",
                               "name": f"Div {o}.{d}", "path": div_path, "parent_id": org_id,
                               "external_key": None})
            for s in range(SITES_PER_DIVISION):
                site_id = next_id = next_id + 1
                site_path = f"{div_path}site:{site_id}/"
                sites.append((site_id, site_path))
                scope_rows.append({"id": site_id, "tenant_id": tenant_id, "kind": "site",
                                   "name": f"Site {o}.{d}.{s}", "path": site_path,
                                   "parent_id": div_id, "external_key": None})
    with engine.begin() as conn:
        conn.execute(insert(SCOPES), scope_rows)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    start = dt.date(2024, 1, 1)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    sites_per_org = DIVISIONS * SITES_PER_DIVISION
    total = organizations * DOCS_PER_ORG
    batch: list[dict[str, Any]] = []
    for n in range(total):
        org = n // DOCS_PER_ORG
        site_id, site_path = sites[org * sites_per_org + rng.randrange(sites_per_org)]
        kind = rng.choices(kinds, weights)[0]
        roll = rng.random()
        if roll < 0.10:
            status = "draft"
        elif kind == "report" and roll < 0.20:
            status = "submitted"
        else:
            status = LIVE_STATUS[kind]
        batch.append({
            "tenant_id": tenant_id, "scope_id": site_id, "scope_path": site_path,
            "kind": kind, "status": status, "number": f"{kind[:3].upper()}-{n:07d}",
            "title": "", "issued_on": start + dt.timedelta(days=rng.randrange(730)),
            "total_cents": rng.randrange(100_000), "currency": "USD", "filename": None,
            "content_type": "application/pdf", "external_key": None, "created_at": now,
        })
        if len(batch) == BATCH:
            with engine.begin() as conn:
                conn.execute(insert(DOCUMENTS), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(DOCUMENTS), batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    chosen = organizations // 2
    return {"grant_paths": divisions[chosen][:2], "documents": total}


def setup(url: str, organizations: int) -> dict[str, Any]:
    """A migrated database with the data set, a customer and their services."""
    storage = SqlAlchemyStorage.from_url(url)
    portal = portalkit.Portal(storage, secret_key=SECRET)
    portal.upgrade()
    tenant = portal.create_tenant("default", "Bench")
    started = time.perf_counter()
    layout = load(storage.engine, tenant.id, organizations)
    load_s = time.perf_counter() - started
    with portal.admin() as admin:
        admin.define_role("customer", DOCUMENT_KIND_PERMISSIONS.values())
        user = admin.create_user("ann@example.com", "Ann")
        for path in layout["grant_paths"]:
            node = admin.uow.scopes.find(tenant.id, Eq("path", path), limit=1)[0]
            admin.grant(user, "customer", scope=node)
    principal = Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=user.id)
    clock = SystemClock()
    service = DocumentService(
        storage, policies=load_policy, signer=ItsdangerousTokenSigner(SECRET, clock=clock),
        secret_keys=[SECRET.encode()], clock=clock,
    )
    return {"portal": portal, "storage": storage, "service": service, "principal": principal,
            "tenant_id": tenant.id, "load_s": load_s, **layout}


def _interleaved(fns: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, Any]]:
    """Warm up, then call each function in turn CALLS times (so load bursts on a
    shared machine hit every side alike); the median seconds and last result of each."""
    results = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(CALLS):
        for name, fn in fns.items():
            seconds, results[name] = timed(fn)
            times[name].append(seconds)
    return {name: (median(times[name]), results[name]) for name in fns}


def measure(url: str, label: str, organizations: int, repeat: int) -> dict[str, Any]:
    """Time portalkit's page and the raw page on one database, alternating."""
    world = setup(url, organizations)
    service: DocumentService = world["service"]
    who: Principal = world["principal"]
    engine: Engine = world["storage"].engine
    with world["storage"].unit_of_work() as uow:
        policy = load_policy(uow, who)
    p1, p2 = world["grant_paths"]
    params = {"tenant": world["tenant_id"], "p1": p1, "p1_end": _end(p1), "p2": p2,
              "p2_end": _end(p2)}
    raw_stmt = text(RAW_SQL)

    def ours() -> list[int]:
        return [d.id for d in service.list(who, size=PAGE, policy=policy)]

    def ours_with_policy_load() -> list[int]:
        return [d.id for d in service.list(who, size=PAGE)]

    def raw() -> list[int]:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(raw_stmt, params).all()]

    ours_t: list[float] = []
    raw_t: list[float] = []
    loaded_t: list[float] = []
    mismatches = 0
    for _ in range(repeat):
        gc.collect()
        runs = _interleaved({"ours": ours, "raw": raw, "loaded": ours_with_policy_load})
        ours_t.append(runs["ours"][0])
        raw_t.append(runs["raw"][0])
        loaded_t.append(runs["loaded"][0])
        want = runs["raw"][1]
        mismatches += int(runs["ours"][1] != want) + int(runs["loaded"][1] != want)
        if len(want) != PAGE:
            mismatches += 1
    world["portal"].close()
    return {
        "label": label,
        "documents": world["documents"],
        "load_s": world["load_s"],
        "portalkit_ms": median(ours_t) * 1000,
        "raw_ms": median(raw_t) * 1000,
        "with_policy_load_ms": median(loaded_t) * 1000,
        "ratio": median(ours_t) / median(raw_t),
        "mismatches": mismatches,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    large_orgs = 100 if args.quick else 1000
    small_orgs = 10
    repeat = 1 if args.quick else args.repeat
    results: list[dict[str, Any]] = []
    for orgs in (small_orgs, large_orgs):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", orgs, repeat))
    pg = postgres_url()
    if pg:
        for orgs in (small_orgs, large_orgs):
            with postgres_schema(pg) as url:
                results.append(measure(url, "postgresql", orgs, repeat))
    else:
        print("PostgreSQL: skipped (set PORTALKIT_BENCH_DATABASE_URL)")
    print_table(
        f"one page of {PAGE} documents, division-level grants, median of {CALLS} calls x {repeat}",
        ["database", "documents", "load s", "portalkit ms", "raw ms", "portalkit/raw",
         "with policy load ms", "mismatches"],
        [[r["label"], f"{r['documents']:,}", r["load_s"], r["portalkit_ms"], r["raw_ms"],
          r["ratio"], r["with_policy_load_ms"], r["mismatches"]] for r in results],
    )
    ratios: dict[str, float] = {}
    for db in sorted({r["label"] for r in results}):
        small, large = (r for r in results if r["label"] == db)
        ratios[f"portalkit_over_raw_{db}_{large['documents']}"] = large["ratio"]
        ratios[f"portalkit_over_raw_{db}_{small['documents']}"] = small["ratio"]
        ratios[f"large_over_small_{db}"] = large["portalkit_ms"] / small["portalkit_ms"]
    worst = max(r["ratio"] for r in results)
    growth = max(v for k, v in ratios.items() if k.startswith("large_over_small"))
    write_json(args.json, {
        "name": "documents",
        "quick": args.quick,
        "params": {
            "documents": large_orgs * DOCS_PER_ORG, "small_documents": small_orgs * DOCS_PER_ORG,
            "organizations": large_orgs, "page_size": PAGE, "drafts": 0.10,
            "grants": "two divisions of one organization", "calls": CALLS, "repeat": repeat,
            "databases": sorted({r["label"] for r in results}),
        },
        "results": {
            "portalkit": {f"{r['label']}_{r['documents']}_ms": r["portalkit_ms"] for r in results},
            "raw": {f"{r['label']}_{r['documents']}_ms": r["raw_ms"] for r in results},
            "portalkit_with_policy_load": {
                f"{r['label']}_{r['documents']}_ms": r["with_policy_load_ms"] for r in results
            },
        },
        "ratios": {"portalkit_over_raw": worst, "large_over_small": growth} | ratios,
        "targets": {"portalkit_over_raw": "<= 1.3", "large_over_small": "<= 1.5"},
        "mismatches": sum(r["mismatches"] for r in results),
    })


if __name__ == "__main__":
    main()
