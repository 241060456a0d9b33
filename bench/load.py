"""Load test: the Flask example portal on PostgreSQL, 50 concurrent clients, 60 seconds.

The example portal (``examples/flask_app``) runs under gunicorn (``gthread``
workers: several processes, several threads each) against PostgreSQL, in a
subprocess of its own. A second subprocess drives it over loopback with N
concurrent clients, each signed in as its own customer user of the demo's
City Fleet organization, doing a mix of what customers do:

    asset lookups (by number), asset pages, document lists (quotes, invoices,
    reports), PDF downloads (POST for a short-lived token, then GET the file),
    service-request submissions (GET the form, POST it) and sign-ins
    (sign out, GET the form, POST the credentials: Argon2id included).

Every form carries its CSRF token, as a browser's would. The clients present
distinct addresses through ``X-Forwarded-For`` (the server trusts the
loopback proxy), as customers behind a reverse proxy do. The demo tenant's
lookup limit is raised for the run (it is a per-user anti-enumeration limit,
not a capacity limit).

    python bench/load.py [--quick] [--json PATH] [--clients N] [--duration S]
                         [--think S] [--workers W] [--threads T]

The clients sign in during a ramp-up (10 s, 3 s with ``--quick``; every
client's first sign-in is an Argon2id computation) that is not measured;
then the run is measured for the duration. Each client waits a random
"think time" between actions (exponential, mean
``--think``, 1 s by default: a busy person clicking about once a second);
``--think 0`` sends requests back to back, which measures saturation
(latency is then clients / throughput, by Little's law) rather than what a
customer sees.

``--quick`` runs 10 s with 10 clients. The loop is bounded in time and in
requests per client, stops by itself, and only ever talks to 127.0.0.1.
Needs PostgreSQL: ``PORTALKIT_BENCH_DATABASE_URL`` or
``PORTALKIT_TEST_DATABASE_URL`` (``source .ci/postgres.sh; pg_start``); the
run works in a schema of its own, dropped afterwards.

Reports throughput, p50/p95/p99 latency per route and error counts, and
checks: 0 server errors (5xx, resets, timeouts), p99 <= 200 ms for every
page, and every accepted service request stored exactly once (count of
accepted answers == rows). It also reports where the CPU went during the
measured window (Linux): the server (gunicorn and its workers), the local
PostgreSQL server, the load driver and every other process on the machine,
the server's CPU per request, and the share of it spent on sign-ins
(Argon2id, measured once with the portal's parameters).

Server settings: one gunicorn worker per core (the GIL lets one process use
one core) with 8 threads each, which overlap the database round trips and
leave threads for pages while sign-ins wait their turn (measured on 2 cores
before sign-ins were moved off the request threads: 2 x 4 served more
requests with a lower p99 than 3 x 8, 4 x 2 or 2 x 2). One Argon2id
verification with the default four lanes keeps about 1.6 cores busy for
about 140 ms, and every page in flight stalls behind it. So each worker runs
its sign-ins on one thread of its own at the lowest priority
(:class:`portalkit.adapters.hashing_pool.LowPriorityHasher`, nice +19;
``--niceness N`` to choose, ``--niceness 0`` to hash on the request's thread
at its priority): the kernel serves pages first and sign-ins take the CPU
nobody else wants. Sign-ins also run one at a time across the workers (the
example's ``create_app(hash_lock=...)``, a lock file); ``--parallel-sign-ins``
lets them run side by side, for comparison.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _util import ROOT, postgres_url, print_table, write_json

SECRET = "load-bench-secret-key-that-is-long-enough-0123456789"
PASSWORD = "load-bench-lantern-harbour-violet-42"
CITY_FLEET = "CUST-1001"
#: Longest a single request may take before it counts as a server error.
REQUEST_TIMEOUT = 15.0
#: Most requests one client sends in a run, whatever the duration.
MAX_REQUESTS_PER_CLIENT = 20_000
#: What a client does, and how often (weights).
MIX = (
    ("lookup", 25),
    ("asset", 15),
    ("documents", 25),
    ("download", 15),
    ("request", 15),
    ("login", 5),
)
#: Routes whose latency is the sign-in (one Argon2id verification each).
ARGON2_ROUTES = frozenset({"POST /login"})

#: What a request on a connection the server has closed meanwhile fails with.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')


# The server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _schema_url(base: str, schema: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _admin_sql(base: str, statement: str) -> None:
    from sqlalchemy import create_engine  # noqa: PLC0415

    engine = create_engine(base)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def prepare(url: str, clients: int, run_id: str) -> dict[str, Any]:
    """Migrate, load the demo data, add one customer user per client; return the plan."""
    import portalkit  # noqa: PLC0415
    from portalkit._services.identity import set_password  # noqa: PLC0415
    from portalkit.adapters.mail import MemoryMailer  # noqa: PLC0415
    from portalkit.demo import DEMO_TENANT, load_demo  # noqa: PLC0415

    portal = portalkit.Portal.from_url(
        url,
        secret_key=SECRET,
        config=portalkit.PortalConfig(default_tenant=DEMO_TENANT, mailer=MemoryMailer()),
    )
    try:
        portal.upgrade()
        load_demo(portal)
        with portal.admin(DEMO_TENANT) as admin:
            admin.update_settings(lookup_rate=1_000_000)
            city = admin.scope_by_key(CITY_FLEET)
            users = []
            for i in range(clients):
                user = admin.create_user(f"load{i}@cityfleet.example", f"Load Client {i}")
                admin.grant(user, "fleet_manager", scope=city)
                set_password(
                    admin.uow, admin.tenant, admin.user(user), PASSWORD, PASSWORD,
                    hasher=portal.hasher, policy=portal.identity.password_policy,
                )
                users.append(user)
            tenant_id = admin.tenant.id
        with portal.storage.unit_of_work() as uow:
            assets = [
                (a.id, a.number)
                for a in uow.assets.find(tenant_id)
                if a.scope_path.startswith(city.path)
            ]
        who = portal.principal_for(users[0])
        documents = [
            d.id
            for kind in ("quote", "invoice", "report")
            for d in portal.documents.list(who, kind=kind, size=200).items
        ]
    finally:
        portal.close()
    if not assets or not documents:
        raise SystemExit("the demo data has no City Fleet assets or documents")
    return {
        "users": [u.email for u in users],
        "password": PASSWORD,
        "assets": assets,
        "documents": documents,
        "run_id": run_id,
        "tenant_id": tenant_id,
    }


def start_server(
    url: str,
    port: int,
    workers: int,
    threads: int,
    log: Path,
    hash_lock: str | None = None,
    hash_niceness: int | None = None,
) -> subprocess.Popen[bytes]:
    """gunicorn serving the example portal on 127.0.0.1:*port*, in a subprocess.

    With *hash_lock*, the workers run one Argon2id computation at a time; with
    *hash_niceness*, each worker runs them on a thread that lowered its priority
    by that much.
    """
    config = {"PORTALKIT_TRUSTED_PROXIES": ("127.0.0.1",)}
    factory = (
        f"examples.flask_app:create_app({url!r}, secret_key={SECRET!r}, demo=False, "
        f"config={config!r}, hash_lock={hash_lock!r}, hash_niceness={hash_niceness!r})"
    )
    command = [
        sys.executable, "-m", "gunicorn",
        "--chdir", str(ROOT),
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "60",
        "--keep-alive", "15",
        "--graceful-timeout", "5",
        "--log-level", "warning",
        "--access-logfile", "-" if os.environ.get("PORTALKIT_LOAD_ACCESS_LOG") else "/dev/null",
        factory,
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=sink, env=env)


def wait_ready(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Wait until the sign-in page answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server ended: {log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not start: {log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful), then SIGKILL if it lingers."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


# Where the CPU goes (Linux /proc; figures are None elsewhere) -------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def tree_cpu(pid: int | None) -> float | None:
    """CPU seconds of *pid* and its live descendants (plus children it reaped)."""
    if pid is None:
        return None
    fields = _stat(pid)
    if fields is None:
        return None
    # utime, stime, cutime, cstime are fields 14-17 (here 11-14).
    total = sum(int(v) for v in fields[11:15]) / _TICK
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        total += tree_cpu(int(child)) or 0.0
    return total


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children (the driver, once it has ended)."""
    import resource  # noqa: PLC0415

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_pid(url: str) -> int | None:
    """The local PostgreSQL server's main process, if it runs on this machine."""
    from sqlalchemy import create_engine  # noqa: PLC0415

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    finally:
        engine.dispose()
    fields = _stat(backend)
    return int(fields[1]) if fields else None  # the backend's parent: the postmaster


