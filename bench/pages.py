"""Benchmark: the Flask example's pages vs a hand-written Flask app over the same tables.

Five read pages of ``examples/flask_app`` for a signed-in customer whose access
comes from one division-level grant (the demo's ``fleet_manager`` role at City
Fleet's Streets division):

    home (/), plate lookup (/lookup?q=..., a redirect), asset page
    (/assets/<id>), invoice list (/documents/invoices), jobs list (/jobs)

against ``bench/handwritten_portal.py``: the same pages rendered with the same
templates by plain SQL (a session lookup, one access query over grants, roles
and groups, lists filtered by the granted path as a prefix), one transaction
per request. Data: the demo data set plus 1,000 assets and 1,000 documents per
site. In-process through Flask's test client; both sides alternate request by
request (their order swapped every round), medians per page. Every pair of
answers is compared: the HTML with the per-session values (CSRF tokens, form
nonces, list cursors) blanked must be identical, and a lookup must redirect to
the same address; each difference is a mismatch.

Per page and side the bench also counts SQL statements (``before_cursor_execute``
on each side's engine; BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE not
counted) and transactions (the engine's ``begin`` events).

Then, on SQLite only:

* throughput: the asset page with 1, 2 and 4 worker *processes*, each with its
  own apps on the one database file, each side for a fixed duration;
* write lock: another process holds a write transaction open for 6 s
  (``BEGIN IMMEDIATE`` and an UPDATE); meanwhile each side serves the asset
  page once, and its status and latency are reported.

    python bench/pages.py [--quick] [--json PATH] [--postgres URL]
                          [--requests N] [--parts pages,throughput,write-lock]

PostgreSQL comes from ``--postgres``, else ``PORTALKIT_BENCH_DATABASE_URL`` or
``PORTALKIT_TEST_DATABASE_URL`` (a schema of its own, dropped afterwards).
``--quick`` measures 30 requests per page and 1 s per throughput run.
Targets: ``portalkit_over_handwritten <= 1.5`` (worst page, worst backend),
``extra_statements_max <= 2``, ``transactions_max <= 1`` (read-only pages; the
lookup writes its throttle counter), the write-lock page answered in < 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _util import ROOT, postgres_schema, postgres_url, print_table, write_json
from sqlalchemy import Engine, event

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import handwritten_portal

SECRET = "pages-bench-secret-key-that-is-long-enough-0123456789"
PASSWORD = "pages-bench-lantern-harbour-violet-42"
EMAIL = "dana@cityfleet.example"
DIVISION = "CF-ST"
SITES = ("CF-D4", "CF-NY", "CF-RP", "GA-ME", "GA-HOP", "RA-MAIN", "RA-AIR")
PER_SITE = 1000
PLATE = "CF0 200"
ASSET_NUMBER = "CF-100"
#: (name, path or None for the asset page, reads only).
PAGES: tuple[tuple[str, str | None, bool], ...] = (
    ("home", "/", True),
    ("lookup", "/lookup?q=" + PLATE.replace(" ", "+"), False),
    ("asset", None, True),
    ("invoices", "/documents/invoices", True),
    ("jobs", "/jobs", True),
)
SIDES = ("portalkit", "handwritten")
HOLD_SECONDS = 6.0
_NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
_BLANK = (
    re.compile(r'(name="csrf_token" value=")[^"]*(")'),
    re.compile(r'(name="nonce" value=")[^"]*(")'),
    re.compile(r'(cursor=)[^"&]*(")'),
)


def parse_args() -> argparse.Namespace:
    """This bench's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--postgres", help="PostgreSQL URL (default: the bench/test env var)")
    parser.add_argument("--requests", type=int, help="requests per page and side")
    parser.add_argument("--parts", default="pages,throughput,write-lock",
                        help="comma-separated: pages, throughput, write-lock")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite")
    return parser.parse_args()


# Data ----------------------------------------------------------------------------


