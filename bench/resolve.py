"""Asset lookup: portalkit's resolve vs a hand-written indexed SELECT.

The same inputs go to both, lookup by lookup, each side going first in turn:
50% hits in the principal's organizations, 25% numbers that exist only in
other organizations (out of scope), 25% numbers that exist nowhere. The
hand-written query is the floor: one SELECT on the normalized number and
plate columns with the principal's organizations as path ranges, through the
same engine, reading the asset's columns into plain rows (what any resolver
must return; no entity objects). portalkit validates and normalizes the text,
builds the scope filter from the principal's policy (loaded once, as a web
request would) and groups the matches; lookup throttling is switched off for
the comparison (``lookup_rate=0``) and timed separately.

    python bench/resolve.py [--quick] [--json PATH]

Target: portalkit/raw <= 1.3 at p50 on SQLite and PostgreSQL; lookup time at
1M assets within 1.5x of 10k. Also printed: out-of-scope vs missing p50 (the
no-leak check: they should be equal within noise).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import parse_args, postgres_schema, postgres_url, print_table, write_json
from sqlalchemy import Engine, insert, text

import portalkit
from portalkit import perms
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import Base
from portalkit.domain.resolver import NOT_FOUND, Ambiguous, Found
from portalkit.domain.scopes import organization_id

SECRET = "bench-secret-key-bench-secret-key-0123456789"
ORGS = 1000
MINE = 10  # organizations the principal can see
LOOKUPS = 2000
ASSETS = Base.metadata.tables["portalkit_assets"]
SCOPES = Base.metadata.tables["portalkit_scopes"]

# The floor reads what a resolver returns: the asset's row (its columns, no ORM).
RAW_SQL = text(
    "SELECT " + ", ".join(ASSETS.c.keys()) + " FROM portalkit_assets WHERE tenant_id = :tid "
    "AND (number_key = :key OR plate_key = :key) AND ("
    + " OR ".join(f"(scope_path >= :lo{i} AND scope_path < :hi{i})" for i in range(MINE))
    + ") LIMIT 50"
)


def build(url: str, count: int) -> tuple[portalkit.Portal, Engine, Any, list[str]]:
    """Load *count* assets over ORGS organizations; return the portal and a principal."""
    storage = SqlAlchemyStorage.from_url(url)  # a fresh file or schema
    portal = portalkit.Portal(storage, secret_key=SECRET)
    portal.upgrade()
    with portal.admin() as admin:
        admin.update_settings(lookup_rate=0)
        admin.define_role("finder", [perms.ASSET_VIEW])
        tid = admin.tenant.id
        user = admin.create_user("bench@example.com", "Bench")
    engine = storage.engine
    with engine.begin() as conn:
        conn.execute(insert(SCOPES), [
            {"tenant_id": tid, "kind": "organization", "name": f"Org {o}", "path": "/",
             "parent_id": None, "external_key": f"O{o}"}
            for o in range(ORGS)
        ])
        conn.execute(text("UPDATE portalkit_scopes SET path = '/org:' || id || '/' "
                          "WHERE tenant_id = :tid"), {"tid": tid})
        orgs = [row[0] for row in conn.execute(
            text("SELECT path FROM portalkit_scopes WHERE tenant_id = :tid ORDER BY id"),
            {"tid": tid})]
        ids = [organization_id(p) for p in orgs]
        batch: list[dict[str, Any]] = []
        for i in range(count):
            o = i % ORGS
            batch.append({
                "tenant_id": tid, "scope_id": ids[o], "scope_path": orgs[o],
                "number": f"N-{i}", "number_key": f"n{i}", "plate": f"P {i}",
                "plate_key": f"p{i}", "plate_fold": f"p{i}", "region": None,
                "external_key": f"E{i}", "asset_type": "", "description": "", "model": "",
                "serial": "", "customer_ref": "", "last_test_number": None,
                "last_test_date": None,
            })
            if len(batch) == 20_000:
                conn.execute(insert(ASSETS), batch)
                batch = []
        if batch:
            conn.execute(insert(ASSETS), batch)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    with portal.admin() as admin:
        for o in range(MINE):
            admin.grant(user, "finder", scope=ids[o])
    return portal, engine, portal.principal_for(user), orgs[:MINE]


def inputs(count: int, seed: int = 20240601) -> list[tuple[str, str]]:
    """(text, kind) lookups: hits, out-of-scope numbers, and misses."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for n in range(LOOKUPS):
        i = rng.randrange(count)
        if n % 4 in (0, 1):
            i -= i % ORGS - rng.randrange(MINE)  # an asset in one of the principal's orgs
            i = i if i < count else i - ORGS
            out.append((f"N-{i}" if n % 8 else f"p {i}", "hit"))
        elif n % 4 == 2:
            i -= i % ORGS - (MINE + rng.randrange(ORGS - MINE))
            i = i if i < count else i - ORGS
            out.append((f"n {i}", "hidden"))
        else:
            out.append((f"N-{count + i}", "missing"))
    return out


