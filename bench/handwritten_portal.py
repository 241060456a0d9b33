"""The floor of ``bench/pages.py``: the example portal's read pages, written by hand.

A Flask app over portalkit's tables, as a competent developer would write it
without portalkit: plain SQL through SQLAlchemy Core, one connection and one
transaction per request, a session lookup (the user joined to the tenant,
checked against the user's security stamp) and one access query (the user's
roles at their grants, direct and through groups); every list is filtered by
the granted paths as a prefix of the record's scope path. It renders the
example's own templates (``examples/flask_app/templates``), so both sides show
the same data with the same markup.

Only the pages the bench measures are real: home, lookup, the asset page,
document lists and the jobs list. The other endpoints exist so that the
templates' links resolve.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Connection, Date, DateTime, Engine, bindparam, create_engine, event, text
from sqlalchemy.sql.expression import Executable

TEMPLATES = Path(__file__).resolve().parent.parent / "examples" / "flask_app" / "templates"
STATIC = TEMPLATES.parent / "static"
PAGE_SIZE = 50

#: The menu of the example (endpoint, url arguments, label, permission).
NAV: tuple[tuple[str, dict[str, str], str, str], ...] = (
    ("customer.my_assets", {}, "My assets", "asset.view"),
    ("customer.jobs", {}, "Jobs", "job.view"),
    ("actions.service_requests", {}, "Service requests", "service_request.edit"),
    ("actions.appointments", {}, "Appointments", "appointment.view"),
    ("actions.meters", {}, "Meter readings", "meter_reading.edit"),
    ("customer.documents", {"kind": "quotes"}, "Quotes", "quote.view"),
    ("customer.documents", {"kind": "invoices"}, "Invoices", "invoice.view"),
    ("customer.documents", {"kind": "reports"}, "Reports", "report.view"),
    ("customer.account", {}, "Account", "account.summary.view"),
    ("customer.messages", {}, "Messages", "message.view"),
    ("staff.invitations", {}, "Invitations", "invitation.send"),
)
#: The asset page: (key, title, permissions, informational, actions).
SECTIONS: tuple[tuple[str, str, tuple[str, ...], bool, tuple[str, ...]], ...] = (
    ("identification", "Identification", ("asset.identification.view",), True, ()),
    ("outstanding_service_requests", "Outstanding Service Requests",
     ("service_request.view",), True, ()),
    ("open_pending_repairs", "Open and Pending Repairs", ("pending_repair.view",), True, ()),
    ("appointments", "Appointments", ("appointment.view",), False,
     ("appointment.edit", "appointment.cancel")),
    ("request_service", "Request Service", ("service_request.edit",), False, ()),
    ("add_meter_reading", "Add Meter Reading", ("meter_reading.edit",), False, ()),
    ("maintenance_schedule", "Maintenance Schedule", ("pm.view", "sa.view"), False, ()),
)
INFORMATIONAL = frozenset(key for key, _, _, informational, _ in SECTIONS if informational)
#: Appointment permissions count only with person.manage (the catalogue's rule).
NEEDS_PERSON = frozenset({"appointment.view", "appointment.edit", "appointment.cancel"})
ASSET_FIELDS = (
    ("number", "Asset ID"), ("asset_type", "Asset type"), ("customer", "Customer"),
    ("model", "Model number"), ("serial", "Serial #"), ("customer_ref", "Customer ref"),
    ("description", "Description"), ("last_test_number", "Last test number"),
    ("last_test_date", "Last test date"),
)
JOB_FIELDS = ("number", "status", "scheduled_on", "site_address", "notes", "po_number")
KPI_LABELS = {
    "total_service_repairs": "Total service repairs",
    "completed_service_visits": "Completed service visits",
    "first_time_fix_calls": "First time fix calls",
    "equipment_in_service": "Equipment in service",
}
#: URL kind -> (stored kind, permission, statuses never shown, only statuses shown).
KINDS: dict[str, tuple[str, str, frozenset[str], frozenset[str] | None]] = {
    "quotes": ("quote", "quote.view", frozenset({"draft"}), None),
    "invoices": ("invoice", "invoice.view", frozenset({"draft"}), None),
    "reports": ("report", "report.view", frozenset(), frozenset({"approved"})),
    "statements": ("statement", "statement.view", frozenset(), None),
}


class Sql:
    """A statement with typed parameters and columns (SQLite stores dates as text),
    built once per shape: ``{placeholders}`` take the per-user scope conditions."""

    def __init__(
        self,
        statement: str,
        binds: Mapping[str, Any] | None = None,
        columns: Mapping[str, Any] | None = None,
    ) -> None:
        self.statement = statement
        self.binds = dict(binds or {})
        self.columns = dict(columns or {})
        self._built: dict[tuple[tuple[str, str], ...], Executable] = {}

    def __call__(self, **parts: str) -> Executable:
        key = tuple(sorted(parts.items()))
        built = self._built.get(key)
        if built is None:
            clause = text(self.statement.format(**parts) if parts else self.statement)
            if self.binds:
                clause = clause.bindparams(
                    *(bindparam(name, type_=kind) for name, kind in self.binds.items())
                )
            built = clause.columns(**self.columns) if self.columns else clause
            self._built[key] = built
        return built


SESSION_SQL = Sql(
    "SELECT u.id, u.name, t.id AS tenant_id, t.name AS tenant_name, t.settings"
    " FROM portalkit_users u JOIN portalkit_tenants t ON t.id = u.tenant_id"
    " WHERE t.slug = :slug AND u.id = :uid AND u.security_stamp = :stamp AND u.is_active"
)
ACCESS_SQL = Sql(
    "SELECT 'grant' AS what, r.permissions AS data, g.scope_path AS path"
    " FROM portalkit_grants g JOIN portalkit_roles r ON r.id = g.role_id"
    " WHERE g.tenant_id = :tid AND (g.user_id = :uid OR g.group_id IN"
    " (SELECT m.group_id FROM portalkit_memberships m WHERE m.tenant_id = :tid"
    " AND m.user_id = :uid))"
    " UNION ALL SELECT 'group', gr.kpi_keys, CAST(gr.id AS VARCHAR)"
    " FROM portalkit_memberships m JOIN portalkit_groups gr ON gr.id = m.group_id"
    " WHERE m.tenant_id = :tid AND m.user_id = :uid"
)
_LIVE_UNREAD = (
    " FROM portalkit_messages m WHERE m.tenant_id = :tid AND m.starts_at <= :now"
    " AND (m.ends_at IS NULL OR m.ends_at > :now) AND NOT EXISTS (SELECT 1 FROM"
    " portalkit_message_reads r WHERE r.tenant_id = :tid AND r.message_id = m.id"
    " AND r.user_id = :uid)"
)
UNREAD_EVERYONE_SQL = Sql(
    "SELECT COUNT(*)" + _LIVE_UNREAD + " AND m.to_everyone", {"now": DateTime()}
)
UNREAD_AUDIENCE_SQL = Sql(
    "SELECT m.to_everyone, m.group_ids" + _LIVE_UNREAD, {"now": DateTime()}
)
INBOX_SQL = Sql(
    "SELECT m.id, m.title, m.body, m.to_everyone, m.group_ids, r.read_at"
    " FROM portalkit_messages m LEFT JOIN portalkit_message_reads r ON r.tenant_id = m.tenant_id"
    " AND r.message_id = m.id AND r.user_id = :uid WHERE m.tenant_id = :tid"
    " AND m.starts_at <= :now AND (m.ends_at IS NULL OR m.ends_at > :now)"
    " ORDER BY m.starts_at DESC, m.id DESC",
    {"now": DateTime()},
)
ASSET_SQL = Sql(
    "SELECT a.*, o.name AS customer FROM portalkit_assets a LEFT JOIN portalkit_scopes o"
    " ON o.tenant_id = a.tenant_id AND o.kind = 'organization'"
    " AND a.scope_path LIKE o.path || '%' WHERE a.tenant_id = :tid AND a.id = :id",
    columns={"last_test_date": Date()},
)
REQUESTS_SQL = Sql(
    "SELECT status, description, created_at, kind, scope_path FROM portalkit_service_requests"
    " WHERE tenant_id = :tid AND asset_id = :asset ORDER BY created_at DESC, id DESC LIMIT 50",
    columns={"created_at": DateTime()},
)
REPAIRS_SQL = Sql(
    "SELECT id, status, number, notes FROM portalkit_jobs WHERE tenant_id = :tid"
    " AND asset_id = :asset AND status IN ('scheduled', 'in_progress', 'unscheduled')"
    " AND {visible} ORDER BY scheduled_on DESC NULLS LAST, id DESC LIMIT 51"
)
APPOINTMENTS_SQL = Sql(
    "SELECT id, starts_at, status FROM portalkit_appointments WHERE tenant_id = :tid"
    " AND asset_id = :asset AND starts_at > :now AND status = 'booked'"
    " ORDER BY starts_at LIMIT 100",
    {"now": DateTime()}, {"starts_at": DateTime()},
)
SLOTS_SQL = Sql(
    "SELECT ac.data, s.location, s.starts_at, s.booked FROM portalkit_action_settings ac"
    " LEFT JOIN portalkit_slots s ON s.tenant_id = ac.tenant_id AND s.starts_at >= :lo"
    " AND s.starts_at < :hi WHERE ac.tenant_id = :tid",
    {"lo": DateTime(), "hi": DateTime()}, {"starts_at": DateTime()},
)
METERS_SQL = Sql(
    "SELECT id, name, unit, last_value FROM portalkit_meters WHERE tenant_id = :tid"
    " AND asset_id = :asset ORDER BY name"
)
MAINTENANCE_SQL = Sql(
    "SELECT id, kind, code, description, due_on FROM portalkit_maintenance_items"
    " WHERE tenant_id = :tid AND asset_id = :asset AND kind IN ('pm', 'sa')",
    columns={"due_on": Date()},
)
ORGANIZATIONS_SQL = Sql(
    "SELECT id, name FROM portalkit_scopes WHERE tenant_id = :tid AND kind = 'organization'"
    " AND path IN ({paths})"
)
LOOKUP_SQL = Sql(
    "SELECT id, scope_path, number_key FROM portalkit_assets WHERE tenant_id = :tid"
    " AND (number_key = :key OR plate_key = :key) AND {visible} LIMIT 50"
)
THROTTLE_SQL = Sql(
    "INSERT INTO portalkit_throttle (key, failures, window_start, last_failure)"
    " VALUES (:key, 1, :now, :now) ON CONFLICT (key) DO UPDATE SET"
    " failures = CASE WHEN portalkit_throttle.window_start < :cut THEN 1"
    " ELSE portalkit_throttle.failures + 1 END,"
    " window_start = CASE WHEN portalkit_throttle.window_start < :cut THEN :now"
    " ELSE portalkit_throttle.window_start END, last_failure = :now RETURNING failures",
    {"now": DateTime(), "cut": DateTime()},
)
DOCUMENTS_SQL = Sql(
    "SELECT id, kind, number, title, status, issued_on, total_cents, currency"
    " FROM portalkit_documents WHERE tenant_id = :tid AND kind = :kind AND {status}"
    " AND {visible} ORDER BY issued_on DESC NULLS LAST, id DESC LIMIT :limit",
    columns={"issued_on": Date()},
)
JOBS_SQL = Sql(
    "SELECT id, number, status, scheduled_on, site_address, notes, po_number"
    " FROM portalkit_jobs WHERE tenant_id = :tid AND {visible}"
    " ORDER BY scheduled_on DESC NULLS LAST, id DESC LIMIT :limit",
    columns={"scheduled_on": Date()},
)


def _prefixes(column: str, paths: Sequence[str], params: dict[str, Any]) -> str:
    """``column`` under one of *paths* (bound as parameters), or FALSE."""
    if not paths:
        return "1 = 0"
    terms = []
    for n, path in enumerate(paths):
        params[f"p{n}"] = path + "%"
        terms.append(f"{column} LIKE :p{n}")
    return "(" + " OR ".join(terms) + ")"


def money(cents: int | None, currency: str | None = "USD") -> str:
    """The example's money filter."""
    if cents is None:
        return "-"
    return f"{cents / 100:,.2f} {currency or ''}".strip()


