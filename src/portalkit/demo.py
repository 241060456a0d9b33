"""The demo data set: one tenant, three customer organizations, and their records.

It backs ``portalkit demo`` and the example apps, and is a compact tour of the
staff API. Loading is idempotent: an existing demo tenant is left as it is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from portalkit import perms
from portalkit._cli_support import sqlite_path
from portalkit._portal import Portal
from portalkit._services.admin import AdminSession
from portalkit._services.identity import set_password
from portalkit.domain.accounts import AccountBalance, Contract
from portalkit.domain.actions import ActionSettings, BusinessHours
from portalkit.domain.filters import TRUE, Eq
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import ConfigurationError

__all__ = [
    "DEMO_DATABASE_URL",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_TENANT",
    "DemoSummary",
    "delete_demo_database",
    "load_demo",
]

#: The slug of the demo tenant.
DEMO_TENANT = "demo"
#: Where ``portalkit demo`` and ``make demo`` keep the demo data: a SQLite file in
#: the current directory, kept between runs (``make clean`` removes it).
DEMO_DATABASE_URL = "sqlite:///portalkit-demo.db"


def delete_demo_database(url: str = DEMO_DATABASE_URL) -> Path | None:
    """Delete the SQLite file of *url* (and its journal) so the demo starts anew.

    Returns the file's path, or None for ``memory://``. Only a SQLite file:
    a demo never drops a server's database.

    Raises:
        ConfigurationError: *url* is not a SQLite file URL.
    """
    path = sqlite_path(url)
    if path is None:
        if url.startswith("memory:"):
            return None
        raise ConfigurationError(
            "--fresh deletes a SQLite demo file only; give a sqlite:/// URL."
        )
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


@attrs.frozen
class DemoSummary:
    """Counts of what the demo tenant holds."""

    tenant: str
    organizations: int
    scopes: int
    users: int
    roles: int
    assets: int
    documents: int
    jobs: int
    customers: int
    created: bool
    logins: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """A human-readable summary, one line per kind of record."""
        return [
            f"tenant          {self.tenant}",
            f"organizations   {self.organizations}",
            f"scope nodes     {self.scopes}",
            f"users           {self.users}",
            f"roles           {self.roles}",
            f"assets          {self.assets}",
            f"documents       {self.documents}",
            f"jobs            {self.jobs}",
            f"customers       {self.customers}",
            *(
                [f"logins          {', '.join(self.logins)} (password: {DEMO_PASSWORD})"]
                if self.logins
                else []
            ),
        ]


@attrs.frozen
class _Org:
    key: str
    name: str
    phone: str
    email: str
    postal_code: str
    country: str


_ORGS = (
    _Org(
        "CUST-1001", "City Fleet Services", "+12025550143", "fleet@cityfleet.example", "20001", "US"
    ),
    _Org(
        "CUST-1002",
        "Green Acres Landscaping",
        "+14165550188",
        "office@greenacres.example",
        "M5V 3L9",
        "CA",
    ),
    _Org(
        "CUST-1003",
        "Rent-All Equipment Co",
        "+442079460321",
        "hire@rentall.example",
        "SW1A 1AA",
        "GB",
    ),
)


def _tree(admin: AdminSession, org: ScopeNode, index: int) -> list[ScopeNode]:
    """Build each organization's structure; returns its sites."""
    if index == 0:
        works = admin.add_scope(org, kind="parent_group", name="Public Works", external_key="CF-PW")
        streets = admin.add_scope(works, kind="division", name="Streets", external_key="CF-ST")
        parks = admin.add_scope(works, kind="division", name="Parks", external_key="CF-PK")
        admin.add_scope(org, kind="shop", name="Central Shop", external_key="CF-SHOP")
        return [
            admin.add_scope(streets, kind="site", name="Depot 4", external_key="CF-D4"),
            admin.add_scope(streets, kind="site", name="North Yard", external_key="CF-NY"),
            admin.add_scope(parks, kind="site", name="Riverside Park", external_key="CF-RP"),
        ]
    if index == 1:
        res = admin.add_scope(org, kind="division", name="Residential", external_key="GA-RES")
        com = admin.add_scope(org, kind="division", name="Commercial", external_key="GA-COM")
        return [
            admin.add_scope(res, kind="site", name="Maple Estates", external_key="GA-ME"),
            admin.add_scope(com, kind="site", name="Harbour Office Park", external_key="GA-HOP"),
        ]
    return [
        admin.add_scope(org, kind="site", name="Main Store", external_key="RA-MAIN"),
        admin.add_scope(org, kind="site", name="Airport Branch", external_key="RA-AIR"),
    ]


_ASSET_TYPES = ("Truck", "Van", "Mower", "Excavator", "Generator", "Sweeper")


