"""Bulk upsert of assets: portalkit vs a raw SQLAlchemy Core executemany.

Both sides write the same rows into the same table in batches of 1,000, one
transaction per batch, with the same INSERT … ON CONFLICT statement shape;
portalkit additionally parses and validates each row, normalizes numbers and
plates, and resolves the host's scope keys. The raw side is the floor: rows
already in column form, keys (number, plate and folded plate: every column
portalkit writes) computed inline, scopes looked up once, and the statement
run by SQLAlchemy Core's executemany, as portalkit runs its statement.

A second floor, ``driver``, hands the same column rows to the driver's own
``cursor.executemany`` with the statement compiled once: what the database and
its driver cost with no SQLAlchemy per-row work. Both ratios are reported
(``portalkit_over_raw``, the target, and ``portalkit_over_driver``).

After one unmeasured run of each side, the runs alternate (each side going
first in turn) and every run's stored rows are compared column by column.

    python bench/bulk_upsert.py [--quick] [--json PATH]

Runs on a temporary SQLite file and, when PORTALKIT_BENCH_DATABASE_URL or
PORTALKIT_TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL too.
Target: portalkit/raw <= 1.5; peak memory growth from 10k to 100k rows < 50 MB.
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _util import (
    median,
    parse_args,
    peak_memory,
    postgres_schema,
    postgres_url,
    print_table,
    timed,
    write_json,
)
from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

import portalkit
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import Base

SECRET = "bench-secret-key-bench-secret-key-0123456789"
SITES = 100
BATCH = 1000
ASSETS = Base.metadata.tables["portalkit_assets"]
UPDATED = [
    c.name for c in ASSETS.columns if c.name not in {"id", "tenant_id", "external_key"}
]


def rows(count: int) -> Iterator[dict[str, Any]]:
    """The host's rows, streamed."""
    for i in range(count):
        yield {
            "external_key": f"A{i:07d}",
            "number": f"FL-{i:07d}",
            "plate": f"PL {i % 1000:03d}-{i // 1000:04d}",
            "scope_key": f"SITE-{i % SITES}",
            "asset_type": "Truck",
            "description": f"Truck number {i}",
            "model": "M2",
            "serial": f"SN{i}",
        }


def setup(url: str) -> tuple[portalkit.Portal, Engine, int]:
    """A migrated database with one tenant, one organization and its sites."""
    storage = SqlAlchemyStorage.from_url(url)
    portal = portalkit.Portal(storage, secret_key=SECRET)
    portal.upgrade()
    with portal.admin() as admin:
        org = admin.add_organization("Bench Org", external_key="ORG")
        for s in range(SITES):
            admin.add_scope(org, kind="site", name=f"Site {s}", external_key=f"SITE-{s}")
        tenant_id = admin.tenant.id
    return portal, storage.engine, tenant_id


def clear(engine: Engine, tenant_id: int) -> None:
    """Remove every asset, so each run inserts into an empty table."""
    with engine.begin() as conn:
        conn.execute(delete(ASSETS).where(ASSETS.c.tenant_id == tenant_id))


def upsert_statement(engine: Engine) -> Any:
    """INSERT … ON CONFLICT (tenant_id, external_key) DO UPDATE, in the engine's dialect."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(ASSETS)
    return stmt.on_conflict_do_update(
        index_elements=["tenant_id", "external_key"],
        set_={name: stmt.excluded[name] for name in UPDATED},
    )


def column_batches(engine: Engine, tenant_id: int, count: int) -> Iterator[list[dict[str, Any]]]:
    """The floors' rows: hand-written column dicts, in batches (scopes read once)."""
    scopes = Base.metadata.tables["portalkit_scopes"]
    with engine.connect() as conn:
        nodes = {
            key: (id_, path)
            for id_, path, key in conn.execute(
                select(scopes.c.id, scopes.c.path, scopes.c.external_key).where(
                    scopes.c.tenant_id == tenant_id
                )
            )
        }
    batch: list[dict[str, Any]] = []
    for row in rows(count):
        scope_id, path = nodes[row["scope_key"]]
        plate_key = row["plate"].lower().replace("-", "").replace(" ", "")
        batch.append({
            "tenant_id": tenant_id, "scope_id": scope_id, "scope_path": path,
            "number": row["number"],
            "number_key": row["number"].lower().replace("-", "").replace(" ", ""),
            "plate": row["plate"],
            "plate_key": plate_key,
            "plate_fold": plate_key.replace("o", "0").replace("i", "1").replace("l", "1"),
            "region": None, "external_key": row["external_key"],
            "asset_type": row["asset_type"], "description": row["description"],
            "model": row["model"], "serial": row["serial"], "customer_ref": "",
            "last_test_number": None, "last_test_date": None,
        })
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def raw_upsert(engine: Engine, tenant_id: int, count: int) -> int:
    """The floor: hand-written column dicts and one Core executemany per batch."""
    stmt = upsert_statement(engine)
    written = 0
    for batch in column_batches(engine, tenant_id, count):
        with engine.begin() as conn:
            conn.execute(stmt, batch)
        written += len(batch)
    return written