def page_url(cursor: str) -> str:
    """The example's ``page_url``: this page's address, its search kept, for the next page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
    args.update(request.view_args or {}, cursor=cursor)
    return url_for(request.endpoint or "customer.home", **args)


def normalize(text_value: str) -> str:
    """An asset number or plate as stored in ``number_key`` / ``plate_key`` (ASCII input)."""
    return "".join(ch for ch in text_value if ch not in " -._\t").lower()


class Access:
    """What the access query gave: paths per permission, the user's groups and KPI keys."""

    def __init__(self, rows: Sequence[Any]) -> None:
        paths: dict[str, set[str]] = {}
        self.groups: list[int] = []
        self.kpi_keys: set[str] = set()
        for what, data, path in rows:
            values = data if isinstance(data, list) else json.loads(data)
            if what == "grant":
                for permission in values:
                    paths.setdefault(permission, set()).add(path)
            else:
                self.groups.append(int(path))
                self.kpi_keys.update(values)
        person = paths.get("person.manage", set())
        for name in NEEDS_PERSON & paths.keys():
            # held only where person.manage is held too (at or above)
            paths[name] = {p for p in paths[name] if any(p.startswith(q) for q in person)}
        self.paths = {k: sorted(_outermost(v)) for k, v in paths.items() if v}

    def anywhere(self, permission: str) -> bool:
        """Whether *permission* is held at some scope."""
        return bool(self.paths.get(permission))

    def at(self, permission: str, path: str) -> bool:
        """Whether *permission* is held at *path* or above it."""
        return any(path.startswith(p) for p in self.paths.get(permission, ()))


