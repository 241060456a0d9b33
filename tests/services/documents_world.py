"""A small portal world for the documents, jobs and accounts service tests.

Two organizations: City Fleet (divisions North and South, a site in each) and
Harbour Ltd (one site). Ann sees all of City Fleet, Dan only North, Hal only
Harbour Ltd; Sam is staff without grants. Every built-in kind has documents
in each site, in visible and invisible statuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sqlalchemy import event

import portalkit
from portalkit._services.accounts import AccountService
from portalkit._services.documents import DocumentService
from portalkit._services.jobs import JobService
from portalkit._services.policy import load_policy
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.actions import RentalItem
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Asset, Document, Job
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import NotFoundError
from portalkit.perms import (
    ACCOUNT_SUMMARY_VIEW,
    ASSET_VIEW,
    CONTRACT_VIEW,
    DEFECT_VIEW,
    DOCUMENT_KIND_PERMISSIONS,
    DOCUMENT_SHARE,
    ITEMS_OUT_VIEW,
    JOB_VIEW,
    KPI_VIEW,
)

SECRET = "test-secret-key-that-is-long-enough-0123456789"

#: (kind, status, visible?) for every document each site gets.
DOCUMENT_MIX: tuple[tuple[str, str, bool], ...] = (
    ("quote", "draft", False),
    ("quote", "awaiting acceptance", True),
    ("invoice", "draft", False),
    ("invoice", "awaiting payment", True),
    ("invoice", "paid", True),
    ("report", "draft", False),
    ("report", "approved", True),
    ("report", "rejected", False),
    ("proposal", "sent", True),
    ("statement", "issued", True),
    ("contract", "open", True),
)

CUSTOMER_PERMISSIONS = [
    *DOCUMENT_KIND_PERMISSIONS.values(),
    JOB_VIEW,
    ASSET_VIEW,
    DEFECT_VIEW,
    ACCOUNT_SUMMARY_VIEW,
    CONTRACT_VIEW,
    ITEMS_OUT_VIEW,
    KPI_VIEW,
    DOCUMENT_SHARE,
]


class FileSource:
    """The host's document files: a dict in memory (a real DocumentSource)."""

    def __init__(self) -> None:
        self.files: dict[int, bytes] = {}

    def read(self, document: Document) -> bytes:
        """The file of *document*; NotFoundError when there is none."""
        try:
            return self.files[document.id]
        except KeyError:
            raise NotFoundError() from None


@attrs.define
class World:
    """The portal, its services and the named records of the world."""

    portal: portalkit.Portal
    clock: ManualClock
    source: FileSource
    documents: DocumentService
    jobs: JobService
    accounts: AccountService
    tenant_id: int
    orgs: dict[str, ScopeNode]
    sites: dict[str, ScopeNode]
    divisions: dict[str, ScopeNode]
    users: dict[str, int]
    docs: list[Document]
    jobs_list: list[Job]
    assets: dict[str, Asset]

    def who(self, name: str) -> Principal:
        """The principal of a named user."""
        return Principal(
            tenant_id=self.tenant_id, kind=PrincipalKind.USER, user_id=self.users[name]
        )

    def visible_docs(self, *site_names: str) -> set[int]:
        """Ids of the documents in the named sites that pass the status rules."""
        paths = [self.sites[s].path for s in site_names]
        return {
            d.id for d in self.docs
            if any(d.scope_path.startswith(p) for p in paths) and d.status in _VISIBLE[d.kind]
        }


_VISIBLE: dict[str, set[str]] = {}
for _kind, _status, _shown in DOCUMENT_MIX:
    _VISIBLE.setdefault(_kind, set())
    if _shown:
        _VISIBLE[_kind].add(_status)