def argon2_verify_ms(repeat: int = 5) -> float:
    """CPU milliseconds of one sign-in's Argon2id verification (the portal's parameters)."""
    import portalkit  # noqa: PLC0415

    portal = portalkit.Portal.from_url("memory://", secret_key=SECRET)
    hashed = portal.hasher.hash(PASSWORD)
    times = []
    for _ in range(repeat):
        start = time.process_time()
        portal.hasher.verify(hashed, PASSWORD)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


class CpuWindow:
    """CPU used by the server, the database and the whole machine in a time window."""

    def __init__(self, server: int, database: int | None) -> None:
        self.pids = {"server": server, "database": database, "driver": None}
        self.start: dict[str, float | None] = {}
        self.machine: tuple[float, float] | None = None
        self.seconds = 0.0

    def begin(self, driver: int) -> None:
        """Snapshot at the start of the measured window."""
        self.pids["driver"] = driver
        self.start = {name: tree_cpu(pid) for name, pid in self.pids.items()}
        self.machine = machine_cpu()
        self.seconds = time.monotonic()

    def end(self, driver_lifetime_cpu: float | None = None) -> dict[str, Any]:
        """CPU seconds per part over the window, and the machine's busy share.

        The driver has exited by then: its lifetime CPU (from the parent's
        rusage) minus what it had used when the window began.
        """
        wall = time.monotonic() - self.seconds
        used: dict[str, Any] = {}
        for name, pid in self.pids.items():
            now = driver_lifetime_cpu if name == "driver" else tree_cpu(pid)
            then = self.start.get(name)
            used[f"{name}_cpu_s"] = None if now is None or then is None else round(now - then, 2)
        machine = machine_cpu()
        if machine is not None and self.machine is not None:
            busy = machine[0] - self.machine[0]
            total = machine[1] - self.machine[1]
            used["machine_busy_share"] = round(busy / total, 3) if total else None
            ours = sum(v for k, v in used.items() if k.endswith("_cpu_s") and v is not None)
            used["other_processes_cpu_s"] = round(max(0.0, busy - ours), 2)
        used["window_s"] = round(wall, 1)
        used["cores"] = os.cpu_count()
        return used


