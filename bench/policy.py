"""Benchmark: portalkit's access policy vs pycasbin vs a plain dict/set floor.

One synthetic portal, decided three ways in the same run:

* **portalkit**: ``Policy.build`` from users, roles, grants and organization
  nodes, then ``policy.decide(principal, action, resource)``.
* **pycasbin**: RBAC with domains (``g = _, _, _``), each grant expanded to every
  scope node below it at load time, loaded row by row through an adapter as a
  database adapter would, decided with ``FastEnforcer.enforce(user, action, node)``.
* **floor**: grants pre-expanded into ``{user: {node path: frozenset(actions)}}``;
  one dict lookup and one set membership per decision: the physical limit of
  plain Python.

Workload (the issue's shape): 1,000 organizations x 5 divisions x 4 sites,
10,000 users with grants in 1-3 organizations (mostly at the organization, some
at division or site level), 6 roles, 100,000 decisions with a fixed seed, about
half allowed. All three must agree on every decision; mismatches are counted.

Each implementation runs in a forked child so that its setup time and peak
memory are its own. Per implementation: setup time (CPU time, and wall-clock
time as ``setup_wall_s``), mean (a plain loop, in
process CPU time so that other processes on a shared machine do not count;
the median of three passes), p50 and p99 (timed one by one with the wall
clock, timer overhead subtracted), decisions per second, peak RSS growth.
Then portalkit and the floor run again at 1,000 and 100,000 users (same
organizations and query count) to show how the time per decision grows with
the number of users; the floor's growth is what the memory hierarchy alone
costs, and ``portalkit_flatness_over_floor`` is portalkit's growth beyond it.
Random questions are the worst case for the caches (each one about another
user); ``scaling_pages`` repeats the three sizes with the questions a portal
actually asks, asset pages (one user and place, every permission of the page's
sections in a row).

``per_request`` is what one request pays: one user's policy loaded from the
database (``load_policy``) and compiled, then the asset page's sections asked
(``Policy.sections``), against the same work hand-written: the user and tenant
read, ``bench/handwritten_portal.py``'s access query and its section rule, in
one transaction. Both sides alternate request by request (the order swapped
every round); medians, on SQLite and, when configured, PostgreSQL.

Usage::

    python bench/policy.py [--quick] [--json PATH] [--repeat N]

``--quick`` shrinks every size (under a minute). pycasbin is a bench-only extra
(``pip install portalkit[bench]``); without it that column is skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from portalkit import perms
from portalkit.domain.policy import ASSET_PAGE, Policy, Target
from portalkit.domain.principals import Grant, Principal, PrincipalKind, Role, User
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import TenantSettings

TENANT = 1
SEED = 20240601
DIVISIONS, SITES = 5, 4

# Six roles over the asset page's actions (seed 000). Every role that holds an
# appointment permission also holds person.manage, which the catalogue requires,
# so the plain "role holds the action" rule of the floor and pycasbin is the
# same rule as portalkit's.
ROLE_PERMS: dict[str, tuple[str, ...]] = {
    "viewer": (
        perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW,
        perms.PENDING_REPAIR_VIEW, perms.PM_VIEW, perms.SA_VIEW,
    ),
    "requester": (
        perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW,
        perms.SERVICE_REQUEST_EDIT, perms.APPOINTMENT_VIEW, perms.APPOINTMENT_EDIT,
        perms.PERSON_MANAGE,
    ),
    "site_operator": (
        perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.METER_READING_EDIT,
        perms.SERVICE_REQUEST_VIEW, perms.SERVICE_REQUEST_EDIT,
    ),
    "scheduler": (
        perms.APPOINTMENT_VIEW, perms.APPOINTMENT_EDIT, perms.APPOINTMENT_CANCEL,
        perms.PERSON_MANAGE, perms.PM_VIEW,
    ),
    "billing": (perms.INVOICE_VIEW, perms.SERVICE_REQUEST_VIEW),
    "org_admin": (
        perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW,
        perms.SERVICE_REQUEST_EDIT, perms.PENDING_REPAIR_VIEW, perms.APPOINTMENT_VIEW,
        perms.APPOINTMENT_EDIT, perms.APPOINTMENT_CANCEL, perms.PERSON_MANAGE,
        perms.METER_READING_EDIT, perms.PM_VIEW, perms.SA_VIEW, perms.INVOICE_VIEW,
    ),
}
ROLES = tuple(ROLE_PERMS)
ROLE_WEIGHTS = (30, 25, 15, 10, 10, 10)
ACTIONS = tuple(sorted({a for ps in ROLE_PERMS.values() for a in ps}))
ORG, DIV, SITE = 0, 1, 2
GRANT_LEVEL_WEIGHTS = (60, 25, 15)
#: What Policy.sections asks for one asset page: each section's permissions
#: and actions (seed 000), taken from the library's own page definition.
PAGE_ACTIONS = tuple(dict.fromkeys(a for s in ASSET_PAGE for a in (*s.permissions, *s.actions)))


class Workload:
    """The neutral workload: scope paths, grants (user, role, path) and queries."""

    def __init__(
        self, n_orgs: int, n_users: int, n_queries: int, seed: int, *, pages: bool = False
    ) -> None:
        self.n_orgs, self.n_users, self.n_queries, self.seed = n_orgs, n_users, n_queries, seed
        rng = random.Random(seed)
        next_id = iter(range(1, 10**9))
        self.orgs: list[tuple[int, str]] = []          # (node id, path)
        self.divs: list[list[str]] = []                # per org
        self.sites: list[list[list[str]]] = []         # per org, per division
        self.subtree: dict[str, list[str]] = {}        # path -> every path at or below it
        for _ in range(n_orgs):
            oid = next(next_id)
            opath = f"/org:{oid}/"
            self.orgs.append((oid, opath))
            divs, sites = [], []
            for _ in range(DIVISIONS):
                dpath = f"{opath}div:{next(next_id)}/"
                divs.append(dpath)
                ss = [f"{dpath}site:{next(next_id)}/" for _ in range(SITES)]
                sites.append(ss)
                for s in ss:
                    self.subtree[s] = [s]
                self.subtree[dpath] = [dpath, *ss]
            self.divs.append(divs)
            self.sites.append(sites)
            self.subtree[opath] = [opath, *(p for d in divs for p in self.subtree[d])]
        self.grants: list[tuple[int, str, str]] = []   # (user, role, path)
        user_grants: list[list[tuple[str, str]]] = [[] for _ in range(n_users + 1)]
        for u in range(1, n_users + 1):
            for o in rng.sample(range(n_orgs), rng.randint(1, 3)):
                level = rng.choices((ORG, DIV, SITE), GRANT_LEVEL_WEIGHTS)[0]
                d = rng.randrange(DIVISIONS)
                path = (
                    self.orgs[o][1] if level == ORG
                    else self.divs[o][d] if level == DIV
                    else self.sites[o][d][rng.randrange(SITES)]
                )
                role = rng.choices(ROLES, ROLE_WEIGHTS)[0]
                self.grants.append((u, role, path))
                user_grants[u].append((role, path))
        self.queries: list[tuple[int, str, str]] = []  # (user, action, path)
        # With pages=True the same number of questions comes as asset pages: one
        # user and one place per page, every section's permission asked in turn
        # (what Policy.sections does for one request).
        for _ in range(n_queries // len(PAGE_ACTIONS) if pages else n_queries):
            u = rng.randrange(1, n_users + 1)
            if rng.random() < 0.6:                     # inside one of the user's grants
                role, g = rng.choice(user_grants[u])
                below = self.subtree[g]
                path = below[-1] if rng.random() < 0.8 else rng.choice(below)
                act = rng.choice(ROLE_PERMS[role]) if rng.random() < 0.75 else rng.choice(ACTIONS)
            else:                                      # anywhere
                o = rng.randrange(n_orgs)
                d = rng.randrange(DIVISIONS)
                level = rng.choices((ORG, DIV, SITE), (7, 13, 80))[0]
                path = (
                    self.orgs[o][1] if level == ORG
                    else self.divs[o][d] if level == DIV
                    else self.sites[o][d][rng.randrange(SITES)]
                )
                act = rng.choice(ACTIONS)
            if pages:
                self.queries.extend((u, a, path) for a in PAGE_ACTIONS)
            else:
                self.queries.append((u, act, path))


# --------------------------------------------------------------------------- implementations
# Each implementation has a builder returning decide (timed as setup) and a
# function giving the questions in the library's own form (not timed). The
# questions are made first, before the builder runs: made afterwards, they
# would land in the holes the build's temporary objects leave all over the
# heap, and every decision would pay cache misses just to read its own
# arguments, which a request, holding freshly made objects, does not.

Questions = Callable[[Workload], list[tuple[Any, ...]]]
Builder = Callable[[Workload], Callable[..., Any]]


def build_floor(wl: Workload) -> Callable[..., Any]:
    """Grants expanded to every node below them; one dict get and one `in`."""
    role_sets = {r: frozenset(p) for r, p in ROLE_PERMS.items()}
    users: dict[int, dict[str, frozenset[str]]] = {}
    for u, role, path in wl.grants:
        d = users.setdefault(u, {})
        rp = role_sets[role]
        for p in wl.subtree[path]:
            cur = d.get(p)
            d[p] = rp if cur is None else cur | rp
    empty_user: dict[str, frozenset[str]] = {}
    empty: frozenset[str] = frozenset()

    def decide(u: int, a: str, p: str, users: Any = users) -> bool:
        return a in users.get(u, empty_user).get(p, empty)

    return decide


def floor_questions(wl: Workload) -> list[tuple[Any, ...]]:
    """(user id, action, path), as the workload has them."""
    return list(wl.queries)


def build_portalkit(wl: Workload) -> Callable[..., Any]:
    """Entities as a storage adapter returns them, compiled by Policy.build."""
    roles = [
        Role(id=i, tenant_id=TENANT, name=name, permissions=frozenset(ps))
        for i, (name, ps) in enumerate(ROLE_PERMS.items(), start=1)
    ]
    role_id = {r.name: r.id for r in roles}
    users = [
        User(id=u, tenant_id=TENANT, email=f"u{u}@example.com", name=f"User {u}")
        for u in range(1, wl.n_users + 1)
    ]
    orgs = [
        ScopeNode(oid, TENANT, ScopeKind.ORGANIZATION, f"Org {oid}", path)
        for oid, path in wl.orgs
    ]
    grants = [
        Grant(id=i, tenant_id=TENANT, role_id=role_id[role], scope_id=0, scope_path=path,
              user_id=u)
        for i, (u, role, path) in enumerate(wl.grants, start=1)
    ]
    policy = Policy.build(
        tenant_id=TENANT, settings=TenantSettings(), users=users, roles=roles,
        grants=grants, organizations=orgs,
    )
    return policy.decide


def portalkit_questions(wl: Workload) -> list[tuple[Any, ...]]:
    """(principal, action, target) objects.

    Each question carries its own principal and resource objects, as each
    request does (a host builds the principal from the session and loads the
    resource); the questions of one page share theirs. The scope path strings
    are shared, as they are in the floor.
    """
    out: list[tuple[Any, ...]] = []
    last: tuple[int, str] | None = None
    for u, a, p in wl.queries:
        if (u, p) != last:
            last = (u, p)
            principal = Principal(tenant_id=TENANT, kind=PrincipalKind.USER, user_id=u)
            target = Target(TENANT, p)
        out.append((principal, a, target))
    return out


CASBIN_MODEL = """\
[request_definition]
r = sub, act, dom

