"""The demo data set: one tenant, three customer organizations, and their records.

It backs ``portalkit demo`` and the example apps, and is a compact tour of the
staff API. Loading is idempotent: an existing demo tenant is left as it is.
"""

from __future__ import annotations

import datetime as dt

import attrs

from portalkit._portal import Portal
from portalkit._services.admin import AdminSession
from portalkit.domain.filters import Eq
from portalkit.domain.scopes import ScopeNode

__all__ = ["DEMO_TENANT", "DemoSummary", "load_demo"]

#: The slug of the demo tenant.
DEMO_TENANT = "demo"


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


def load_demo(portal: Portal) -> DemoSummary:
    """Load the demo tenant into *portal* (once) and summarize it."""
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
            )
            for index, org in enumerate(_ORGS):
                node = admin.scope_by_key(org.key)
                _records(admin, index, _tree(admin, node, index))
            admin.create_user("admin@northwind.example", "Nora Admin", is_staff=True)
            admin.create_user("ann@cityfleet.example", "Ann Lee")
            admin.create_user("bob@greenacres.example", "Bob Green")
            admin.create_user("carol@rentall.example", "Carol Hire")
            admin.create_user("dave@consultant.example", "Dave Multi")
    return summarize(portal, created=created)


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
        )