def _outermost(paths: set[str]) -> set[str]:
    return {p for p in paths if not any(p != q and p.startswith(q) for q in paths)}


def create_app(
    database_url: str,
    *,
    secret_key: str,
    tenant: str = "demo",
    engine: Engine | None = None,
) -> Flask:
    """The hand-written portal over *database_url*'s portalkit tables."""
    the_engine = engine or make_engine(database_url)
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["handwritten_engine"] = the_engine
    app.jinja_env.filters["money"] = money
    # The example's templates speak through its catalogue: the same _(), status labels and lang.
    from examples.flask_app import i18n  # noqa: PLC0415

    i18n.install(app)
    app.add_template_global(page_url)

    def csrf_token() -> str:
        # The forms need a token field; the bench only reads pages.
        token = session.get("_csrf")
        if not isinstance(token, str):
            token = session["_csrf"] = secrets.token_urlsafe(32)
        return token

    app.add_template_global(csrf_token)
    app.add_url_rule(
        "/brand.css", "brand_css",
        lambda: app.response_class(":root { --brand: #1f6feb; }\n", mimetype="text/css"),
    )

    @contextmanager
    def connection() -> Iterator[Connection]:
        conn: Connection | None = g.get("hw_conn")
        if conn is not None:
            yield conn
            return
        with the_engine.connect() as conn, conn.begin():
            g.hw_conn = conn
            try:
                yield conn
            finally:
                g.pop("hw_conn", None)

    def now() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    def signed_in() -> dict[str, Any] | None:
        if "hw_user" in g:
            return g.hw_user  # type: ignore[no-any-return]
        uid, stamp = session.get("uid"), session.get("stamp")
        user = None
        if isinstance(uid, int) and isinstance(stamp, str):
            with connection() as conn:
                row = conn.execute(SESSION_SQL(), {"slug": tenant, "uid": uid, "stamp": stamp})
                found = row.mappings().first()
                if found is not None:
                    user = dict(found)
                    settings = user["settings"]
                    user["settings"] = settings if isinstance(settings, dict) else json.loads(
                        settings
                    )
                    rows = conn.execute(ACCESS_SQL(), {"tid": user["tenant_id"], "uid": uid}).all()
                    user["access"] = Access(rows)
        g.hw_user = user
        return user

    def page(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        """One connection and transaction for the whole request; sign-in required."""

        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            with connection():
                if signed_in() is None:
                    return redirect(url_for("auth.login", next=request.path))
                return view(*args, **kwargs)

        wrapper.__name__ = view.__name__
        return wrapper

    def layout() -> dict[str, Any]:
        user = signed_in()
        if user is None:
            return {"nav": [], "brand": {}, "tenant": {}, "current_user": None,
                    "is_guest": False, "unread": 0, "organizations": [], "organization": None}
        access: Access = user["access"]
        nav = [(e, a, label) for e, a, label, p in NAV if access.anywhere(p)]
        unread = 0
        if access.anywhere("message.view"):
            params = {"tid": user["tenant_id"], "uid": user["id"], "now": now()}
            with connection() as conn:
                if not access.groups:
                    unread = int(conn.execute(UNREAD_EVERYONE_SQL(), params).scalar_one())
                else:
                    mine = set(access.groups)
                    unread = sum(
                        1 for everyone, groups in conn.execute(UNREAD_AUDIENCE_SQL(), params)
                        if everyone or mine & set(_json(groups))
                    )
        return {"nav": nav, "brand": user["settings"],
                "tenant": {"name": user["tenant_name"]},
                "current_user": user, "is_guest": False, "unread": unread,
                "organizations": organizations(user), "organization": None}

    def organizations(user: dict[str, Any]) -> list[tuple[int, str]]:
        """The switcher's (id, name) by name: the organizations of the user's grants, if several."""
        access: Access = user["access"]
        paths = sorted({_organization(p) for held in access.paths.values() for p in held})
        if len(paths) < 2:
            return []
        params: dict[str, Any] = {"tid": user["tenant_id"]}
        for n, path in enumerate(paths):
            params[f"o{n}"] = path
        placeholders = ", ".join(f":o{n}" for n in range(len(paths)))
        with connection() as conn:
            rows = conn.execute(ORGANIZATIONS_SQL(paths=placeholders), params).all()
        return sorted(((r.id, r.name) for r in rows), key=lambda r: (r[1].casefold(), r[0]))

    app.context_processor(layout)

    customer = Blueprint("customer", __name__)
    auth = Blueprint("auth", __name__)
    staff = Blueprint("staff", __name__)

    def who() -> tuple[dict[str, Any], Access]:
        user = signed_in()
        assert user is not None
        return user, user["access"]

    def require(permission: str) -> None:
        if not who()[1].anywhere(permission):
            abort(403)

    @customer.get("/", endpoint="home")
    @page
    def home() -> ResponseReturnValue:
        user, access = who()
        tiles = []
        if access.kpi_keys:
            seed = "|".join(sorted(access.paths.get("kpi.view", ())))
            for key in sorted(access.kpi_keys):
                n = zlib.crc32(f"{user['tenant_id']}:{key}:{seed}".encode()) % 97
                value = f"{60 + n % 40}%" if "on_time" in key or "first_time" in key else n + 3
                tiles.append({"key": key, "label": KPI_LABELS.get(key, key), "value": value})
        inbox = []
        if access.anywhere("message.view"):
            mine = set(access.groups)
            with connection() as conn:
                for row in conn.execute(INBOX_SQL(), {"tid": user["tenant_id"], "uid": user["id"],
                                                   "now": now()}).mappings():
                    if row["to_everyone"] or mine & set(_json(row["group_ids"])):
                        message = {"title": row["title"], "body": row["body"]}
                        inbox.append({"message": message, "read": row["read_at"] is not None})
        return render_template("home.html", tiles=tiles, inbox=inbox[:3])

    @customer.route("/lookup", methods=["GET", "POST"], endpoint="lookup")
    @page
    def lookup() -> ResponseReturnValue:
        require("asset.view")
        user, access = who()
        typed = request.values.get("q", "").strip()
        if not typed:
            return render_template("lookup.html", q="", error=None)
        key = normalize(typed)
        if not key or len(typed) > 64:
            return render_template("lookup.html", q=typed, error="Enter an asset number."), 400
        rate = int(user["settings"].get("lookup_rate", 30))
        params: dict[str, Any] = {"tid": user["tenant_id"], "key": key}
        visible = _prefixes("scope_path", access.paths.get("asset.view", []), params)
        with connection() as conn:
            if rate > 0:
                at = now()
                count = conn.execute(THROTTLE_SQL(), {
                    "key": f"hw-lookup:{user['tenant_id']}:{user['id']}", "now": at,
                    "cut": at - dt.timedelta(minutes=1),
                }).scalar_one()
                if count > rate:
                    abort(429)
            matches = conn.execute(LOOKUP_SQL(visible=visible), params).all()
        by_org: dict[str, list[Any]] = {}
        for match in matches:
            org = match.scope_path[: match.scope_path.index("/", 1) + 1]
            by_org.setdefault(org, []).append(match)
        if len(by_org) == 1:
            (found,) = by_org.values()
            best = min(found, key=lambda m: (m.number_key != key, m.id))
            return redirect(url_for("customer.asset", asset_id=best.id))
        if not by_org:
            return render_template(
                "lookup.html", q=typed,
                error="No asset with this number or licence plate is available to you.",
            ), 404
        return "Several organizations match (not part of this bench).", 501

    @customer.get("/assets/<int:asset_id>", endpoint="asset")
    @page
    def asset(asset_id: int) -> ResponseReturnValue:
        require("asset.view")
        user, access = who()
        tid = user["tenant_id"]
        with connection() as conn:
            row = conn.execute(ASSET_SQL(), {"tid": tid, "id": asset_id}).mappings().first()
            if row is None or not access.at("asset.view", row["scope_path"]):
                abort(404)
            found = dict(row)
            path = found["scope_path"]
            sections = []
            for key, title, needed, _info, actions in SECTIONS:
                if all(access.at(p, path) for p in needed):
                    sections.append({
                        "key": key, "section": {"title": title},
                        "actions": frozenset(a for a in actions if access.at(a, path)),
                    })
            if not any(s["key"] in INFORMATIONAL for s in sections):
                return render_template("no_access.html", asset=found), 403
            keys = {s["key"]: s for s in sections}
            data: dict[str, Any] = {}
            ref = {"tid": tid, "asset": asset_id}
            if "identification" in keys:
                data["fields"] = [
                    (label, _plain(found.get(name))) for name, label in ASSET_FIELDS
                ]
            if "outstanding_service_requests" in keys:
                data["requests"] = [
                    r for r in conn.execute(REQUESTS_SQL(), ref).mappings()
                    if access.at("service_request.view" if r["kind"] == "service"
                                 else "job.view", r["scope_path"])
                ]
            if "open_pending_repairs" in keys:
                params = dict(ref)
                visible = _prefixes("scope_path", access.paths.get("job.view", []), params)
                data["repairs"] = conn.execute(
                    REPAIRS_SQL(visible=visible), params
                ).mappings().all()[:PAGE_SIZE]
            at = now()
            if "appointments" in keys:
                data["appointments"] = conn.execute(
                    APPOINTMENTS_SQL(), {**ref, "now": at}
                ).mappings().all()
                if "appointment.edit" in keys["appointments"]["actions"]:
                    data["slots"] = _slots(conn, tid, at, at + dt.timedelta(days=7))[:12]
            if "add_meter_reading" in keys:
                data["meters"] = conn.execute(METERS_SQL(), ref).mappings().all()
            if "maintenance_schedule" in keys:
                data["schedule"] = _schedule(
                    conn.execute(MAINTENANCE_SQL(), ref).mappings().all(), at.date(),
                    {k for k, p in (("pm", "pm.view"), ("sa", "sa.view")) if access.at(p, path)},
                )
        return render_template(
            "asset.html", asset=found, sections=sections, keys=keys, data=data,
            errors={}, form=request.form, nonce="0" * 32,
        )

    @customer.get("/jobs", endpoint="jobs")
    @page
    def jobs() -> ResponseReturnValue:
        require("job.view")
        user, access = who()
        params: dict[str, Any] = {"tid": user["tenant_id"], "limit": PAGE_SIZE + 1}
        visible = _prefixes("scope_path", access.paths.get("job.view", []), params)
        with connection() as conn:
            found = conn.execute(JOBS_SQL(visible=visible), params).mappings().all()
        rows = [
            {"id": j["id"], **{f: _plain(j[f]) for f in JOB_FIELDS}} for j in found[:PAGE_SIZE]
        ]
        more = SimpleNamespace(next_cursor="more" if len(found) > PAGE_SIZE else None)
        return render_template("jobs.html", rows=rows, page=more, errors={})

    @customer.get("/documents/<kind>", endpoint="documents")
    @page
    def documents(kind: str) -> ResponseReturnValue:
        if kind not in KINDS:
            abort(404)
        stored, permission, hidden, shown = KINDS[kind]
        user, access = who()
        params: dict[str, Any] = {"tid": user["tenant_id"], "kind": stored,
                                  "limit": PAGE_SIZE + 1}
        if shown is not None:
            status = "status IN (" + ", ".join(f"'{s}'" for s in sorted(shown)) + ")"
        elif hidden:
            status = "status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(hidden)) + ")"
        else:
            status = "1 = 1"
        visible = _prefixes("scope_path", access.paths.get(permission, []), params)
        with connection() as conn:
            found = conn.execute(
                DOCUMENTS_SQL(status=status, visible=visible), params
            ).mappings().all()
        items = found[:PAGE_SIZE]
        more = "more" if len(found) > PAGE_SIZE else None
        kinds = [k for k, (_, needed, _, _) in KINDS.items() if access.anywhere(needed)]
        return render_template(
            "documents.html", kind=kind, page=SimpleNamespace(items=items, next_cursor=more),
            kinds=kinds,
        )

    def not_here(**_kwargs: Any) -> ResponseReturnValue:
        abort(404)

    for name, rule, methods in (
        ("account", "/account", ["GET"]), ("messages", "/messages", ["GET"]),
        ("my_assets", "/assets", ["GET"]), ("job", "/jobs/<int:job_id>", ["GET"]),
        ("contracts", "/account/contracts", ["GET"]),
        ("call_off", "/account/call-off", ["GET", "POST"]),
        ("mark_read", "/messages/<int:message_id>/read", ["POST"]),
        ("quote", "/quotes/<int:document_id>", ["GET"]),
        ("download", "/documents/<int:document_id>/download", ["POST"]),
        ("cancel", "/assets/<int:asset_id>/appointments/<int:appointment_id>/cancel", ["POST"]),
        ("book", "/assets/<int:asset_id>/appointments", ["POST"]),
        ("request_service", "/assets/<int:asset_id>/request", ["POST"]),
        ("meter_reading", "/assets/<int:asset_id>/meters", ["POST"]),
    ):
        customer.add_url_rule(rule, name, not_here, methods=methods)
    auth.add_url_rule("/login", "login", not_here)
    auth.add_url_rule("/logout", "logout", not_here, methods=["POST"])
    auth.add_url_rule("/profile", "profile", not_here)
    staff.add_url_rule("/staff/invitations", "invitations", not_here)
    organizations_bp = Blueprint("organizations", __name__)
    organizations_bp.add_url_rule("/organizations", "choose", not_here)
    organizations_bp.add_url_rule("/organization", "switch", not_here, methods=["POST"])
    actions = Blueprint("actions", __name__)
    actions.add_url_rule("/service-requests", "service_requests", not_here)
    actions.add_url_rule("/appointments", "appointments", not_here)
    actions.add_url_rule("/meters", "meters", not_here)
    for blueprint in (customer, auth, staff, organizations_bp, actions):
        app.register_blueprint(blueprint)
    return app