[policy_definition]
p = sub, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && g(r.sub, p.sub, r.dom)
"""


def build_pycasbin(wl: Workload) -> Callable[..., Any]:
    """RBAC with domains; grants expanded per node; FastEnforcer keyed by action."""
    import casbin  # noqa: PLC0415 (bench-only extra)
    from casbin.persist.adapter import Adapter, load_policy_line  # noqa: PLC0415

    rows = [f"p, {role}, {a}" for role, ps in ROLE_PERMS.items() for a in ps]
    for u, role, path in wl.grants:
        rows.extend(f"g, u{u}, {role}, {p}" for p in wl.subtree[path])

    class RowsAdapter(Adapter):  # type: ignore[misc]
        """Loads one policy line per row, as database adapters do."""

        def load_policy(self, model: Any) -> None:
            for row in rows:
                load_policy_line(row, model)

    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CASBIN_MODEL)
    try:
        enforcer = casbin.FastEnforcer(f.name, RowsAdapter(), cache_key_order=[1])
    finally:
        os.unlink(f.name)
    return enforcer.enforce  # type: ignore[no-any-return]


def pycasbin_questions(wl: Workload) -> list[tuple[Any, ...]]:
    """(subject name, action, domain) strings."""
    return [(f"u{u}", a, p) for u, a, p in wl.queries]


IMPLS: dict[str, tuple[Builder, Questions]] = {
    "floor": (build_floor, floor_questions),
    "portalkit": (build_portalkit, portalkit_questions),
    "pycasbin": (build_pycasbin, pycasbin_questions),
}


# --------------------------------------------------------------------------- measuring

def rss_kb() -> int:
    """Current resident set size in KiB."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timer_overhead_ns(n: int = 100_000) -> int:
    """The median cost of two back-to-back perf_counter_ns calls."""
    pc = time.perf_counter_ns
    lat = []
    for _ in range(n):
        t0 = pc()
        lat.append(pc() - t0)
    return int(statistics.median(lat))


