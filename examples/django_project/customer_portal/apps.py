"""The example app."""

from __future__ import annotations

from django.apps import AppConfig


class CustomerPortalConfig(AppConfig):
    """The customer pages of the example project."""

    name = "customer_portal"
    default_auto_field = "django.db.models.BigAutoField"