def make_engine(database_url: str) -> Engine:
    """An engine with SQLite's usual settings: a busy timeout and deferred transactions."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # BEGIN is ours, below
            dbapi_connection.execute("PRAGMA busy_timeout=5000")

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def sign_in(app: Flask, client: Any, email: str, tenant: str = "demo") -> None:
    """Put *email*'s user in *client*'s session (sign-in itself is not measured)."""
    engine: Engine = app.extensions["handwritten_engine"]
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT u.id, u.security_stamp FROM portalkit_users u JOIN portalkit_tenants t"
                 " ON t.id = u.tenant_id WHERE t.slug = :slug AND u.email = :email"),
            {"slug": tenant, "email": email},
        ).one()
    with client.session_transaction() as sess:
        sess["uid"], sess["stamp"] = int(row.id), row.security_stamp


def _json(value: Any) -> list[Any]:
    return value if isinstance(value, list) else json.loads(value or "[]")


def _organization(path: str) -> str:
    """The path of the organization *path* belongs to (its first segment)."""
    return path[: path.index("/", 1) + 1]


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _slots(conn: Connection, tid: int, lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
    """Free business-hours slots starting after *lo* and before *hi* (naive UTC)."""
    rows = conn.execute(SLOTS_SQL(), {"tid": tid, "lo": lo, "hi": hi + dt.timedelta(days=1)}).all()
    if not rows:
        return []
    settings = rows[0].data if isinstance(rows[0].data, dict) else json.loads(rows[0].data)
    if settings.get("timezone", "UTC") != "UTC":
        raise NotImplementedError("the bench's data uses UTC business hours")
    booked = {(r.location, r.starts_at): r.booked for r in rows if r.starts_at is not None}
    length = dt.timedelta(minutes=int(settings.get("slot_minutes", 60)))
    capacity = int(settings.get("slot_capacity", 1))
    lo = max(lo, lo + dt.timedelta(minutes=int(settings.get("min_notice_minutes", 0))))
    out = []
    day = lo.date() - dt.timedelta(days=1)
    while day <= hi.date():
        for weekday, opens, closes in settings["business_hours"]:
            if weekday != day.weekday():
                continue
            at = dt.datetime.combine(day, dt.time.fromisoformat(opens))
            close_at = dt.datetime.combine(day, dt.time.fromisoformat(closes))
            while at + length <= close_at:
                if lo < at < hi:
                    free = capacity - booked.get(("", at), 0)
                    if free > 0:
                        out.append({"starts_at": at.replace(tzinfo=dt.timezone.utc), "free": free})
                at += length
        day += dt.timedelta(days=1)
    return out


def _schedule(items: Sequence[Mapping[str, Any]], today: dt.date, kinds: set[str]) -> Any:
    last = today + dt.timedelta(days=90)
    overdue, upcoming = [], []
    for item in items:
        if item["kind"] not in kinds or item["due_on"] is None:
            continue
        (overdue if item["due_on"] < today else upcoming if item["due_on"] <= last else []).append(
            item
        )
    order = lambda i: (i["due_on"], i["kind"], i["code"], i["id"])  # noqa: E731
    return {"overdue": sorted(overdue, key=order), "upcoming": sorted(upcoming, key=order)}