def measure(url: str, label: str, count: int) -> dict[str, Any]:
    """Run the lookups through both sides, interleaved, and compare answers."""
    portal, engine, principal, mine = build(url, count)
    with portal.storage.unit_of_work() as uow:
        from portalkit._services.policy import load_policy  # noqa: PLC0415

        policy = load_policy(uow, principal)
    params_scope = {}
    for i, path in enumerate(mine):
        params_scope[f"lo{i}"] = path
        params_scope[f"hi{i}"] = path[:-1] + "0"
    ours: dict[str, list[float]] = {"hit": [], "hidden": [], "missing": []}
    raw: list[float] = []
    mismatches = 0
    work = inputs(count)

    def run_raw(text_: str) -> list[Any]:
        key = text_.lower().replace("-", "").replace(" ", "")
        with engine.connect() as conn:  # one transaction per lookup, like a request
            return conn.execute(RAW_SQL, {"tid": principal.tenant_id, "key": key,
                                          **params_scope}).all()

    def run_ours(text_: str) -> Any:
        return portal.assets.resolve(principal, text_, policy=policy)

    for text_, _kind in work[:50]:  # warm both paths
        run_raw(text_)
        run_ours(text_)
    for n, (text_, kind) in enumerate(work):
        # Each side goes first in turn, so neither always runs on the other's warm caches.
        for side in ("raw", "ours") if n % 2 == 0 else ("ours", "raw"):
            t0 = time.perf_counter()
            if side == "raw":
                rows = run_raw(text_)
                raw.append(time.perf_counter() - t0)
            else:
                result = run_ours(text_)
                ours[kind].append(time.perf_counter() - t0)
        expected = "missing" if not rows else "hit"
        got = "hit" if isinstance(result, Found) else (
            "ambiguous" if isinstance(result, Ambiguous) else "missing")
        if got != expected or (kind != "hit" and result is not NOT_FOUND):
            mismatches += 1
        if isinstance(result, Found) and result.asset.id != rows[0][0]:
            mismatches += 1
    # The full path: policy loaded per call and throttling on (what a request pays).
    with portal.admin() as admin:
        admin.update_settings(lookup_rate=1_000_000)
    full = []
    for text_, _kind in work[:300]:
        t0 = time.perf_counter()
        portal.assets.resolve(principal, text_, client_key="127.0.0.1")
        full.append(time.perf_counter() - t0)
    portal.close()
    every = [t for ts in ours.values() for t in ts]
    p = lambda xs, q: statistics.quantiles(xs, n=100)[q - 1] * 1e6  # noqa: E731
    return {
        "label": label, "count": count,
        "p50_us": statistics.median(every) * 1e6, "p99_us": p(every, 99),
        "raw_p50_us": statistics.median(raw) * 1e6, "raw_p99_us": p(raw, 99),
        "ratio_p50": statistics.median(every) / statistics.median(raw),
        "hidden_p50_us": statistics.median(ours["hidden"]) * 1e6,
        "missing_p50_us": statistics.median(ours["missing"]) * 1e6,
        "full_p50_us": statistics.median(full) * 1e6,
        "mismatches": mismatches,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    sizes = (10_000, 100_000) if args.quick else (10_000, 1_000_000)
    targets: list[tuple[str, str]] = []
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets += [(f"sqlite:///{Path(tmp) / f'r{n}.db'}", "sqlite") for n in range(2)]
        pg = postgres_url()
        for n, size in enumerate(sizes):
            results.append(measure(targets[n][0], "sqlite", size))
            if pg:
                with postgres_schema(pg) as url:
                    results.append(measure(url, "postgresql", size))
        if not pg:
            print("PostgreSQL: skipped (set PORTALKIT_BENCH_DATABASE_URL)")
    print_table(
        f"resolve: {LOOKUPS} lookups (50% hits, 25% out of scope, 25% missing), "
        f"{ORGS} organizations",
        ["database", "assets", "p50 us", "p99 us", "raw p50", "raw p99", "ours/raw p50",
         "hidden p50", "missing p50", "full path p50", "mismatches"],
        [[r["label"], r["count"], r["p50_us"], r["p99_us"], r["raw_p50_us"], r["raw_p99_us"],
          r["ratio_p50"], r["hidden_p50_us"], r["missing_p50_us"], r["full_p50_us"],
          r["mismatches"]] for r in results],
    )
    big = {r["label"]: r for r in results if r["count"] == sizes[1]}
    small = {r["label"]: r for r in results if r["count"] == sizes[0]}
    ratios: dict[str, float] = {
        "portalkit_over_raw": max(r["ratio_p50"] for r in big.values()),
    }
    for label, r in big.items():
        ratios[f"portalkit_over_raw_{label}"] = r["ratio_p50"]
        ratios[f"large_over_small_{label}"] = r["p50_us"] / small[label]["p50_us"]
        ratios[f"hidden_over_missing_{label}"] = r["hidden_p50_us"] / r["missing_p50_us"]
    write_json(args.json, {
        "name": "resolve",
        "quick": args.quick,
        "params": {"assets": list(sizes), "organizations": ORGS, "lookups": LOOKUPS,
                   "visible_organizations": MINE},
        "results": {
            "portalkit": {f"{r['label']}_{r['count']}_p50_us": r["p50_us"] for r in results}
            | {f"{r['label']}_{r['count']}_p99_us": r["p99_us"] for r in results}
            | {f"{r['label']}_{r['count']}_full_path_p50_us": r["full_p50_us"] for r in results},
            "raw": {f"{r['label']}_{r['count']}_p50_us": r["raw_p50_us"] for r in results},
        },
        "ratios": ratios,
        "targets": {"portalkit_over_raw": "<= 1.3", "large_over_small": "<= 1.5"},
        "mismatches": sum(r["mismatches"] for r in results),
    })


if __name__ == "__main__":
    main()
