"""Tenant rules (portalkit.domain.tenants): the URL slug and the one open/closed gate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.tenants import Tenant, TenantSettings, require_open, validate_slug
from portalkit.errors import InvalidInputError, PortalClosedError

SLUG_MESSAGE = (
    "Use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash."
)


@pytest.mark.parametrize("slug", ["a", "7", "acme", "acme-fleet-2", "a" * 63, "a-b"])
def test_valid_slugs_come_back_unchanged(slug: str) -> None:
    """One to 63 lowercase letters, digits and inner dashes."""
    assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    "slug", ["", "-acme", "acme-", "Acme", "ac me", "acme_fleet", "a" * 64, "acmé", 5, None],
)
def test_bad_slugs_name_the_slug_field(slug: object) -> None:
    """Anything else, text or not, is InvalidInputError for 'slug' with the rule in words."""
    with pytest.raises(InvalidInputError) as caught:
        validate_slug(slug)  # type: ignore[arg-type]
    assert caught.value.fields == {"slug": SLUG_MESSAGE}


@given(st.booleans(), st.booleans())
def test_a_portal_is_open_only_when_switched_on_and_licensed(enabled: bool, licensed: bool) -> None:
    """is_open is exactly portal_enabled AND licensed."""
    settings = TenantSettings(portal_enabled=enabled, licensed=licensed)
    assert settings.is_open is (enabled and licensed)


@pytest.mark.parametrize(
    ("enabled", "licensed"), [(False, True), (True, False), (False, False)]
)
def test_a_closed_portal_refuses_customers_but_not_staff(enabled: bool, licensed: bool) -> None:
    """Switched off or unlicensed: PortalClosedError for customers; staff pass."""
    tenant = Tenant(id=1, slug="acme", name="Acme",
                    settings=TenantSettings(portal_enabled=enabled, licensed=licensed))
    with pytest.raises(PortalClosedError):
        require_open(tenant)
    require_open(tenant, staff=True)


def test_an_open_portal_lets_everyone_in() -> None:
    """Switched on and licensed: no error, for customers or staff."""
    tenant = Tenant(id=1, slug="acme", name="Acme")
    require_open(tenant)
    require_open(tenant, staff=True)