def prepare(url: str) -> None:
    """Migrate, load the demo, add the bench user and 1,000 assets and documents per site."""
    from examples.flask_app import create_app  # noqa: PLC0415

    from portalkit._services.identity import set_password  # noqa: PLC0415
    from portalkit.adapters.mail import MemoryMailer  # noqa: PLC0415
    from portalkit.demo import DEMO_TENANT  # noqa: PLC0415

    app = create_app(url, secret_key=SECRET, mailer=MemoryMailer(), demo=True)
    portal = app.extensions["portalkit"].portal
    try:
        portal.upsert_assets(
            (
                {
                    "external_key": f"BENCH-{site}-{i}", "number": f"{site}-A{i:04d}",
                    "scope_key": site, "asset_type": "Van", "description": f"Van {i}",
                    "model": "M1", "serial": f"S{i:05d}", "customer_ref": f"R{i}",
                }
                for site in SITES for i in range(PER_SITE)
            ),
            tenant=DEMO_TENANT,
        )
        kinds = ("invoice", "quote", "report", "statement")
        with portal.admin(DEMO_TENANT) as admin:
            # The lookup limit is an anti-enumeration limit, not what is measured.
            admin.update_settings(lookup_rate=1_000_000)
            for site in SITES:
                node = admin.scope_by_key(site)
                for i in range(PER_SITE):
                    kind = kinds[i % 4]
                    status = ("paid", "awaiting_payment", "draft")[i % 3]
                    admin.add_document(
                        kind=kind, status="approved" if kind == "report" else status,
                        number=f"{site}-D{i:04d}", scope=node,
                        issued_on=dt.date(2026, 10, 1) - dt.timedelta(days=i % 300),
                        title=f"{kind.capitalize()} {i} for {node.name}",
                        total_cents=10_000 + 7 * i, currency="USD",
                    )
            user = admin.create_user(EMAIL, "Dana Division")
            admin.grant(user, "fleet_manager", scope=admin.scope_by_key(DIVISION))
            set_password(
                admin.uow, admin.tenant, admin.user(user), PASSWORD, PASSWORD,
                hasher=portal.hasher, policy=portal.identity.password_policy,
            )
    finally:
        portal.close()


class Apps:
    """Both sides on one database: apps, signed-in clients, the asset page's address."""

    def __init__(self, url: str) -> None:
        from examples.flask_app import create_app  # noqa: PLC0415

        from portalkit.adapters.mail import MemoryMailer  # noqa: PLC0415

        self.portalkit = create_app(url, secret_key=SECRET, mailer=MemoryMailer(), demo=False)
        # A 503 under the write lock is a measured outcome, not a log to print.
        self.portalkit.logger.disabled = True
        self.portal = self.portalkit.extensions["portalkit"].portal
        self.handwritten = handwritten_portal.create_app(url, secret_key=SECRET)
        self.engines: dict[str, Engine] = {
            "portalkit": self.portal.storage.engine,
            "handwritten": self.handwritten.extensions["handwritten_engine"],
        }
        self.clients = {
            "portalkit": self.portalkit.test_client(),
            "handwritten": self.handwritten.test_client(),
        }
        form = self.clients["portalkit"].get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed = self.clients["portalkit"].post(
            "/login", data={"identifier": EMAIL, "password": PASSWORD,
                            "csrf_token": token.group(1)},
        )
        assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
        handwritten_portal.sign_in(self.handwritten, self.clients["handwritten"], EMAIL)
        found = self.clients["portalkit"].get(PAGES[1][1] or "")
        assert found.status_code == 302, found.status_code
        self.asset_path = found.headers["Location"]

    def path(self, page: str) -> str:
        """The address of *page*."""
        for name, path, _ in PAGES:
            if name == page:
                return path or self.asset_path
        raise KeyError(page)

    def close(self) -> None:
        """Release both sides' connections."""
        self.portal.close()
        self.engines["handwritten"].dispose()


