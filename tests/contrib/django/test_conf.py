"""The PORTALKIT setting: defaults, refused values, one Portal per process."""

from __future__ import annotations

import pytest
from django.test import override_settings

from portalkit import PortalConfig, perms
from portalkit.contrib.django.conf import get_config, get_portal, reset_portal
from portalkit.contrib.django.storage import DjangoStorage
from portalkit.errors import ConfigurationError


def test_defaults_fill_in() -> None:
    """Missing keys take their defaults; SECRET_KEY falls back to Django's when long enough."""
    with override_settings(PORTALKIT={}, SECRET_KEY="k" * 40, LOGIN_URL="/accounts/login/"):
        config = get_config()
    assert config.storage == "django"
    assert config.database == "default"
    assert config.tenant is None
    assert config.secret_key == "k" * 40
    assert config.login_url == "/accounts/login/"


def test_short_django_secret_key_is_refused() -> None:
    """A SECRET_KEY under 32 bytes is not used for portal tokens."""
    with override_settings(PORTALKIT={}, SECRET_KEY="short"), pytest.raises(ConfigurationError):
        get_config()


def test_unknown_keys_are_refused() -> None:
    """A misspelt key is an error, not a silently ignored setting."""
    with override_settings(PORTALKIT={"TENNANT": "x"}), pytest.raises(ConfigurationError):
        get_config()


def test_one_portal_until_the_setting_changes() -> None:
    """get_portal() builds once; changing PORTALKIT builds a new one (Django or SQLAlchemy)."""
    reset_portal()
    try:
        with override_settings(PORTALKIT={"STORAGE": "django", "TENANT": "acme"}):
            first = get_portal()
            assert get_portal() is first
            assert isinstance(first.storage, DjangoStorage)
        with override_settings(PORTALKIT={"STORAGE": "memory://"}):
            other = get_portal()
            assert other is not first
            assert not isinstance(other.storage, DjangoStorage)
    finally:
        reset_portal()


def test_unknown_database_alias_is_refused() -> None:
    """The Django storage needs a configured database alias."""
    with pytest.raises(ConfigurationError):
        DjangoStorage("nope")


#: A host configuration with its own permission (``PORTALKIT["CONFIG"]`` by dotted path).
HOST_CONFIG = PortalConfig(
    permissions=perms.catalogue(perms.Permission("fuel.view", label="Fuel View"))
)


def test_config_reaches_the_portal_with_the_tenant_as_default() -> None:
    """CONFIG (an object or its dotted path) is the portal's; TENANT is its default tenant."""
    reset_portal()
    try:
        with override_settings(PORTALKIT={"STORAGE": "memory://", "CONFIG": HOST_CONFIG}):
            assert get_portal().config is HOST_CONFIG
        path = f"{__name__}.HOST_CONFIG"
        with override_settings(
            PORTALKIT={"STORAGE": "memory://", "CONFIG": path, "TENANT": "acme"}
        ):
            portal = get_portal()
            assert portal.config.default_tenant == "acme"
            assert "fuel.view" in portal.permissions
    finally:
        reset_portal()


def test_config_that_is_not_a_portal_config_is_refused() -> None:
    """CONFIG must be a PortalConfig."""
    with override_settings(PORTALKIT={"CONFIG": {"mailer": None}}), pytest.raises(
        ConfigurationError, match="CONFIG"
    ):
        get_config()


def test_system_checks_warn_about_a_missing_tenant() -> None:
    """`manage.py check`/`runserver` warn, with the fix, before any page is a silent 404."""
    from django.core import checks  # noqa: PLC0415

    reset_portal()
    try:
        with override_settings(PORTALKIT={"STORAGE": "memory://", "TENANT": "acme"}):
            found = [m for m in checks.run_checks(tags=["portalkit"]) if m.id == "portalkit.W001"]
            assert len(found) == 1
            assert found[0].msg.startswith("No tenant 'acme': every page would answer 404.")
            # migrate runs the checks (with its database) before migrating: not a word there.
            assert checks.run_checks(tags=["portalkit"], databases=["default"]) == []
            get_portal().create_tenant("acme", "Acme")
            assert checks.run_checks(tags=["portalkit"]) == []
    finally:
        reset_portal()