def _records(admin: AdminSession, org_index: int, sites: list[ScopeNode]) -> None:
    prefix = ("CF", "GA", "RA")[org_index]
    today = dt.date(2026, 11, 2)
    for n in range(8):
        site = sites[n % len(sites)]
        admin.upsert_asset(
            number=f"{prefix}-{100 + n}",
            plate=f"{prefix}{n} {200 + n * 7}" if n % 3 != 2 else None,
            scope=site,
            external_key=f"{prefix}-ASSET-{n}",
            asset_type=_ASSET_TYPES[(n + org_index) % len(_ASSET_TYPES)],
            description=f"{_ASSET_TYPES[(n + org_index) % len(_ASSET_TYPES)]} #{n + 1}",
            model=f"M{2020 + n}",
            serial=f"SN{org_index}{n:04d}",
            customer_ref=f"REF-{n:03d}",
            last_test_number=f"T-{org_index}{n:03d}",
            last_test_date=today - dt.timedelta(days=30 * n),
        )
    # The same asset number in two organizations: the resolver must ask which one.
    admin.upsert_asset(
        number="SHARED-1",
        plate="DUP 001",
        scope=sites[0],
        external_key=f"{prefix}-SHARED",
        asset_type="Trailer",
    )
    states = {
        "quote": ("draft", "sent", "accepted"),
        "invoice": ("draft", "awaiting_payment", "paid"),
        "report": ("draft", "approved"),
        "statement": ("issued",),
        "contract": ("open", "closed"),
        "proposal": ("sent",),
    }
    for kind, statuses in states.items():
        for i, status in enumerate(statuses):
            admin.add_document(
                kind=kind,
                status=status,
                number=f"{prefix}-{kind[:3].upper()}-{i + 1:04d}",
                scope=sites[i % len(sites)],
                issued_on=today - dt.timedelta(days=10 * i),
                title=f"{kind.capitalize()} {i + 1} for {sites[i % len(sites)].name}",
                total_cents=125_000 + 2_500 * i,
                currency="USD",
                filename=f"{prefix}-{kind}-{i + 1}.pdf",
            )
    for i, status in enumerate(("scheduled", "in_progress", "completed", "unscheduled")):
        admin.add_job(
            number=f"{prefix}-JOB-{i + 1:03d}",
            status=status,
            scope=sites[i % len(sites)],
            job_type="Service",
            scheduled_on=today + dt.timedelta(days=7 * (i - 1)),
            site_address=f"{10 + i} Example Street",
            notes="Annual inspection",
            po_number=f"PO-{org_index}{i:03d}",
        )


#: The password of every demo login (for the demo only; it meets the password policy).
DEMO_PASSWORD = "harbour-lantern-violet-42"  # noqa: S105

#: The demo logins: (email, what they show).
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin@northwind.example", "staff: sends invitations, sees every organization"),
    ("ann@cityfleet.example", "City Fleet fleet manager: assets, actions, jobs, documents, KPIs"),
    ("bob@greenacres.example", "Green Acres, Residential division: jobs and documents"),
    ("carol@rentall.example", "Rent-All: account summary, contracts, items out, call off rent"),
    ("dave@consultant.example", "two organizations: SHARED-1 asks which one"),
    ("eve@cityfleet.example", "lookup only: sees the no-access page"),
)

_ALL_CUSTOMER = (
    perms.ASSET_VIEW,
    perms.ASSET_IDENTIFICATION_VIEW,
    perms.SERVICE_REQUEST_VIEW,
    perms.SERVICE_REQUEST_EDIT,
    perms.PENDING_REPAIR_VIEW,
    perms.PERSON_MANAGE,
    perms.APPOINTMENT_VIEW,
    perms.APPOINTMENT_EDIT,
    perms.APPOINTMENT_CANCEL,
    perms.METER_READING_EDIT,
    perms.PM_VIEW,
    perms.SA_VIEW,
    perms.JOB_VIEW,
    perms.JOB_REQUEST,
    perms.QUOTE_VIEW,
    perms.QUOTE_DECIDE,
    perms.INVOICE_VIEW,
    perms.REPORT_VIEW,
    perms.DEFECT_VIEW,
    perms.KPI_VIEW,
    perms.MESSAGE_VIEW,
    perms.PROFILE_EDIT,
)