# Counting -------------------------------------------------------------------------


class Counter:
    """SQL statements and transactions on one engine while ``on``."""

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.statements = 0
        self.transactions = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.on and not statement.lstrip().upper().startswith(_NOT_COUNTED):
            self.statements += 1

    def _begin(self, _conn: Any) -> None:
        if self.on:
            self.transactions += 1

    @contextmanager
    def counting(self) -> Iterator[Counter]:
        """Count from zero inside the block."""
        self.statements = self.transactions = 0
        self.on = True
        try:
            yield self
        finally:
            self.on = False


def shown(body: str) -> str:
    """The page with the per-session values blanked."""
    for pattern in _BLANK:
        body = pattern.sub(r"\1\2", body)
    return body


def answer(response: Any) -> tuple[int, str]:
    """What a page showed: its status and its blanked body (or redirect target)."""
    if response.status_code in (301, 302, 303):
        return response.status_code, response.headers.get("Location", "")
    return response.status_code, shown(response.get_data(as_text=True))


# The page comparison ---------------------------------------------------------------


def measure_pages(label: str, url: str, requests: int) -> dict[str, Any]:
    """Interleaved medians, statements, transactions and mismatches per page."""
    apps = Apps(url)
    counters = {side: Counter(apps.engines[side]) for side in SIDES}
    pages: dict[str, Any] = {}
    examples: dict[str, str] = {}
    try:
        for name, _, reads_only in PAGES:
            path = apps.path(name)
            for _ in range(5):  # warm caches and statement caches on both sides
                for side in SIDES:
                    apps.clients[side].get(path)
            counts = {}
            for side in SIDES:
                with counters[side].counting() as counter:
                    apps.clients[side].get(path)
                counts[side] = (counter.statements, counter.transactions)
            times: dict[str, list[float]] = {side: [] for side in SIDES}
            mismatches = 0
            statuses: dict[str, int] = {}
            for n in range(requests):
                got = {}
                for side in SIDES if n % 2 == 0 else SIDES[::-1]:
                    client = apps.clients[side]
                    start = time.perf_counter()
                    response = client.get(path)
                    times[side].append(time.perf_counter() - start)
                    got[side] = answer(response)
                if got["portalkit"] != got["handwritten"]:
                    mismatches += 1
                    examples.setdefault(name, _difference(got["portalkit"], got["handwritten"]))
                statuses = {side: got[side][0] for side in SIDES}
            ms = {side: statistics.median(times[side]) * 1000 for side in SIDES}
            pages[name] = {
                "reads_only": reads_only,
                "status": statuses,
                "portalkit_ms": ms["portalkit"],
                "handwritten_ms": ms["handwritten"],
                "ratio": ms["portalkit"] / ms["handwritten"],
                "portalkit_statements": counts["portalkit"][0],
                "handwritten_statements": counts["handwritten"][0],
                "extra_statements": counts["portalkit"][0] - counts["handwritten"][0],
                "portalkit_transactions": counts["portalkit"][1],
                "handwritten_transactions": counts["handwritten"][1],
                "mismatches": mismatches,
            }
    finally:
        apps.close()
    return {"label": label, "requests": requests, "pages": pages, "differences": examples}


def _difference(ours: tuple[int, str], theirs: tuple[int, str]) -> str:
    if ours[0] != theirs[0]:
        return f"status {ours[0]} vs {theirs[0]}"
    a, b = ours[1], theirs[1]
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    lo, hi = max(0, at - 80), at + 120
    return f"at {at}: portalkit {a[lo:hi]!r} / handwritten {b[lo:hi]!r}"


# Throughput and the write lock (SQLite, worker processes) ----------------------------


ROUNDS = (1, 2, 4)


