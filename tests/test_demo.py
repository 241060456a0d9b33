"""The demo data set: idempotent, and every page of the example portal has content."""

from __future__ import annotations

import pytest

from portalkit import Portal, PortalConfig, perms
from portalkit.adapters.mail import MemoryMailer
from portalkit.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TENANT, load_demo
from portalkit.domain.principals import Principal, PrincipalKind


@pytest.fixture(scope="module")
def portal() -> Portal:
    """A portal in memory with the demo data loaded once."""
    p = Portal.from_url(
        "memory://", secret_key="d" * 40, config=PortalConfig(mailer=MemoryMailer())
    )
    load_demo(p)
    return p


def test_loading_twice_changes_nothing(portal: Portal) -> None:
    """A second load finds the tenant and leaves it as it is."""
    first = load_demo(portal)
    second = load_demo(portal)
    assert not first.created
    assert not second.created
    assert first == second
    assert second.logins == tuple(email for email, _ in DEMO_LOGINS)


def test_every_demo_login_signs_in(portal: Portal) -> None:
    """The printed logins work with the printed password."""
    for email, _ in DEMO_LOGINS:
        assert portal.login(email, DEMO_PASSWORD, tenant=DEMO_TENANT).user.email == email


def test_pages_have_content(portal: Portal) -> None:
    """KPI tiles, messages, meters, the schedule, account figures and items out are there."""
    ann = portal.login("ann@cityfleet.example", DEMO_PASSWORD, tenant=DEMO_TENANT).principal
    carol = portal.login("carol@rentall.example", DEMO_PASSWORD, tenant=DEMO_TENANT).principal
    assert portal.accounts.kpi_tiles(ann)
    assert len(portal.messages.inbox(ann)) == 2
    assert len(portal.messages.inbox(carol)) == 1  # the group message is not hers
    asset = portal.accounts.assets(ann, number="CF-100").items[0]
    assert portal.meters.meters(ann, asset)
    schedule = portal.maintenance.schedule(ann, asset)
    assert schedule.upcoming
    assert portal.accounts.summary(carol).balance_cents
    assert portal.accounts.contracts(carol)
    assert portal.rentals.items_out(carol)
    tenant = portal.tenant(DEMO_TENANT)
    assert tenant.settings.guest_user_id is not None
    assert portal.policy.policy_for(ann).granted_paths(ann, perms.JOB_VIEW)


def test_the_guest_may_look_up_and_request_service_only(portal: Portal) -> None:
    """Every anonymous visitor is the one guest user: no view of anybody's requests."""
    tenant = portal.tenant(DEMO_TENANT)
    assert tenant.settings.guest_user_id is not None
    guest = Principal(
        tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=tenant.settings.guest_user_id
    )
    policy = portal.policy.policy_for(guest)
    held = {p for p in portal.config.permissions.names() if policy.granted_paths(guest, p)}
    assert held == {
        perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_EDIT,
    }