# The clients (run in the driver subprocess) ------------------------------------------


class Client:
    """One browser: a kept connection, a cookie jar, its own forwarded address."""

    def __init__(self, port: int, address: str, stats: Stats) -> None:
        self.port = port
        self.address = address
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def call(
        self, method: str, path: str, route: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        """Send one request; record its latency and status under *route*."""
        headers = {"X-Forwarded-For": self.address, "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self.connection is not None
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                    )
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException) as exc:
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                # A kept-alive connection the server closed while the client was
                # idle: like a browser, send once more on a new connection.
                if attempt == 1 and reused and isinstance(exc, _STALE):
                    continue
                self.stats.record(route, time.perf_counter() - start, 0, type(exc).__name__)
                return 0, "", {}
        self.stats.record(route, time.perf_counter() - start, response.status, None)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close" and self.connection:
            self.connection.close()
            self.connection = None
        return response.status, text, {k.lower(): v for k, v in response.getheaders()}


class Stats:
    """Latencies and outcomes per route, shared by the client threads.

    Requests that start before *measure_from* (the ramp-up, when every client
    signs in) are sent but not counted.
    """

    def __init__(self, measure_from: float = 0.0) -> None:
        self.measure_from = measure_from
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.accepted_requests = 0

    def record(self, route: str, seconds: float, status: int, failure: str | None) -> None:
        """Note one request (unless it started during the ramp-up)."""
        if time.monotonic() - seconds < self.measure_from and failure is None and status < 500:
            return
        with self.lock:
            self.latencies[route].append(seconds * 1000)
            self.statuses[route][failure or str(status)] += 1


def _csrf(text: str) -> str:
    match = _CSRF.search(text)
    return match.group(1) if match else ""


def sign_in(client: Client, email: str, password: str) -> bool:
    """GET the sign-in form and POST the credentials."""
    status, text, _ = client.call("GET", "/login", "GET /login")
    if status != 200:
        return False
    status, _, _ = client.call(
        "POST", "/login", "POST /login",
        {"csrf_token": _csrf(text), "identifier": email, "password": password},
    )
    return status == 302