def _worker(url: str, seconds: float, start: Any, counts: Any, index: int) -> None:
    """One process: both sides signed in; in each round it is part of, each side
    serves the asset page for *seconds* (pages per second go to *counts*)."""
    apps = Apps(url)
    try:
        for r, workers in enumerate(ROUNDS):
            for n, side in enumerate(SIDES):
                client, path = apps.clients[side], apps.asset_path
                client.get(path)
                start.wait()
                if index >= workers:
                    continue
                done, end = 0, time.perf_counter() + seconds
                slot = (r * max(ROUNDS) + index) * len(SIDES) + n
                while time.perf_counter() < end:
                    if client.get(path).status_code != 200:
                        counts[slot] = -1.0
                        break
                    done += 1
                else:
                    counts[slot] = done / seconds
    finally:
        apps.close()


def measure_throughput(url: str, seconds: float) -> dict[str, Any]:
    """Asset pages per second with 1, 2 and 4 worker processes, per side.

    The four processes start (and sign in) once; each round only the first
    1, 2 or 4 of them serve pages, all at the same time.
    """
    context = multiprocessing.get_context("spawn")
    most = max(ROUNDS)
    start = context.Barrier(most + 1)
    counts = context.Array("d", len(ROUNDS) * most * len(SIDES))
    procs = [
        context.Process(target=_worker, args=(url, seconds, start, counts, i))
        for i in range(most)
    ]
    for proc in procs:
        proc.start()
    for _ in range(len(ROUNDS) * len(SIDES)):
        start.wait(timeout=180)
    for proc in procs:
        proc.join(timeout=180)
    out: dict[str, Any] = {side: {} for side in SIDES}
    for r, workers in enumerate(ROUNDS):
        for n, side in enumerate(SIDES):
            rates = [counts[(r * most + i) * len(SIDES) + n] for i in range(workers)]
            out[side][str(workers)] = None if any(x <= 0 for x in rates) else sum(rates)
    return out