def measure(name: str, wl: Workload, overhead_ns: int) -> dict[str, Any]:
    """Set up one implementation and time it (runs in a forked child)."""
    build, questions = IMPLS[name]
    queries = questions(wl)
    n = len(queries)
    rss0 = rss_kb()
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    decide = build(wl)
    setup_s, setup_wall_s = time.process_time() - c0, time.perf_counter() - t0
    decisions = bytearray(n)
    for i, q in enumerate(queries):                    # first pass: record answers, warm caches
        answer = decide(*q)
        if getattr(answer, "allowed", answer):         # portalkit returns a Decision
            decisions[i] = 1
    pc = time.perf_counter_ns
    gc.collect()
    gc.disable()
    means = []
    cpu = time.process_time_ns   # CPU time: other processes on a shared machine do not count
    for _ in range(3):                                 # steady passes: the median of three
        t0 = cpu()
        for q in queries:
            decide(*q)
        means.append((cpu() - t0) / 1000 / n)
    lat = [0] * n
    for i, q in enumerate(queries):
        t0 = pc()
        decide(*q)
        lat[i] = pc() - t0
    gc.enable()
    lat.sort()

    def at(q: float) -> float:
        return max(lat[min(n - 1, int(q * n))] - overhead_ns, 0) / 1000

    mean = statistics.median(means)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "setup_s": round(setup_s, 4),
        "setup_wall_s": round(setup_wall_s, 4),
        "mean_us": round(mean, 4),
        "p50_us": round(at(0.50), 4),
        "p99_us": round(at(0.99), 4),
        "decisions_per_s": round(1e6 / mean) if mean else None,
        "peak_memory_mb": round((peak - rss0) / 1024, 1),
        "decisions": bytes(decisions),
    }


