"""Your first portal's data: a tenant, a role, a customer, a user, an asset, a document.

Run it once, after ``python manage.py migrate`` (which creates the schema)::

    python setup_data.py

In a real project this data comes from your own records (an import job, the
admin); the calls are the same.
"""

import datetime as dt
import os

from portalkit import Portal, perms

#: The tutorial user's password (the portal's rules: 15 characters or more, not a common one).
PASSWORD = "plum-orchard-lantern-42"


def create_data(portal: Portal) -> None:
    """One customer with a user who can sign in, an asset and an invoice."""
    portal.create_tenant("default", "Acme Fleet Services")
    with portal.admin() as admin:  # staff work, in one transaction
        admin.define_role("fleet manager", [perms.ASSET_VIEW, perms.INVOICE_VIEW])
        city_fleet = admin.add_organization("City Fleet")
        depot = admin.add_scope(city_fleet, kind="site", name="Depot 4")
        ann = admin.create_user("ann@cityfleet.example", "Ann Lee")
        admin.set_password(ann, PASSWORD)
        admin.grant(ann, "fleet manager", scope=city_fleet)  # covers the whole customer
        admin.upsert_asset(number="CF-100", plate="KX-482-B", scope=depot)
        admin.add_document(
            kind="invoice", status="issued", number="INV-1001", scope=depot,
            issued_on=dt.date(2026, 11, 30),
        )


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    django.setup()
    from portalkit.contrib.django.conf import get_portal

    create_data(get_portal())
    print("Created: sign in as ann@cityfleet.example with the password", PASSWORD)