_ROLES: dict[str, tuple[str, ...]] = {
    "fleet_manager": _ALL_CUSTOMER,
    "site_contact": (
        perms.ASSET_VIEW,
        perms.ASSET_IDENTIFICATION_VIEW,
        perms.JOB_VIEW,
        perms.JOB_REQUEST,
        perms.QUOTE_VIEW,
        perms.INVOICE_VIEW,
        perms.REPORT_VIEW,
        perms.MESSAGE_VIEW,
        perms.PROFILE_EDIT,
    ),
    "rental_customer": (
        perms.ACCOUNT_SUMMARY_VIEW,
        perms.STATEMENT_VIEW,
        perms.CONTRACT_VIEW,
        perms.ITEMS_OUT_VIEW,
        perms.CALL_OFF_RENT_REQUEST,
        perms.INVOICE_VIEW,
        perms.QUOTE_VIEW,
        perms.MESSAGE_VIEW,
        perms.PROFILE_EDIT,
        perms.JOB_VIEW,
    ),
    "lookup_only": (perms.ASSET_VIEW, perms.MESSAGE_VIEW, perms.PROFILE_EDIT),
    # Lookup and request service only: every anonymous visitor is the same
    # guest user, so a view permission would show one visitor's requests to the next.
    "guest": (
        perms.ASSET_VIEW,
        perms.ASSET_IDENTIFICATION_VIEW,
        perms.SERVICE_REQUEST_EDIT,
    ),
    "staff": (*_ALL_CUSTOMER, perms.INVITATION_SEND, *perms.DOCUMENT_KIND_PERMISSIONS.values()),
}

_KPI_GROUP = "Fleet managers"
_KPI_KEYS = (
    "total_service_repairs",
    "completed_service_visits",
    "first_time_fix_calls",
    "equipment_in_service",
)


def load_demo(portal: Portal) -> DemoSummary:
    """Load the demo tenant into *portal* (once) and summarize it.

    Every demo login's password is :data:`DEMO_PASSWORD`.
    """
    try:
        portal.tenant(DEMO_TENANT)
        created = False
    except LookupError:
        portal.create_tenant(DEMO_TENANT, "Northwind Fleet Services")
        created = True
    if created:
        portal.upsert_customers(
            [
                {
                    "external_key": o.key,
                    "name": o.name,
                    "phone": o.phone,
                    "email": o.email,
                    "postal_code": o.postal_code,
                    "country": o.country,
                    "portal_enabled": True,
                    "contract_count": 2,
                    "quote_count": 1,
                }
                for o in _ORGS
            ],
            tenant=DEMO_TENANT,
        )
        with portal.admin(DEMO_TENANT) as admin:
            admin.update_settings(
                portal_name="Northwind Customer Portal",
                base_url="http://127.0.0.1:5000",
                sender_email="portal@northwind.example",
                primary_color="#0f766e",
            )
            sites: list[list[ScopeNode]] = []
            for index, org in enumerate(_ORGS):
                node = admin.scope_by_key(org.key)
                org_sites = _tree(admin, node, index)
                sites.append(org_sites)
                _records(admin, index, org_sites)
            _people(admin, portal)
            _accounts(admin)
        _actions(portal)
        _messages(portal)
    return summarize(portal, created=created)


def _people(admin: AdminSession, portal: Portal) -> None:
    """Roles, groups, users, grants at organization, division and site level, passwords."""
    for name, permissions in _ROLES.items():
        admin.define_role(name, permissions)
    fleet = admin.add_group(_KPI_GROUP, kpi_keys=_KPI_KEYS)
    city, green, rent = (admin.scope_by_key(o.key) for o in _ORGS)
    staff = admin.create_user("admin@northwind.example", "Nora Admin", is_staff=True)
    ann = admin.create_user("ann@cityfleet.example", "Ann Lee", phone="+12025550199")
    bob = admin.create_user("bob@greenacres.example", "Bob Green")
    carol = admin.create_user("carol@rentall.example", "Carol Hire")
    dave = admin.create_user("dave@consultant.example", "Dave Multi")
    eve = admin.create_user("eve@cityfleet.example", "Eve Lookup")
    guest = admin.create_user("guest@northwind.example", "Guest Visitor")
    for org in (city, green, rent):
        admin.grant(staff, "staff", scope=org)
    admin.grant(ann, "fleet_manager", scope=city)  # organization level
    admin.add_to_group(fleet, ann)
    admin.grant(fleet, "lookup_only", scope=city)
    admin.grant(bob, "site_contact", scope=admin.scope_by_key("GA-RES"))  # division level
    admin.grant(carol, "rental_customer", scope=rent)
    admin.grant(dave, "fleet_manager", scope=admin.scope_by_key("CF-D4"))  # site level
    admin.grant(dave, "fleet_manager", scope=green)
    admin.add_to_group(fleet, dave)
    admin.grant(eve, "lookup_only", scope=city)
    admin.grant(guest, "guest", scope=city)
    admin.update_settings(guest_user_id=guest.id)
    tenant = admin.tenant
    hasher = portal.hasher
    policy = portal.identity.password_policy
    for user in (staff, ann, bob, carol, dave, eve):
        set_password(
            admin.uow, tenant, admin.user(user), DEMO_PASSWORD, DEMO_PASSWORD,
            hasher=hasher, policy=policy,
        )