def run_forked(name: str, wl: Workload, overhead_ns: int) -> dict[str, Any]:
    """measure() in a child process, so setup and memory are isolated."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            out = measure(name, wl, overhead_ns)
        except BaseException as exc:
            out = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(wfd, "wb") as f:
            f.write(pickle.dumps(out))
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return pickle.loads(data) if data else {"error": "the child process died"}


def casbin_available() -> bool:
    """True when pycasbin is installed."""
    try:
        import casbin  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def run_scale(
    n_orgs: int, n_users: int, n_queries: int, impls: Sequence[str], overhead: int,
    repeat: int = 1, *, pages: bool = False,
) -> dict[str, Any]:
    """Every implementation on one workload; decisions compared with the floor's.

    With *repeat* > 1 the implementations run in turn that many times and each
    figure is the median over the runs.
    """
    t0 = time.perf_counter()
    wl = Workload(n_orgs, n_users, n_queries, SEED, pages=pages)
    print(f"\nusers={n_users} orgs={n_orgs} nodes={len(wl.subtree)} grants={len(wl.grants)} "
          f"queries={len(wl.queries)}{' as pages' if pages else ''} "
          f"(workload built in {time.perf_counter() - t0:.1f}s)", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in impls}
    for _ in range(repeat):
        for name in impls:
            runs[name].append(run_forked(name, wl, overhead))
    results: dict[str, Any] = {}
    reference: bytes | None = None
    mismatches = 0
    for name in impls:
        failed = [r for r in runs[name] if "error" in r]
        if failed:
            print(f"  {name:10s} ERROR {failed[0]['error']}", flush=True)
            results[name] = failed[0]
            continue
        decisions = [r.pop("decisions") for r in runs[name]]
        r = {k: statistics.median(run[k] for run in runs[name]) for k in runs[name][0]}
        r["repeats"] = repeat
        if reference is None:
            reference = decisions[0]
            results["allowed_fraction"] = round(sum(reference) / len(reference), 4)
        r["mismatches"] = max(
            sum(1 for x, y in zip(dec, reference, strict=True) if x != y) for dec in decisions
        )
        mismatches += r["mismatches"]
        results[name] = r
        print(f"  {name:10s} setup {r['setup_s']:7.2f}s  mean {r['mean_us']:8.3f}us  "
              f"p50 {r['p50_us']:8.3f}us  p99 {r['p99_us']:8.3f}us  "
              f"{round(r['decisions_per_s']):>10,}/s  +{r['peak_memory_mb']:7.1f}MB  "
              f"mismatches {r['mismatches']}", flush=True)
    results["mismatches"] = mismatches
    results["grants"] = len(wl.grants)
    return results


# --------------------------------------------------------------------------- per request
# What a request pays: one user's policy loaded and compiled from the database,
# then the asset page's questions answered, against the same work hand-written
# (bench/handwritten_portal.py's access query and section rule).

PER_REQUEST_USER_SQL = (
    "SELECT u.is_active, t.settings FROM portalkit_users u JOIN portalkit_tenants t"
    " ON t.id = u.tenant_id WHERE t.id = :tid AND u.id = :uid"
)


def _load_workload(url: str, wl: Workload) -> tuple[Any, Any, int]:
    """The workload's organizations, users, roles and grants stored in a fresh database."""
    from sqlalchemy import insert  # noqa: PLC0415

    import portalkit  # noqa: PLC0415
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415
    from portalkit.adapters.sqlalchemy.repositories import MAPPINGS  # noqa: PLC0415

    storage = SqlAlchemyStorage.from_url(url)
    portal = portalkit.Portal(storage, secret_key="bench-secret-key-bench-secret-key-0123456789")
    portal.upgrade()
    with portal.admin() as admin:
        tid = admin.tenant.id
        role_id = {name: admin.define_role(name, list(ps)).id for name, ps in ROLE_PERMS.items()}

    def stored(mapping: str, entities: Sequence[Any]) -> list[dict[str, Any]]:
        m = MAPPINGS[mapping]
        return [m.to_row(e) | {"id": e.id} for e in entities]

    def node_id(path: str) -> int:
        return int(path.rstrip("/").rpartition(":")[2])

    nodes = []
    for path in wl.subtree:
        depth = path.count("/") - 1
        parent = "/".join(path.split("/")[:-2]) + "/" if depth > 1 else None
        nodes.append(ScopeNode(
            id=node_id(path), tenant_id=tid, kind=(ScopeKind.ORGANIZATION, ScopeKind.DIVISION,
                                                   ScopeKind.SITE)[depth - 1],
            name=path, path=path, parent_id=node_id(parent) if parent else None,
        ))
    users = [User(id=u, tenant_id=tid, email=f"u{u}@example.com", name=f"User {u}")
             for u in range(1, wl.n_users + 1)]
    grants = [
        Grant(id=i, tenant_id=tid, role_id=role_id[role], scope_id=node_id(path),
              scope_path=path, user_id=u)
        for i, (u, role, path) in enumerate(wl.grants, start=1)
    ]
    with storage.engine.begin() as conn:
        for name, entities in (("scopes", nodes), ("users", users), ("grants", grants)):
            conn.execute(insert(MAPPINGS[name].table), stored(name, entities))
    return portal, storage.engine, tid