def driver_upsert(engine: Engine, tenant_id: int, count: int) -> int:
    """The second floor: the same statement compiled once and the same rows handed to
    the driver's own ``cursor.executemany`` (no SQLAlchemy per-row work at all)."""
    names = [c.name for c in ASSETS.columns if c.name != "id"]
    compiled = upsert_statement(engine).compile(dialect=engine.dialect, column_keys=names)
    sql = str(compiled)
    order = compiled.positiontup if engine.dialect.positional else None
    written = 0
    for batch in column_batches(engine, tenant_id, count):
        params: list[Any] = (
            [tuple(row[name] for name in order) for row in batch] if order else batch
        )
        with engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.executemany(sql, params)
            finally:
                cursor.close()
        written += len(batch)
    return written


def snapshot(engine: Engine, tenant_id: int) -> set[str]:
    """What a run stored (every column but the id), for comparing the two sides.

    Rows are kept as text: strings are not tracked by the garbage collector, so
    holding one side's snapshot does not slow the other side's timed run.
    """
    columns = [c for c in ASSETS.columns if c.name != "id"]
    with engine.connect() as conn:
        return {
            repr(tuple(row))
            for row in conn.execute(select(*columns).where(ASSETS.c.tenant_id == tenant_id))
        }


def measure(url: str, label: str, count: int, small: int, repeat: int) -> dict[str, Any]:
    """Time both sides on one database, alternating, and compare what they stored."""
    portal, engine, tenant_id = setup(url)
    runs = {
        "portalkit": lambda: portal.upsert_assets(rows(count), batch_size=BATCH),
        "raw": lambda: raw_upsert(engine, tenant_id, count),
        "driver": lambda: driver_upsert(engine, tenant_id, count),
    }
    # One unmeasured run of each side first: code paths and statement caches
    # warm, and the database file grown (whichever side wrote first into a
    # fresh file would pay for its growth).
    for run in runs.values():
        clear(engine, tenant_id)
        run()
    times: dict[str, list[float]] = {side: [] for side in runs}
    mismatches = 0
    sides = list(runs)
    for i in range(repeat):
        stored = {}
        # Interleaved, and each side goes first in turn.
        for side in sides[i % 3 :] + sides[: i % 3]:
            clear(engine, tenant_id)
            gc.collect()
            seconds, _result = timed(runs[side])
            times[side].append(seconds)
            stored[side] = snapshot(engine, tenant_id)
        mismatches += len(stored["portalkit"] ^ stored["raw"])
        mismatches += len(stored["portalkit"] ^ stored["driver"])
        del stored
    ours, raw, driver = times["portalkit"], times["raw"], times["driver"]
    # Re-running over existing rows (the nightly case) is the update path.
    seconds_update, report = timed(lambda: portal.upsert_assets(rows(count), batch_size=BATCH))
    assert report.updated == count, report
    peaks = {}
    for size in (small, count):
        clear(engine, tenant_id)
        with peak_memory() as box:
            portal.upsert_assets(rows(size), batch_size=BATCH)
        peaks[size] = box["peak_mb"]
    portal.close()
    return {
        "label": label,
        "portalkit_s": median(ours),
        "raw_s": median(raw),
        "update_s": seconds_update,
        "driver_s": median(driver),
        "ratio": median(ours) / median(raw),
        "ratio_driver": median(ours) / median(driver),
        "peak_small_mb": peaks[small],
        "peak_large_mb": peaks[count],
        "growth_mb": peaks[count] - peaks[small],
        "mismatches": mismatches,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    count, small = (10_000, 2_000) if args.quick else (100_000, 10_000)
    repeat = 1 if args.quick else args.repeat
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", count, small,
                               repeat))
    pg = postgres_url()
    if pg:
        with postgres_schema(pg) as url:
            results.append(measure(url, "postgresql", count, small, repeat))
    else:
        print("PostgreSQL: skipped (set PORTALKIT_BENCH_DATABASE_URL)")
    print_table(
        f"bulk upsert of {count:,} assets, batches of {BATCH}, median of {repeat}",
        ["database", "portalkit s", "raw s", "driver s", "portalkit/raw", "portalkit/driver",
         "update run s",
         f"peak MB {small // 1000}k", f"peak MB {count // 1000}k", "mismatches"],
        [[r["label"], r["portalkit_s"], r["raw_s"], r["driver_s"], r["ratio"],
          r["ratio_driver"], r["update_s"],
          r["peak_small_mb"], r["peak_large_mb"], r["mismatches"]] for r in results],
    )
    worst = max(results, key=lambda r: r["ratio"])
    write_json(args.json, {
        "name": "bulk_upsert",
        "quick": args.quick,
        "params": {"assets": count, "small": small, "batch_size": BATCH,
                   "databases": [r["label"] for r in results], "repeat": repeat},
        "results": {
            "portalkit": {f"{r['label']}_s": r["portalkit_s"] for r in results}
            | {f"{r['label']}_peak_growth_mb": r["growth_mb"] for r in results},
            "raw": {f"{r['label']}_s": r["raw_s"] for r in results},
            "driver": {f"{r['label']}_s": r["driver_s"] for r in results},
        },
        "ratios": {"portalkit_over_raw": worst["ratio"],
                   "portalkit_over_driver": max(r["ratio_driver"] for r in results)}
        | {f"portalkit_over_raw_{r['label']}": r["ratio"] for r in results}
        | {f"portalkit_over_driver_{r['label']}": r["ratio_driver"] for r in results},
        "targets": {"portalkit_over_raw": "<= 1.5", "peak_growth_mb": "< 50"},
        "mismatches": sum(r["mismatches"] for r in results),
    })


if __name__ == "__main__":
    main()