def build_world(portal: portalkit.Portal, **services: Any) -> World:
    """Fill *portal* with the world and build the services on it."""
    clock = portal.clock
    assert isinstance(clock, ManualClock)
    docs: list[Document] = []
    with portal.admin() as admin:
        city = admin.add_organization("City Fleet")
        north = admin.add_scope(city, kind="division", name="North")
        south = admin.add_scope(city, kind="division", name="South")
        depot_n = admin.add_scope(north, kind="site", name="Depot North")
        depot_s = admin.add_scope(south, kind="site", name="Depot South")
        harbour = admin.add_organization("Harbour Ltd")
        quay = admin.add_scope(harbour, kind="site", name="Quay")
        admin.define_role("customer", CUSTOMER_PERMISSIONS)
        users = {}
        for name, scope in (("ann", city), ("dan", north), ("hal", harbour)):
            user = admin.create_user(f"{name}@example.com", name.title())
            admin.grant(user, "customer", scope=scope)
            users[name] = user.id
        users["sam"] = admin.create_user("sam@example.com", "Sam", is_staff=True).id
        day = dt.date(2026, 1, 1)
        n = 0
        for site in (depot_n, depot_s, quay):
            for kind, status, _ in DOCUMENT_MIX:
                n += 1
                docs.append(
                    admin.add_document(
                        kind=kind, status=status, number=f"{kind[0].upper()}-{n:03d}",
                        scope=site, issued_on=day + dt.timedelta(days=n % 7),
                        filename=f"{kind}-{n}.pdf",
                    )
                )
        jobs = []
        assets = {}
        for i, site in enumerate((depot_n, depot_s, quay)):
            asset = admin.upsert_asset(
                number=f"A-{i + 1}00", scope=site, asset_type="Forklift", model=f"FX-{i}",
                serial=f"S-{i}", external_key=f"asset-{i}",
            )
            assets[site.name] = asset
            for j in range(4):
                jobs.append(
                    admin.add_job(
                        number=f"J-{i}{j}", status="scheduled" if j % 2 else "completed",
                        scope=site, scheduled_on=day + dt.timedelta(days=j * 3),
                        site_address=f"{j} Main St", notes="Gate code 1234",
                        po_number=f"PO-{i}{j}", asset_id=asset.id if j < 2 else None,
                    )
                )
        tenant_id = admin.tenant.id
        uow = admin.uow
        for i, (site, org) in enumerate(((depot_n, city), (depot_s, city), (quay, harbour))):
            asset = assets[site.name]
            for k in range(2):
                uow.defects.add(
                    Defect(
                        id=0, tenant_id=tenant_id, asset_id=asset.id, scope_path=site.path,
                        number=f"D-{i}{k}", description="Worn tyre", severity="minor",
                        status="open" if k == 0 else "closed",
                        reported_on=day + dt.timedelta(days=k),
                    )
                )
            uow.contracts.add(
                Contract(
                    id=0, tenant_id=tenant_id, organization_id=org.id, scope_path=site.path,
                    number=f"C-{i}", status="open", items_out=2, started_on=day,
                )
            )
            uow.actions.rentals.add(
                RentalItem(
                    id=0, tenant_id=tenant_id, scope_id=site.id, scope_path=site.path,
                    contract_number=f"C-{i}", item_number=f"IT-{i}", description="Scissor lift",
                    quantity_out=3, quantity_returned=1, out_since=day,
                )
            )
        for org, cents in ((city, 125_000), (harbour, 990)):
            uow.account_balances.add(
                AccountBalance(
                    id=0, tenant_id=tenant_id, organization_id=org.id, balance_cents=cents,
                    currency="USD", last_payment_cents=5000, last_payment_on=day,
                )
            )
    source = FileSource()
    for d in docs:
        source.files[d.id] = f"%PDF-{d.number}".encode()
    secret_keys = [SECRET.encode()]
    documents = DocumentService(
        portal.storage,
        policies=load_policy,
        signer=ItsdangerousTokenSigner(SECRET, clock=clock),
        secret_keys=secret_keys,
        clock=clock,
        source=source,
        **services,
    )
    return World(
        portal=portal,
        clock=clock,
        source=source,
        documents=documents,
        jobs=JobService(portal.storage, policies=load_policy, secret_keys=secret_keys),
        accounts=AccountService(
            portal.storage, policies=load_policy, documents=documents, secret_keys=secret_keys
        ),
        tenant_id=tenant_id,
        orgs={"city": city, "harbour": harbour},
        divisions={"north": north, "south": south},
        sites={"north": depot_n, "south": depot_s, "quay": quay},
        users=users,
        docs=docs,
        jobs_list=jobs,
        assets=assets,
    )


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def count_statements(portal: portalkit.Portal) -> Iterator[list[str]]:
    """Collect the SQL statements run on a SQL portal inside the block.

    Transaction control (BEGIN, COMMIT, ROLLBACK, savepoints) is not counted.
    """
    statements: list[str] = []
    engine = getattr(portal.storage, "engine", None)
    if engine is None:
        yield statements
        return

    def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if not sql.lstrip().upper().startswith(_CONTROL):
            statements.append(sql)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