def run_per_request(url: str, label: str, wl: Workload, requests: int) -> dict[str, Any]:
    """Median µs per request, each side in turn (order swapped every round)."""
    from handwritten_portal import ACCESS_SQL, INFORMATIONAL, SECTIONS, Access  # noqa: PLC0415
    from sqlalchemy import text  # noqa: PLC0415

    from portalkit._services.policy import load_policy  # noqa: PLC0415

    portal, engine, tid = _load_workload(url, wl)
    user_sql = text(PER_REQUEST_USER_SQL)
    pages = [(u, path) for u, _a, path in wl.queries[:: len(PAGE_ACTIONS)]][:requests]

    def ours(uid: int, path: str) -> Any:
        principal = Principal(tenant_id=tid, kind=PrincipalKind.USER, user_id=uid)
        with portal.storage.unit_of_work() as uow:
            policy = load_policy(uow, principal)
        found = policy.sections(principal, Target(tid, path))
        if not hasattr(found, "items"):
            return None
        return frozenset((item.key, item.actions) for item in found.items)

    def handwritten(uid: int, path: str) -> Any:
        with engine.connect() as conn:
            row = conn.execute(user_sql, {"tid": tid, "uid": uid}).first()
            settings = row[1] if row is not None and row[0] else None
            settings = json.loads(settings) if isinstance(settings, str) else settings
            if settings is None or not settings.get("portal_enabled", True):
                return None
            access = Access(conn.execute(ACCESS_SQL(), {"tid": tid, "uid": uid}).all())
        shown = frozenset(
            (key, frozenset(a for a in actions if access.at(a, path)))
            for key, _title, needed, _info, actions in SECTIONS
            if all(access.at(p, path) for p in needed)
        )
        return shown if any(key in INFORMATIONAL for key, _ in shown) else None

    sides = {"portalkit": ours, "handwritten": handwritten}
    for uid, path in pages[:20]:  # warm statement caches and code paths
        for side in sides.values():
            side(uid, path)
    times: dict[str, list[float]] = {"portalkit": [], "handwritten": []}
    mismatches = 0
    for n, (uid, path) in enumerate(pages):
        answers = {}
        for name in ("portalkit", "handwritten") if n % 2 == 0 else ("handwritten", "portalkit"):
            t0 = time.perf_counter()
            answers[name] = sides[name](uid, path)
            times[name].append(time.perf_counter() - t0)
        mismatches += answers["portalkit"] != answers["handwritten"]
    portal.close()
    ours_us = statistics.median(times["portalkit"]) * 1e6
    hand_us = statistics.median(times["handwritten"]) * 1e6
    print(f"  {label:<10}  portalkit {ours_us:8.1f} us  handwritten {hand_us:8.1f} us  "
          f"ratio {ours_us / hand_us:.2f}  mismatches {mismatches}", flush=True)
    return {"portalkit_us": ours_us, "handwritten_us": hand_us,
            "portalkit_over_handwritten": round(ours_us / hand_us, 2), "requests": len(pages),
            "mismatches": mismatches}


