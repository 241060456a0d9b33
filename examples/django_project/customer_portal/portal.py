"""How the example builds its Portal (``PORTALKIT["PORTAL"]``): demo data on first use."""

from __future__ import annotations

import os

import attrs

from portalkit import Portal
from portalkit.adapters.mail import ConsoleMailer
from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.demo import load_demo

from .sources import DemoDocuments, DemoKpis


def make_portal(config: DjangoPortalConfig) -> Portal:
    """The example's Portal: the configured storage, demo PDFs and KPIs, emails on the console.

    Links in emails point at ``PORTALKIT_BASE_URL`` (default
    ``http://127.0.0.1:8000``, where ``manage.py runserver`` listens).

    The demo data is loaded once, on first use: into the project's database
    through the Django ORM storage (after ``manage.py migrate``), or into the
    SQLAlchemy database named by ``PORTALKIT_STORAGE`` (schema created here).
    """
    tenant = config.tenant or "demo"
    config_ = attrs.evolve(
        config.portal_config,
        default_tenant=tenant,
        mailer=config.portal_config.mailer or ConsoleMailer(),
    )
    if config.storage == "django":
        from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

        portal = Portal(
            DjangoStorage(config.database), secret_key=config.secret_key, config=config_,
            document_source=DemoDocuments(), kpi_source=DemoKpis(),
        )
    else:
        portal = Portal.from_url(
            config.storage, secret_key=config.secret_key, config=config_,
            document_source=DemoDocuments(), kpi_source=DemoKpis(),
        )
        portal.upgrade()
    load_demo(portal)
    base_url = os.environ.get("PORTALKIT_BASE_URL")
    with portal.admin(tenant) as admin:
        if base_url or not admin.tenant.settings.base_url:  # links in emails point here
            admin.update_settings(base_url=base_url or "http://127.0.0.1:8000")
    return portal
