"""A small customer world for the action, event and audit tests.

Two organizations; Ann holds every customer action at "City Fleet", Vic may
only look, and nobody of City Fleet holds anything at "Other Co".
"""

from __future__ import annotations

import datetime as dt

import attrs

import portalkit
from portalkit import perms
from portalkit._services.actions import (
    ActionRecords,
    Appointments,
    Maintenance,
    Meters,
    Quotes,
    Rentals,
    ServiceRequests,
)
from portalkit.adapters.clock import ManualClock
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Asset, Document
from portalkit.domain.scopes import ScopeNode
from portalkit.ports import Availability

UTC = dt.timezone.utc
#: The world's "now": Thursday 2026-01-01 09:00 UTC.
NOW = dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

ACTOR_PERMISSIONS = [
    perms.ASSET_VIEW,
    perms.ASSET_IDENTIFICATION_VIEW,
    perms.SERVICE_REQUEST_VIEW,
    perms.SERVICE_REQUEST_EDIT,
    perms.JOB_VIEW,
    perms.JOB_REQUEST,
    perms.PERSON_MANAGE,
    perms.APPOINTMENT_VIEW,
    perms.APPOINTMENT_EDIT,
    perms.APPOINTMENT_CANCEL,
    perms.METER_READING_EDIT,
    perms.PM_VIEW,
    perms.SA_VIEW,
    perms.ITEMS_OUT_VIEW,
    perms.CALL_OFF_RENT_REQUEST,
    perms.QUOTE_VIEW,
    perms.QUOTE_DECIDE,
    perms.PROPOSAL_VIEW,
]
VIEWER_PERMISSIONS = [
    perms.ASSET_VIEW,
    perms.ASSET_IDENTIFICATION_VIEW,
    perms.PERSON_MANAGE,
    perms.APPOINTMENT_VIEW,
    perms.PM_VIEW,
    perms.ITEMS_OUT_VIEW,
    perms.QUOTE_VIEW,
    perms.SERVICE_REQUEST_VIEW,
]


@attrs.define
class World:
    """Everything a test needs, built through the public staff API."""

    portal: portalkit.Portal
    clock: ManualClock
    tenant_id: int
    org: ScopeNode
    site: ScopeNode
    other_site: ScopeNode
    other_org: ScopeNode
    foreign_site: ScopeNode
    asset: Asset
    asset_elsewhere: Asset
    foreign_asset: Asset
    quote: Document
    draft_quote: Document
    foreign_quote: Document
    ann: Principal
    vic: Principal
    requests: ServiceRequests
    appointments: Appointments
    meters: Meters
    maintenance: Maintenance
    rentals: Rentals
    quotes: Quotes
    records: ActionRecords


def build_world(
    portal: portalkit.Portal, *, availability: Availability | None = None, slug: str = "acme"
) -> World:
    """Build the world on *portal* (its clock is set to :data:`NOW`)."""
    clock = portal.clock
    assert isinstance(clock, ManualClock)
    clock.set(NOW)
    portal.create_tenant(slug, slug.title())
    with portal.admin(slug) as admin:
        tid = admin.tenant.id
        org = admin.add_organization("City Fleet")
        site = admin.add_scope(org, kind="site", name="Depot 4")
        other_site = admin.add_scope(org, kind="site", name="Depot 9")
        other_org = admin.add_organization("Other Co")
        foreign_site = admin.add_scope(other_org, kind="site", name="Yard")
        asset = admin.upsert_asset(number="A-100", plate="ABC 123", scope=site, external_key="a100")
        asset_elsewhere = admin.upsert_asset(number="A-200", scope=other_site)
        foreign_asset = admin.upsert_asset(number="Z-1", scope=foreign_site)
        quote = admin.add_document(kind="quote", status="sent", number="Q-1", scope=site)
        draft = admin.add_document(kind="quote", status="draft", number="Q-2", scope=site)
        foreign_quote = admin.add_document(
            kind="quote", status="sent", number="Q-9", scope=foreign_site
        )
        admin.define_role("actor", ACTOR_PERMISSIONS)
        admin.define_role("viewer", VIEWER_PERMISSIONS)
        ann = admin.create_user("ann@city.example", "Ann Lee")
        vic = admin.create_user("vic@city.example", "Vic Viewer")
        admin.grant(ann, "actor", scope=org)
        admin.grant(vic, "viewer", scope=org)
    storage = portal.storage
    kwargs = {"availability": availability}
    return World(
        portal=portal,
        clock=clock,
        tenant_id=tid,
        org=org,
        site=site,
        other_site=other_site,
        other_org=other_org,
        foreign_site=foreign_site,
        asset=asset,
        asset_elsewhere=asset_elsewhere,
        foreign_asset=foreign_asset,
        quote=quote,
        draft_quote=draft,
        foreign_quote=foreign_quote,
        ann=Principal(tenant_id=tid, kind=PrincipalKind.USER, user_id=ann.id),
        vic=Principal(tenant_id=tid, kind=PrincipalKind.USER, user_id=vic.id),
        requests=ServiceRequests(storage, clock, **kwargs),
        appointments=Appointments(storage, clock, **kwargs),
        meters=Meters(storage, clock, **kwargs),
        maintenance=Maintenance(storage, clock, **kwargs),
        rentals=Rentals(storage, clock, **kwargs),
        quotes=Quotes(storage, clock, **kwargs),
        records=ActionRecords(storage),
    )


def next_monday_at(hour: int) -> dt.datetime:
    """Monday 2026-01-05 at *hour*:00 UTC (inside default business hours for 8-16)."""
    return dt.datetime(2026, 1, 5, hour, 0, tzinfo=UTC)
