"""The Portal facade: construction, configuration errors, tenants."""

from __future__ import annotations

import attrs
import pytest

import portalkit
from portalkit.errors import ConfigurationError, ConflictError, InvalidInputError, NotFoundError

SECRET = "x" * 32


def test_short_secret_is_refused() -> None:
    """A secret key under 32 bytes is a configuration error at start-up."""
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        portalkit.Portal.from_url("memory://", secret_key="short")
    with pytest.raises(ConfigurationError):
        portalkit.Portal.from_url("memory://", secret_key=[SECRET, "short"])
    with pytest.raises(ConfigurationError):
        portalkit.Portal.from_url("memory://", secret_key=[])


def test_empty_url_is_refused() -> None:
    """An empty database URL is a configuration error."""
    with pytest.raises(ConfigurationError):
        portalkit.Portal.from_url("", secret_key=SECRET)


def test_tenants() -> None:
    """Tenants are created by slug; unknown slugs and duplicates are typed errors."""
    portal = portalkit.Portal.from_url("memory://", secret_key=SECRET)
    tenant = portal.create_tenant("acme", "Acme Rentals")
    assert portal.tenant("acme") == tenant
    with pytest.raises(ConflictError):
        portal.create_tenant("acme", "Again")
    with pytest.raises(InvalidInputError):
        portal.create_tenant("Not A Slug", "Bad")
    with pytest.raises(NotFoundError):
        portal.tenant("nobody")
    with pytest.raises(NotFoundError), portal.admin("nobody"):
        pass


def test_default_tenant_is_created_on_first_admin_use() -> None:
    """``portal.admin()`` without a tenant works on a fresh database."""
    with portalkit.Portal.from_url("memory://", secret_key=SECRET) as portal:
        with portal.admin() as admin:
            assert admin.tenant.slug == "default"
        assert portal.tenant().slug == "default"


def test_a_tenant_is_named_by_its_slug_or_by_the_tenant_itself() -> None:
    """admin(), tenant(), guest() and login() take the slug or the Tenant, alike."""
    portal = portalkit.Portal.from_url("memory://", secret_key=SECRET)
    acme = portal.create_tenant("acme", "Acme")
    portal.create_tenant("other", "Other")
    with portal.admin(acme) as admin:
        assert admin.tenant.slug == "acme"
        admin.update_settings(portal_name="Acme Portal")
    assert portal.tenant(acme).settings.portal_name == "Acme Portal"  # the current record
    assert portal.guest(acme).tenant_id == acme.id == portal.guest("acme").tenant_id
    with pytest.raises(NotFoundError):
        portal.tenant(attrs.evolve(acme, slug="gone"))