def run_client(
    index: int,
    plan: dict[str, Any],
    port: int,
    stats: Stats,
    until: float,
    think: float,
    ramp: float,
) -> None:
    """One customer's session: sign in, then the mix until the time or count runs out."""
    rng = random.Random(index)
    client = Client(port, f"10.77.{index // 200}.{index % 200 + 1}", stats)
    email, password = plan["users"][index], plan["password"]
    actions = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    time.sleep(rng.uniform(0, ramp / 2))  # customers arrive over the ramp-up
    if not sign_in(client, email, password):
        return
    token = ""
    for n in range(MAX_REQUESTS_PER_CLIENT):
        if think > 0:  # a person reading the page before the next click
            time.sleep(min(rng.expovariate(1 / think), 10 * think))
        if time.monotonic() >= until:
            break
        action = rng.choices(actions, weights)[0]
        asset_id, number = rng.choice(plan["assets"])
        if action == "lookup":
            client.call("GET", "/lookup?" + urllib.parse.urlencode({"q": number}), "GET /lookup")
        elif action == "asset":
            status, text, _ = client.call("GET", f"/assets/{asset_id}", "GET /assets/<id>")
            token = _csrf(text) or token
        elif action == "documents":
            kind = rng.choice(("quotes", "invoices", "reports"))
            status, text, _ = client.call("GET", f"/documents/{kind}", "GET /documents/<kind>")
            token = _csrf(text) or token
        elif action == "download":
            if not token:
                _, text, _ = client.call("GET", "/documents/invoices", "GET /documents/<kind>")
                token = _csrf(text)
            document = rng.choice(plan["documents"])
            status, _, headers = client.call(
                "POST", f"/documents/{document}/download", "POST /documents/<id>/download",
                {"csrf_token": token},
            )
            location = urllib.parse.urlsplit(headers.get("location", ""))
            if status == 302 and location.path.startswith("/files/"):
                client.call("GET", location.path, "GET /files/<token>")
        elif action == "request":
            status, text, _ = client.call("GET", f"/assets/{asset_id}", "GET /assets/<id>")
            nonce = _NONCE.search(text)
            token = _csrf(text) or token
            if status != 200 or nonce is None:
                continue
            status, _, headers = client.call(
                "POST", f"/assets/{asset_id}/request", "POST /assets/<id>/request",
                {
                    "csrf_token": token,
                    "nonce": nonce.group(1),
                    "description": f"load {plan['run_id']} client {index} request {n}",
                },
            )
            if status == 302 and f"/assets/{asset_id}" in headers.get("location", ""):
                with stats.lock:
                    stats.accepted_requests += 1
        elif action == "login":
            if not token:
                _, text, _ = client.call("GET", "/documents/quotes", "GET /documents/<kind>")
                token = _csrf(text)
            client.call("POST", "/logout", "POST /logout", {"csrf_token": token})
            client.cookies.clear()
            token = ""
            if not sign_in(client, email, password):
                return


