"""The ``PORTALKIT`` setting: one dict, read with defaults, and the process's Portal.

::

    PORTALKIT = {
        "STORAGE": "django",          # or a SQLAlchemy URL: "postgresql+psycopg://…"
        "DATABASE": "default",        # the DATABASES alias of the "django" storage
        "TENANT": "acme",             # the tenant slug this site serves
        "SECRET_KEY": "...",          # default: settings.SECRET_KEY (if >= 32 bytes)
        "LOGIN_URL": "/login/",       # default: settings.LOGIN_URL
        "TRUSTED_PROXIES": [],        # proxies whose X-Forwarded-For is believed
        "ERROR_TEMPLATE": None,       # a template for error pages (status, title, message)
        "CONFIG": None,               # a portalkit.PortalConfig, or the dotted path of one
        "CONTENT_SECURITY_POLICY": DEFAULT_CONTENT_SECURITY_POLICY,  # "" sends none
        "MAX_CONTENT_LENGTH": 1048576,  # bytes; a larger request body gets 413
        "PORTAL": None,               # dotted path of a callable(config) -> Portal
    }

``CONFIG`` says how the portal behaves (permissions, document kinds, mail,
invitations, limits); ``TENANT``, when set, is its default tenant. The admin
pages list the permissions and feature switches of this configuration.

The :class:`~portalkit.Portal` is built once per process on first use
(:func:`get_portal`) and rebuilt when the setting changes in tests
(``override_settings``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import attrs
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from portalkit import Portal, PortalConfig
from portalkit.errors import ConfigurationError
from portalkit.web import DEFAULT_CONTENT_SECURITY_POLICY, DEFAULT_MAX_CONTENT_LENGTH

__all__ = ["DjangoPortalConfig", "build_portal", "get_config", "get_portal", "reset_portal"]

#: Django's SECRET_KEY is reused only when at least this long (the Portal's own floor).
MIN_SECRET_BYTES = 32

DEFAULTS: dict[str, Any] = {
    "STORAGE": "django",
    "DATABASE": "default",
    "TENANT": None,
    "SECRET_KEY": None,
    "LOGIN_URL": None,
    "TRUSTED_PROXIES": (),
    "ERROR_TEMPLATE": None,
    "CONFIG": None,
    "CONTENT_SECURITY_POLICY": DEFAULT_CONTENT_SECURITY_POLICY,
    "MAX_CONTENT_LENGTH": DEFAULT_MAX_CONTENT_LENGTH,
    "PORTAL": None,
}


@attrs.frozen(kw_only=True)
class DjangoPortalConfig:
    """The ``PORTALKIT`` setting with its defaults filled in."""

    storage: str
    database: str
    tenant: str | None
    secret_key: str | bytes | Sequence[str | bytes]
    login_url: str
    trusted_proxies: tuple[str, ...]
    error_template: str | None
    portal_config: PortalConfig
    content_security_policy: str = DEFAULT_CONTENT_SECURITY_POLICY
    max_content_length: int | None = DEFAULT_MAX_CONTENT_LENGTH
    portal: str | None


def get_config() -> DjangoPortalConfig:
    """Read ``settings.PORTALKIT`` (unknown keys are refused: they are typos)."""
    raw = getattr(settings, "PORTALKIT", {}) or {}
    if not isinstance(raw, dict):
        raise ConfigurationError("settings.PORTALKIT must be a dict.")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ConfigurationError(f"Unknown PORTALKIT settings: {', '.join(unknown)}.")
    values = {**DEFAULTS, **raw}
    secret = values["SECRET_KEY"]
    if secret is None:
        secret = settings.SECRET_KEY
        if len(str(secret).encode()) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"settings.SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: set "
                "PORTALKIT['SECRET_KEY'] to a long random value."
            )
    return DjangoPortalConfig(
        storage=str(values["STORAGE"]),
        database=str(values["DATABASE"]),
        tenant=values["TENANT"],
        secret_key=secret,
        login_url=str(values["LOGIN_URL"] or settings.LOGIN_URL),
        trusted_proxies=tuple(values["TRUSTED_PROXIES"]),
        error_template=values["ERROR_TEMPLATE"],
        portal_config=_portal_config(values["CONFIG"], values["TENANT"]),
        content_security_policy=str(values["CONTENT_SECURITY_POLICY"] or ""),
        max_content_length=values["MAX_CONTENT_LENGTH"],
        portal=values["PORTAL"],
    )


def _portal_config(value: object, tenant: str | None) -> PortalConfig:
    if isinstance(value, str):
        value = import_string(value)
    if value is None:
        value = PortalConfig()
    if not isinstance(value, PortalConfig):
        raise ConfigurationError("PORTALKIT['CONFIG'] must be a PortalConfig or its dotted path.")
    return attrs.evolve(value, default_tenant=tenant) if tenant else value


def build_portal(config: DjangoPortalConfig) -> Portal:
    """The Portal the configuration describes (the ``PORTAL`` factory when given)."""
    if config.portal:
        factory = import_string(config.portal)
        portal = factory(config)
        if not isinstance(portal, Portal):
            raise ConfigurationError(f"{config.portal} did not return a Portal.")
        return portal
    if config.storage == "django":
        from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

        return Portal(
            DjangoStorage(config.database),
            secret_key=config.secret_key,
            config=config.portal_config,
        )
    return Portal.from_url(
        config.storage, secret_key=config.secret_key, config=config.portal_config
    )


_lock = threading.Lock()
_portal: Portal | None = None


def get_portal() -> Portal:
    """The process's Portal, built from the settings on first use."""
    global _portal  # noqa: PLW0603 (one Portal per process, like a connection pool)
    portal = _portal
    if portal is None:
        with _lock:
            if _portal is None:
                _portal = build_portal(get_config())
            portal = _portal
    return portal


def reset_portal() -> None:
    """Forget the Portal (closing it); the next :func:`get_portal` builds a new one."""
    global _portal
    with _lock:
        portal, _portal = _portal, None
    if portal is not None:
        portal.close()


def _on_setting_changed(*, setting: str, **_kwargs: Any) -> None:
    if setting in ("PORTALKIT", "SECRET_KEY", "DATABASES", "LOGIN_URL"):
        reset_portal()


setting_changed.connect(_on_setting_changed)