def _hold_write(path: str, seconds: float, ready: Any) -> None:
    """Hold a write transaction on the SQLite file for *seconds*, then roll back."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE portalkit_tenants SET name = name")
    ready.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def measure_write_lock(url: str, path: str) -> dict[str, Any]:
    """Each side's asset page while another process holds a write transaction."""
    apps = Apps(url)
    results: dict[str, Any] = {}
    try:
        for side in SIDES:
            apps.clients[side].get(apps.asset_path)
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        holder = context.Process(target=_hold_write, args=(path, HOLD_SECONDS, ready))
        holder.start()
        if not ready.wait(timeout=60):
            raise RuntimeError("the writer did not start")

        def read(side: str) -> None:
            start = time.perf_counter()
            response = apps.clients[side].get(apps.asset_path)
            results[side] = {
                "status": response.status_code,
                "ms": (time.perf_counter() - start) * 1000,
            }

        threads = [threading.Thread(target=read, args=(side,)) for side in SIDES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holder.join(timeout=HOLD_SECONDS + 30)
    finally:
        apps.close()
    for side in SIDES:
        results[side]["answered_under_50ms"] = (
            results[side]["status"] == 200 and results[side]["ms"] < 50
        )
    results["hold_s"] = HOLD_SECONDS
    return results


# The run -------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every part asked for; the JSON object."""
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    requests = args.requests or (30 if args.quick else 320)
    seconds = 1.0 if args.quick else 10.0
    backends: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    on_sqlite = parts if not args.postgres_only else set()
    with tempfile.TemporaryDirectory(prefix="pk-pages-") as tmp:
        db = Path(tmp) / "pages.db"
        sqlite_url = f"sqlite:///{db}"
        if on_sqlite:
            prepare(sqlite_url)
        if "pages" in on_sqlite:
            backends.append(measure_pages("sqlite", sqlite_url, requests))
        if "throughput" in on_sqlite:
            extra["throughput_sqlite_pages_per_s"] = measure_throughput(sqlite_url, seconds)
        if "write-lock" in on_sqlite:
            extra["write_lock_sqlite"] = measure_write_lock(sqlite_url, str(db))
    pg = None if args.sqlite_only else (args.postgres or postgres_url())
    if pg and "pages" in parts:
        with postgres_schema(pg) as own:
            prepare(own)
            backends.append(measure_pages("postgresql", own, requests))
    return summarize(args, requests, backends, extra)


def summarize(
    args: argparse.Namespace, requests: int, backends: list[dict[str, Any]],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The JSON object, from the measured backends."""
    pages = [(b["label"], name, p) for b in backends for name, p in b["pages"].items()]
    worst = max(pages, key=lambda x: x[2]["ratio"], default=None)
    reading = [p for _, _, p in pages if p["reads_only"]]
    result: dict[str, Any] = {
        "name": "pages",
        "quick": bool(args.quick),
        "params": {
            "requests_per_page": requests, "assets_per_site": PER_SITE,
            "documents_per_site": PER_SITE, "sites": len(SITES),
            "grant": f"fleet_manager at division {DIVISION}",
            "backends": [b["label"] for b in backends],
        },
        "results": {
            "portalkit": {
                "transactions_max": max((p["portalkit_transactions"] for p in reading),
                                        default=None),
                "statements_max": max((p["portalkit_statements"] for _, _, p in pages),
                                      default=None),
            },
            "handwritten": {
                "transactions_max": max((p["handwritten_transactions"] for p in reading),
                                        default=None),
                "statements_max": max((p["handwritten_statements"] for _, _, p in pages),
                                      default=None),
            },
            "pages": {b["label"]: b["pages"] for b in backends},
            **extra,
        },
        "ratios": {
            "portalkit_over_handwritten": worst[2]["ratio"] if worst else None,
            "worst_page": f"{worst[1]} ({worst[0]})" if worst else None,
            "extra_statements_max": max((p["extra_statements"] for _, _, p in pages),
                                        default=None),
        },
        "targets": {
            "portalkit_over_handwritten": "<= 1.5",
            "extra_statements_max": "<= 2",
            "transactions_max": "<= 1",
            "write_lock_ms": "< 50 (answered)",
        },
        "mismatches": sum(p["mismatches"] for _, _, p in pages),
    }
    differences = {b["label"]: b["differences"] for b in backends if b["differences"]}
    if differences:
        result["differences"] = differences
    return result


def report(result: dict[str, Any]) -> None:
    """Print the tables."""
    for label, pages in result["results"]["pages"].items():
        print_table(
            f"{label}: medians of {result['params']['requests_per_page']} requests per page",
            ["page", "portalkit ms", "hand ms", "ratio", "stmts pk/hand", "tx pk/hand",
             "mismatches"],
            [
                [name, p["portalkit_ms"], p["handwritten_ms"], p["ratio"],
                 f"{p['portalkit_statements']}/{p['handwritten_statements']}",
                 f"{p['portalkit_transactions']}/{p['handwritten_transactions']}",
                 p["mismatches"]]
                for name, p in pages.items()
            ],
        )
    throughput = result["results"].get("throughput_sqlite_pages_per_s")
    if throughput:
        print_table(
            "SQLite asset pages per second by worker processes",
            ["side", "1", "2", "4"],
            [[side, *(throughput[side][k] for k in ("1", "2", "4"))] for side in SIDES],
        )
    lock = result["results"].get("write_lock_sqlite")
    if lock:
        print_table(
            f"Asset page while another process holds a write for {lock['hold_s']} s",
            ["side", "status", "ms"],
            [[side, lock[side]["status"], lock[side]["ms"]] for side in SIDES],
        )
    print(f"\nratios: {result['ratios']}")
    print(f"transactions_max: {result['results']['portalkit']['transactions_max']}"
          f"  mismatches: {result['mismatches']}")
    for label, found in result.get("differences", {}).items():
        for page, text in found.items():
            print(f"  difference ({label}, {page}): {text}")


def main() -> None:
    """Run the bench from the command line."""
    args = parse_args()
    result = run(args)
    report(result)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