def drive(config_path: Path) -> None:
    """The driver subprocess: run the clients, write the raw figures next to the plan."""
    config = json.loads(config_path.read_text())
    plan, port, clients = config["plan"], config["port"], config["clients"]
    started = time.monotonic()
    stats = Stats(measure_from=started + config["ramp"])
    until = started + config["ramp"] + config["duration"]
    threads = [
        threading.Thread(
            target=run_client,
            args=(i, plan, port, stats, until, config["think"], config["ramp"]),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(config["ramp"] + config["duration"] + 2 * REQUEST_TIMEOUT + 30)
    elapsed = time.monotonic() - started - config["ramp"]
    result = {
        "elapsed_s": elapsed,
        "latencies": stats.latencies,
        "statuses": {route: dict(c) for route, c in stats.statuses.items()},
        "accepted_requests": stats.accepted_requests,
        "stuck_clients": sum(1 for t in threads if t.is_alive()),
    }
    Path(config["out"]).write_text(json.dumps(result))


# Figures -----------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(raw: dict[str, Any], stored: int) -> dict[str, Any]:
    """Per-route figures and the totals the targets are about."""
    routes: dict[str, dict[str, Any]] = {}
    server_errors = client_errors = total = 0
    for route, values in sorted(raw["latencies"].items()):
        statuses = raw["statuses"][route]
        errors = sum(
            n for s, n in statuses.items() if not s.isdigit() or int(s) >= 500 or s == "0"
        )
        rejected = sum(n for s, n in statuses.items() if s.isdigit() and 400 <= int(s) < 500)
        server_errors += errors
        client_errors += rejected
        total += len(values)
        routes[route] = {
            "count": len(values),
            "p50_ms": round(_percentile(values, 50), 1),
            "p95_ms": round(_percentile(values, 95), 1),
            "p99_ms": round(_percentile(values, 99), 1),
            "max_ms": round(max(values), 1),
            "mean_ms": round(statistics.fmean(values), 1),
            "server_errors": errors,
            "client_errors": rejected,
            "statuses": statuses,
        }
    pages = {r: v for r, v in routes.items() if r not in ARGON2_ROUTES}
    all_latencies = [v for values in raw["latencies"].values() for v in values]
    return {
        "requests": total,
        "throughput_rps": round(total / raw["elapsed_s"], 1),
        "p50_ms": round(_percentile(all_latencies, 50), 1),
        "p95_ms": round(_percentile(all_latencies, 95), 1),
        "p99_ms": max((v["p99_ms"] for v in pages.values()), default=0.0),
        "p99_ms_with_sign_in": max((v["p99_ms"] for v in routes.values()), default=0.0),
        "errors": server_errors,
        "client_errors": client_errors,
        "stuck_clients": raw["stuck_clients"],
        "service_requests_accepted": raw["accepted_requests"],
        "service_requests_stored": stored,
        "routes": routes,
    }


def count_stored(url: str, tenant_id: int, run_id: str) -> int:
    """Service requests of this run in the database."""
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    storage = SqlAlchemyStorage.from_url(url)
    try:
        with storage.unit_of_work() as uow:
            return sum(
                1
                for r in uow.actions.requests.find(tenant_id)
                if (r.description or "").startswith(f"load {run_id} ")
            )
    finally:
        storage.close()


def main() -> None:
    """Parse options, prepare, serve, drive, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s with 10 clients")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60)")
    parser.add_argument(
        "--think", type=float, default=1.0,
        help="mean seconds a client waits between actions (exponential; 0 = flat out)",
    )
    parser.add_argument(
        "--ramp", type=float,
        help="seconds of ramp-up (clients sign in; not measured): 10, or 3 with --quick",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2,
        help="gunicorn worker processes (default: one per core)",
    )
    parser.add_argument(
        "--threads", type=int, default=8,
        help="threads per worker (default 8: overlap database round trips, and leave "
        "threads for pages while sign-ins wait for the low-priority hashing thread)",
    )
    parser.add_argument(
        "--parallel-sign-ins", action="store_true",
        help="let sign-ins (Argon2id) run side by side (default: one at a time per server)",
    )
    parser.add_argument(
        "--niceness", type=int, default=19,
        help="run sign-ins (Argon2id) on a thread per worker whose nice value is raised "
        "by this much, 1-19 (default 19; 0: on the request's thread at its priority)",
    )
    parser.add_argument("--drive", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive)
        return
    clients = args.clients or (10 if args.quick else 50)
    duration = args.duration or (10.0 if args.quick else 60.0)
    ramp = args.ramp if args.ramp is not None else (3.0 if args.quick else 10.0)
    if not 1 <= clients <= 500 or not 1 <= duration <= 600:
        raise SystemExit("choose 1-500 clients and 1-600 seconds")
    base = postgres_url()
    if not base:
        raise SystemExit(
            "set PORTALKIT_BENCH_DATABASE_URL (or PORTALKIT_TEST_DATABASE_URL) to a PostgreSQL "
            "database, e.g. `source .ci/postgres.sh; pg_start`"
        )
    run_id = uuid.uuid4().hex[:12]
    schema = f"pk_load_{run_id}"
    _admin_sql(base, f'CREATE SCHEMA "{schema}"')
    url = _schema_url(base, schema)
    work = Path(tempfile.mkdtemp(prefix="portalkit-load."))
    server: subprocess.Popen[bytes] | None = None
    try:
        print(f"preparing the demo data and {clients} users ...", flush=True)
        plan = prepare(url, clients, run_id)
        port = _free_port()
        log = work / "server.log"
        hash_lock = None if args.parallel_sign_ins else str(work / "argon2.lock")
        niceness = args.niceness or None
        server = start_server(url, port, args.workers, args.threads, log, hash_lock, niceness)
        wait_ready(port, server, log)
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}, "
            f"sign-ins {'side by side' if args.parallel_sign_ins else 'one at a time'}"
            f"{f' at nice +{niceness}' if niceness else ''}; "
            f"{clients} clients, {ramp:.0f} s ramp-up then {duration:.0f} s measured, "
            f"think time {args.think} s ...",
            flush=True,
        )
        config = work / "drive.json"
        out = work / "raw.json"
        config.write_text(json.dumps(
            {"plan": plan, "port": port, "clients": clients, "duration": duration,
             "think": args.think, "ramp": ramp, "out": str(out)}
        ))
        window = CpuWindow(server.pid, postgres_pid(base))
        driver = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--drive", str(config)]
        )
        time.sleep(ramp)  # the ramp-up is not measured: neither is its CPU
        before = _children_cpu()
        window.begin(driver.pid)
        try:
            returncode = driver.wait(timeout=duration + 2 * REQUEST_TIMEOUT + 120)
        except subprocess.TimeoutExpired:
            driver.kill()
            returncode = driver.wait()
        cpu = window.end(_children_cpu() - before)
        if returncode != 0 or not out.exists():
            raise SystemExit(f"the driver failed ({returncode})")
        stop_server(server)
        server_log = log.read_text()
        raw = json.loads(out.read_text())
        stored = count_stored(url, plan["tenant_id"], run_id)
    finally:
        if server is not None:
            stop_server(server)
        _admin_sql(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(work, ignore_errors=True)
    figures = summarize(raw, stored)
    figures["cpu"] = cpu_figures(cpu, figures, argon2_verify_ms())
    report(figures, server_log)
    mismatches = abs(figures["service_requests_accepted"] - stored)
    write_json(args.json, {
        "name": "load",
        "quick": args.quick,
        "params": {
            "clients": clients, "duration_s": duration, "ramp_s": ramp, "think_s": args.think,
            "workers": args.workers,
            "threads": args.threads, "server": "gunicorn gthread", "database": "postgresql",
            "sign_ins": "side by side" if args.parallel_sign_ins else "one at a time",
            "sign_in_niceness": niceness or 0,
            "mix": dict(MIX),
        },
        "results": {"portalkit": figures},
        "ratios": {
            "stored_over_accepted": (
                round(stored / figures["service_requests_accepted"], 4)
                if figures["service_requests_accepted"] else None
            ),
        },
        "targets": {"errors": "== 0", "p99_ms": "<= 200", "stored_over_accepted": "== 1"},
        "mismatches": mismatches,
    })


def cpu_figures(cpu: dict[str, Any], figures: dict[str, Any], argon2_ms: float) -> dict[str, Any]:
    """Server CPU per request and the sign-ins' (Argon2id) share of it."""
    out = dict(cpu)
    out["argon2_verify_cpu_ms"] = round(argon2_ms, 1)
    server = cpu.get("server_cpu_s")
    sign_ins = sum(figures["routes"].get(r, {}).get("count", 0) for r in ARGON2_ROUTES)
    if server:
        out["server_cpu_ms_per_request"] = round(server * 1000 / max(1, figures["requests"]), 2)
        out["argon2_share_of_server_cpu"] = round(sign_ins * argon2_ms / (server * 1000), 3)
    return out


def report(figures: dict[str, Any], server_log: str) -> None:
    """Print the per-route table and the verdicts."""
    rows = [
        [route, v["count"], v["p50_ms"], v["p95_ms"], v["p99_ms"], v["server_errors"],
         v["client_errors"]]
        for route, v in figures["routes"].items()
    ]
    print_table(
        "load: latency per route (ms)",
        ["route", "requests", "p50", "p95", "p99", "5xx/failed", "4xx"],
        rows,
    )
    print(
        f"\nthroughput {figures['throughput_rps']} requests/s, {figures['requests']} requests; "
        f"server errors {figures['errors']}, client errors {figures['client_errors']}"
    )
    print(
        f"service requests: {figures['service_requests_accepted']} accepted, "
        f"{figures['service_requests_stored']} stored"
    )
    print(
        f"p99 of the slowest page {figures['p99_ms']} ms (sign-in with Argon2id "
        f"{figures['p99_ms_with_sign_in']} ms)"
    )
    cpu = figures.get("cpu", {})
    if cpu.get("server_cpu_s") is not None:
        print(
            f"CPU over {cpu['window_s']} s on {cpu['cores']} cores: server {cpu['server_cpu_s']} s "
            f"({cpu.get('server_cpu_ms_per_request')} ms/request, Argon2id "
            f"{cpu.get('argon2_share_of_server_cpu', 0):.0%} of it at "
            f"{cpu['argon2_verify_cpu_ms']} ms a sign-in), database {cpu['database_cpu_s']} s, "
            f"load driver {cpu['driver_cpu_s']} s, other processes "
            f"{cpu.get('other_processes_cpu_s')} s; machine busy "
            f"{cpu.get('machine_busy_share', 0):.0%}"
        )
    tracebacks = server_log.count("Traceback")
    if tracebacks:
        print(f"\nthe server logged {tracebacks} tracebacks:\n{server_log[-4000:]}")


if __name__ == "__main__":
    main()
