"""How the example builds its Portal (``PORTALKIT["PORTAL"]``): demo data on first use."""

from __future__ import annotations

from portalkit import Portal
from portalkit.adapters.mail import ConsoleMailer
from portalkit.contrib.django.conf import DjangoPortalConfig
from portalkit.demo import load_demo

from .sources import DemoDocuments


def make_portal(config: DjangoPortalConfig) -> Portal:
    """The example's Portal: the configured storage, demo PDFs, emails on the console.

    On a SQLAlchemy storage the schema is created and the demo data loaded
    (once). The Django ORM storage (``PORTALKIT_STORAGE=django``) keeps the
    core records in the project's database after ``migrate``; fill it in the
    admin or with the staff API (the full demo needs capabilities that storage
    does not have yet).
    """
    options = {
        "secret_key": config.secret_key,
        "default_tenant": config.tenant or "demo",
        "document_source": DemoDocuments(),
        "mailer": ConsoleMailer(),
    }
    if config.storage == "django":
        from portalkit.contrib.django.storage import DjangoStorage  # noqa: PLC0415

        return Portal(DjangoStorage(config.database), **options)
    portal = Portal.from_url(config.storage, **options)
    portal.upgrade()
    load_demo(portal)
    return portal
