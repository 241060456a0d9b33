"""The bulk-invite admin action (seed 003) and the invitation list, over real SMTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from portalkit import Portal, PortalConfig, perms
from portalkit.adapters.smtp import SmtpMailer
from portalkit.contrib.django import capability_models as cm
from portalkit.contrib.django import models as m
from portalkit.contrib.django.conf import DjangoPortalConfig, get_portal
from portalkit.contrib.django.storage import DjangoStorage
from tests.contrib.django.conftest import World
from tests.contrib.django.views import FAST_HASHER
from tests.smtp_fixtures import SmtpServer, running_server

_mailer: dict[str, SmtpMailer] = {}


def portal_with_smtp(config: DjangoPortalConfig) -> Portal:
    """The tests' Portal with a real SMTP mailer (``PORTALKIT["PORTAL"]`` here)."""
    return Portal(
        DjangoStorage(config.database),
        secret_key=config.secret_key,
        config=PortalConfig(
            default_tenant=config.tenant or "default", hasher=FAST_HASHER, mailer=_mailer["smtp"]
        ),
    )


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; the portal of these tests sends through it."""
    with running_server() as server:
        _mailer["smtp"] = SmtpMailer(server.host, server.port, security="none", timeout=5)
        settings.PORTALKIT = {**settings.PORTALKIT, "PORTAL": f"{__name__}.portal_with_smtp"}
        yield server
        _mailer.pop("smtp").close()


@pytest.fixture
def staff(world: World, smtp: SmtpServer, admin_user: Any) -> World:
    """The Django admin user is also a portal user allowed to invite at organization A."""
    with get_portal().admin("acme") as admin:
        sender = admin.create_user(admin_user.email, "Staff Sender", is_staff=True)
        admin.define_role("inviter", [perms.INVITATION_SEND])
        admin.grant(sender, "inviter", scope=admin.scope_by_key("A"))
        organization = admin.scope_by_key("A")
        admin.update_settings(
            base_url="https://portal.acme.example", sender_email="portal@acme.example"
        )
    tenant = m.TenantModel.objects.get(slug="acme")
    for n, email in enumerate(["carl@example.com", "dora@example.com", None]):
        m.CustomerModel.objects.create(
            tenant=tenant, organization_id=organization.id, external_key=f"c{n}",
            name=f"Customer {n}", email=email,
        )
    return world


def test_bulk_invite_sends_one_email_per_contact(staff: World, admin_client: Client,
                                                 smtp: SmtpServer) -> None:
    """Selected customers with an email get one invitation each, with the role chosen."""
    ids = list(m.CustomerModel.objects.values_list("pk", flat=True))
    url = "/admin/portalkit/customermodel/"
    confirm = admin_client.post(url, {"action": "send_invitations", "_selected_action": ids})
    assert confirm.status_code == 200
    assert b"Send invitations" in confirm.content
    done = admin_client.post(
        url,
        {"action": "send_invitations", "_selected_action": ids, "apply": "1", "role": "viewer"},
        follow=True,
    )
    assert b"Invitations sent: 2" in done.content, admin_messages(done)
    assert sorted(msg["To"].addresses[0].addr_spec for msg in smtp.outbox.messages) == [
        "carl@example.com", "dora@example.com"
    ]
    stored = cm.InvitationModel.objects.order_by("email")
    assert [i.email for i in stored] == ["carl@example.com", "dora@example.com"]
    assert admin_client.get("/admin/portalkit/invitationmodel/").status_code == 200


def test_revoke_action_goes_through_the_service(staff: World, admin_client: Client) -> None:
    """Revoking in the admin withdraws the invitation (status revoked)."""
    ids = list(m.CustomerModel.objects.values_list("pk", flat=True))
    admin_client.post(
        "/admin/portalkit/customermodel/",
        {"action": "send_invitations", "_selected_action": ids, "apply": "1", "role": ""},
    )
    invitation = cm.InvitationModel.objects.order_by("pk").first()
    assert invitation is not None
    admin_client.post(
        "/admin/portalkit/invitationmodel/",
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_staff_without_a_portal_user_cannot_invite(world: World, smtp: SmtpServer,
                                                   admin_client: Client) -> None:
    """A Django staff user who is not a portal sender gets an error; nothing is sent."""
    tenant = m.TenantModel.objects.get(slug="acme")
    customer = m.CustomerModel.objects.create(
        tenant=tenant, organization_id=1, external_key="x", name="X", email="x@example.com"
    )
    response = admin_client.post(
        "/admin/portalkit/customermodel/",
        {"action": "send_invitations", "_selected_action": [customer.pk], "apply": "1"},
        follow=True,
    )
    assert b"not a portal user" in response.content
    assert smtp.outbox.messages == []
    assert not cm.InvitationModel.objects.exists()


def admin_messages(response: Any) -> str:
    """The admin's flash messages on a page."""
    found = re.findall(r'<li class="(?:error|success|warning|info)">(.*?)</li>',
                       response.content.decode())
    return "\n".join(found)