def _accounts(admin: AdminSession) -> None:
    """Balances and contracts of the rental customer (seed 004)."""
    tid = admin.tenant.id
    today = dt.date(2026, 11, 2)
    for index, org in enumerate(_ORGS):
        node = admin.scope_by_key(org.key)
        admin.uow.account_balances.add(
            AccountBalance(
                id=0,
                tenant_id=tid,
                organization_id=node.id,
                balance_cents=(index + 1) * 184_250,
                currency="USD",
                last_payment_cents=(index + 1) * 50_000,
                last_payment_on=today - dt.timedelta(days=12 + index),
                as_of=today,
            )
        )
    rent = admin.scope_by_key("CUST-1003")
    for number, status, items in (("RA-C-1001", "open", 3), ("RA-C-1002", "open", 1),
                                  ("RA-C-0990", "closed", 0)):
        admin.uow.contracts.add(
            Contract(
                id=0,
                tenant_id=tid,
                organization_id=rent.id,
                scope_path=rent.path,
                number=number,
                status=status,
                items_out=items,
                started_on=today - dt.timedelta(days=40),
                external_key=number,
            )
        )


def _actions(portal: Portal) -> None:
    """Business hours, meters, PMs/SAs and items on rent."""
    tenant = portal.tenant(DEMO_TENANT)
    records = portal.action_records
    records.set_settings(
        tenant.id,
        ActionSettings(
            business_hours=BusinessHours.weekdays("08:00", "17:00"),
            job_types=frozenset({"Service", "Repair", "Inspection"}),
        ),
    )
    now = portal.clock.now()
    today = now.date()
    with portal.storage.unit_of_work() as uow:
        assets = uow.assets.find(tenant.id, TRUE, order_by=("number",))
    for n, asset in enumerate(a for a in assets if a.number != "SHARED-1"):
        records.add_meter(
            tenant.id, asset, name="odometer", unit="km",
            last_value=float(12_000 + 1_500 * n), last_read_at=now - dt.timedelta(days=20),
        )
        records.add_maintenance_item(
            tenant.id, asset, kind="pm", code="PM-A", description="Oil and filter service",
            due_on=today + dt.timedelta(days=5 + 3 * (n % 7)),
            last_done_on=today - dt.timedelta(days=170),
        )
        records.add_maintenance_item(
            tenant.id, asset, kind="sa", code="SA-SAFETY", description="Annual safety inspection",
            due_on=today + dt.timedelta(days=25 + n % 11),
        )
    with portal.storage.unit_of_work() as uow:
        store = uow.scopes.get_by_external_key(tenant.id, "RA-MAIN")
    assert store is not None
    for contract, item, desc, qty in (
        ("RA-C-1001", "SCAF-10", "Scaffold tower 10 m", 2),
        ("RA-C-1001", "GEN-5K", "Generator 5 kVA", 1),
        ("RA-C-1002", "LIFT-12", "Scissor lift 12 m", 1),
    ):
        records.add_rental_item(
            tenant.id, store, contract_number=contract, item_number=item, description=desc,
            quantity_out=qty, out_since=today - dt.timedelta(days=21),
            external_key=f"{contract}/{item}",
        )


def _messages(portal: Portal) -> None:
    """Two broadcast messages: one to everyone, one to the fleet managers' group."""
    tenant = portal.tenant(DEMO_TENANT)
    service = portal.messages
    service.post(
        tenant.id, title="Holiday opening hours",
        body="Our workshops close at 14:00 on 24 December and reopen on 2 January.",
    )
    service.post(
        tenant.id, title="New inspection checklist",
        body="From next month every annual inspection includes a brake test report.",
        groups=[_KPI_GROUP],
    )


def summarize(portal: Portal, *, created: bool = False) -> DemoSummary:
    """Count the records of the demo tenant."""
    tenant = portal.tenant(DEMO_TENANT)
    with portal.storage.unit_of_work() as uow:
        tid = tenant.id
        return DemoSummary(
            tenant=tenant.name,
            organizations=uow.scopes.count(tid, Eq("kind", "organization")),
            scopes=uow.scopes.count(tid),
            users=uow.users.count(tid),
            roles=uow.roles.count(tid),
            assets=uow.assets.count(tid),
            documents=uow.documents.count(tid),
            jobs=uow.jobs.count(tid),
            customers=uow.customers.count(tid),
            created=created,
            logins=tuple(email for email, _ in DEMO_LOGINS),
        )
