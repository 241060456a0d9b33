"""How the example builds its Portal (``PORTALKIT["PORTAL"]``): demo data on first use."""

from __future__ import annotations

import attrs

from portalkit import Portal
from portalkit.adapters.mail import ConsoleMailer
from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.demo import load_demo

from .sources import DemoDocuments, DemoKpis


def make_portal(config: DjangoPortalConfig) -> Portal:
    """The example's Portal: the configured storage, demo PDFs, emails on the console.

    The demo data is loaded once, on first use: into the project's database
    through the Django ORM storage (after ``manage.py migrate``), or into the
    SQLAlchemy database named by ``PORTALKIT_STORAGE`` (schema created here).
    """
    config_ = attrs.evolve(
        config.portal_config, default_tenant=config.tenant or "demo", mailer=ConsoleMailer()
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
    return portal