def per_request_series(n_orgs: int, n_users: int, requests: int) -> dict[str, Any]:
    """:func:`run_per_request` on SQLite and, when one is configured, PostgreSQL."""
    from _util import postgres_schema, postgres_url  # noqa: PLC0415

    wl = Workload(n_orgs, n_users, requests * len(PAGE_ACTIONS), SEED, pages=True)
    print(f"\nper request: load one user's policy and answer the asset page "
          f"({n_users} users, {n_orgs} organizations, {requests} requests, medians)", flush=True)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = run_per_request(f"sqlite:///{tmp}/policy.db", "sqlite", wl, requests)
    pg = postgres_url()
    if pg:
        with postgres_schema(pg) as url:
            out["postgresql"] = run_per_request(url, "postgresql", wl, requests)
    else:
        print("  PostgreSQL: skipped (set PORTALKIT_BENCH_DATABASE_URL)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print a table and optionally write JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each implementation N times; report medians (default 1)")
    args = ap.parse_args(argv)
    if args.quick:
        n_orgs, n_users, n_queries, scaling = 200, 2_000, 20_000, (500, 2_000, 20_000)
    else:
        n_orgs, n_users, n_queries, scaling = 1_000, 10_000, 100_000, (1_000, 10_000, 100_000)
    overhead = timer_overhead_ns()
    impls = ["floor", "portalkit"] + (["pycasbin"] if casbin_available() else [])
    print(f"python {platform.python_version()} on {platform.platform()}, "
          f"{os.cpu_count()} cpus, timer overhead {overhead} ns", flush=True)
    main_run = run_scale(n_orgs, n_users, n_queries, impls, overhead, args.repeat)
    scale_runs = {}
    for users in scaling:
        if users == n_users:
            scale_runs[users] = main_run
        else:
            scale_runs[users] = run_scale(n_orgs, users, n_queries, ["floor", "portalkit"],
                                          overhead, args.repeat)
    page_runs = {
        users: run_scale(n_orgs, users, n_queries, ["floor", "portalkit"], overhead,
                         args.repeat, pages=True)
        for users in scaling
    }
    per_request = per_request_series(n_orgs, n_users, 300 if args.quick else 2_000)
    pk = main_run["portalkit"]
    floor = main_run["floor"]
    casbin = main_run.get("pycasbin", {})
    ratios = {
        "portalkit_over_floor": round(pk["mean_us"] / floor["mean_us"], 2),
    }
    if "mean_us" in casbin:
        ratios["pycasbin_over_portalkit"] = round(casbin["mean_us"] / pk["mean_us"], 1)
    lo, hi = min(scaling), max(scaling)
    pk_growth = scale_runs[hi]["portalkit"]["mean_us"] / scale_runs[lo]["portalkit"]["mean_us"]
    floor_growth = scale_runs[hi]["floor"]["mean_us"] / scale_runs[lo]["floor"]["mean_us"]
    # How much slower a decision gets from the fewest to the most users; the floor
    # shows what the memory hierarchy alone costs, so the second figure is what
    # portalkit adds on top of it (1.0: nothing).
    ratios["portalkit_flatness"] = round(pk_growth, 2)
    ratios["portalkit_flatness_over_floor"] = round(pk_growth / floor_growth, 2)
    ratios["portalkit_flatness_pages"] = round(
        page_runs[hi]["portalkit"]["mean_us"] / page_runs[lo]["portalkit"]["mean_us"], 2
    )
    ratios["floor_flatness_pages"] = round(
        page_runs[hi]["floor"]["mean_us"] / page_runs[lo]["floor"]["mean_us"], 2
    )
    ratios["per_request_portalkit_over_handwritten"] = max(
        r["portalkit_over_handwritten"] for r in per_request.values()
    )
    mismatches = sum(r["mismatches"] for r in
                     [*scale_runs.values(), *page_runs.values(), *per_request.values()])
    if n_users not in scaling:
        mismatches += main_run["mismatches"]
    for title, series in (("random questions", scale_runs), ("asset pages", page_runs)):
        print(f"\nscaling, {title}: mean us per decision (setup s)")
        for users, run in series.items():
            print(f"  users={users:>7}: portalkit {run['portalkit']['mean_us']:.3f} "
                  f"({run['portalkit']['setup_s']:.2f}s)  floor {run['floor']['mean_us']:.3f} "
                  f"({run['floor']['setup_s']:.2f}s)  ratio "
                  f"{run['portalkit']['mean_us'] / run['floor']['mean_us']:.2f}")
    print(f"\nratios: {ratios}\nmismatches: {mismatches}")
    strip = {"allowed_fraction", "mismatches", "grants"}
    out = {
        "name": "policy",
        "quick": args.quick,
        "params": {"orgs": n_orgs, "divisions_per_org": DIVISIONS, "sites_per_division": SITES,
                   "users": n_users, "grants": main_run["grants"], "roles": len(ROLES),
                   "actions": len(ACTIONS), "queries": n_queries, "seed": SEED},
        "results": {k: v for k, v in main_run.items() if k not in strip},
        "allowed_fraction": main_run["allowed_fraction"],
        "scaling": {
            str(u): {"portalkit": {k: run["portalkit"][k] for k in ("mean_us", "p99_us",
                                                                     "setup_s")},
                     "floor": {"mean_us": run["floor"]["mean_us"]},
                     "portalkit_over_floor": round(
                         run["portalkit"]["mean_us"] / run["floor"]["mean_us"], 2)}
            for u, run in scale_runs.items()
        },
        "scaling_pages": {
            str(u): {"portalkit": {"mean_us": run["portalkit"]["mean_us"]},
                     "floor": {"mean_us": run["floor"]["mean_us"]}}
            for u, run in page_runs.items()
        },
        "per_request": per_request,
        "ratios": ratios,
        "targets": {
            "portalkit.mean_us": "<= 2", "portalkit.p99_us": "<= 5",
            "pycasbin_over_portalkit": ">= 25", "portalkit_over_floor": "<= 3",
            "portalkit.setup_s": "< 1", "portalkit_flatness_over_floor": "~ 1",
        },
        "mismatches": mismatches,
        "environment": {"python": platform.python_version(), "platform": platform.platform(),
                        "cpus": os.cpu_count(), "timer_overhead_ns": overhead},
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"JSON written to {args.json}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
