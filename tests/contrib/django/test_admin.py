"""The Django admin pages over the Django storage, driven with Django's test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portalkit import PortalConfig, perms
from portalkit.contrib.django import models as m
from portalkit.contrib.django.conf import get_portal
from portalkit.domain.scopes import ScopeKind
from tests.contrib.django.conftest import World
from tests.contrib.django.test_middleware import sign_in


def tenant_form(**changes: Any) -> dict[str, Any]:
    """A complete change form of the ``acme`` portal."""
    data: dict[str, Any] = {
        "slug": "acme",
        "name": "Acme",
        "portal_enabled": "on",
        "licensed": "on",
        "login_required": "on",
        "guest_user_id": "",
        "portal_name": "Acme Portal",
        "logo_url": "",
        "primary_color": "#112233",
        "base_url": "https://portal.acme.example",
        "sender_email": "portal@acme.example",
        "default_region": "gb",
        "lookup_plates": "on",
        "lookup_rate": "30",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "page", ["tenantmodel", "scopemodel", "rolemodel", "groupmodel", "usermodel",
             "grantmodel", "documentmodel", "assetmodel", "customermodel", "invitationmodel"],
)
def test_changelists_load(world: World, admin_client: Client, page: str) -> None:
    """Every admin list page renders for staff."""
    assert admin_client.get(f"/admin/portalkit/{page}/").status_code == 200


def test_settings_branding_and_document_switches(world: World, admin_client: Client) -> None:
    """Editing the portal page changes branding and hides document kinds; the rest is kept."""
    portal = get_portal()
    with portal.admin("acme") as admin:
        admin.update_settings(lookup_rate=12)
    tenant = m.TenantModel.objects.get(slug="acme")
    response = admin_client.post(
        f"/admin/portalkit/tenantmodel/{tenant.pk}/change/",
        tenant_form(disabled_features=["invoice", "report"], lookup_rate="12"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    settings = portal.tenant("acme").settings
    assert settings.disabled_features == frozenset({"invoice", "report"})
    assert settings.portal_name == "Acme Portal"
    assert settings.primary_color == "#112233"
    assert settings.default_region == "GB"
    assert settings.lookup_rate == 12


def test_bad_colour_is_refused_and_nothing_stored(world: World, admin_client: Client) -> None:
    """An invalid colour re-shows the form; the stored settings do not change."""
    tenant = m.TenantModel.objects.get(slug="acme")
    before = tenant.settings
    response = admin_client.post(
        f"/admin/portalkit/tenantmodel/{tenant.pk}/change/", tenant_form(primary_color="red")
    )
    assert response.status_code == 200
    tenant.refresh_from_db()
    assert tenant.settings == before


def test_scopes_get_paths_and_obey_the_tree_rules(world: World, admin_client: Client) -> None:
    """A new organization and a site below it get materialized paths; wrong parents are refused."""
    tenant = m.TenantModel.objects.get(slug="acme")
    response = admin_client.post(
        "/admin/portalkit/scopemodel/add/",
        {"tenant": tenant.pk, "kind": "organization", "name": "Org C", "external_key": "C"},
    )
    assert response.status_code == 302
    org = m.ScopeModel.objects.get(external_key="C")
    assert org.path == f"/org:{org.pk}/"
    admin_client.post(
        "/admin/portalkit/scopemodel/add/",
        {"tenant": tenant.pk, "kind": "site", "name": "Depot", "parent_id": org.pk},
    )
    depot = m.ScopeModel.objects.get(name="Depot")
    assert depot.path == f"/org:{org.pk}/site:{depot.pk}/"
    refused = admin_client.post(
        "/admin/portalkit/scopemodel/add/",
        {"tenant": tenant.pk, "kind": "division", "name": "Bad", "parent_id": depot.pk},
    )
    assert refused.status_code == 200
    assert not m.ScopeModel.objects.filter(name="Bad").exists()
    with get_portal().admin("acme") as admin:
        assert admin.scope_by_key("C").kind is ScopeKind.ORGANIZATION


def test_role_permissions_from_the_catalogue(world: World, admin_client: Client) -> None:
    """A role saved in the admin holds exactly the permissions ticked."""
    tenant = m.TenantModel.objects.get(slug="acme")
    response = admin_client.post(
        "/admin/portalkit/rolemodel/add/",
        {"tenant": tenant.pk, "name": "clerk", "permissions": [perms.JOB_VIEW, perms.ASSET_VIEW]},
    )
    assert response.status_code == 302
    with get_portal().admin("acme") as admin:
        assert admin.role("clerk").permissions == frozenset({perms.JOB_VIEW, perms.ASSET_VIEW})


def test_end_sessions_action_signs_users_out(world: World, admin_client: Client) -> None:
    """The admin action rotates the security stamp: the user's browsers are signed out."""
    browser = Client()
    sign_in(browser, "ann@example.com")
    assert browser.get("/whoami/").content == f"user:{world.ann.id}".encode()
    admin_client.post(
        "/admin/portalkit/usermodel/",
        {"action": "end_sessions", "_selected_action": [world.ann.id]},
    )
    assert browser.get("/whoami/").content == b"anonymous"


def test_customers_cannot_open_the_admin(world: World, client: Client) -> None:
    """A signed-in portal customer is not Django staff: the admin sends them to its login."""
    sign_in(client, "ann@example.com")
    assert client.get("/admin/portalkit/usermodel/").status_code == 302


def test_admin_lists_the_configured_catalogue(
    world: World, admin_client: Client, settings: Any
) -> None:
    """The role and portal pages offer the configured portal's permissions and switches."""
    settings.PORTALKIT = {
        **settings.PORTALKIT,
        "CONFIG": PortalConfig(
            permissions=perms.catalogue(
                perms.Permission("fuel.view", label="Fuel View"), features=["fuel_cards"]
            )
        ),
    }
    role_page = admin_client.get("/admin/portalkit/rolemodel/add/").content.decode()
    assert "Fuel View (fuel.view)" in role_page
    tenant = m.TenantModel.objects.get(slug="acme")
    tenant_page = admin_client.get(f"/admin/portalkit/tenantmodel/{tenant.pk}/change/")
    assert 'value="fuel_cards"' in tenant_page.content.decode()
    assert not perms.is_known("fuel.view")
