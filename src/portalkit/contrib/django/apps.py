"""The Django app of portalkit (``INSTALLED_APPS += ["portalkit.contrib.django"]``)."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["PortalkitConfig"]


class PortalkitConfig(AppConfig):
    """portalkit's app: label ``portalkit``, its own auto field, tables ``portalkit_dj_*``.

    ``default_auto_field`` is set here so a project's ``DEFAULT_AUTO_FIELD``
    never asks for a portalkit migration.
    """

    name = "portalkit.contrib.django"
    label = "portalkit"
    verbose_name = "Customer portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the start-up check (:mod:`portalkit.contrib.django.checks`)."""
        from portalkit.contrib.django import checks  # noqa: F401, PLC0415
