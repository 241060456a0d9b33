"""The portal switch and the licence close every customer-side entry point (issue 20, 5).

They used to gate access decisions only: with the portal switched off or
unlicensed, sign-in still succeeded and registration and reset codes were still
mailed. Now every way in refuses with one typed error, ``PortalClosedError``;
staff are unaffected.
"""

from __future__ import annotations

import attrs
import pytest

import portalkit
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.config import PortalConfig
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import AuthenticationError, PortalClosedError
from portalkit.ports import Storage
from tests.services.conftest import SECRET
from tests.services.test_invitations import build_world, invite

PASSWORD = "harbour-lantern-violet-42"
SWITCHES = [{"portal_enabled": False}, {"licensed": False}]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter, fresh."""
    if request.param == "memory":
        return MemoryStorage()
    return request.getfixturevalue(f"{request.param}_storage")  # type: ignore[no-any-return]


@attrs.define
class Shop:
    portal: portalkit.Portal
    mailer: MemoryMailer
    share_secret: str = ""


def _shop(storage: Storage) -> Shop:
    mailer = MemoryMailer()
    portal = portalkit.Portal(storage, secret_key=SECRET, config=PortalConfig(mailer=mailer))
    portal.create_tenant(
        "acme", "Acme", settings=TenantSettings(sender_email="portal@acme.example")
    )
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("customer", ["invoice.view", "asset.view", "document.share"])
        ann = admin.create_user("ann@city.example", "Ann Lee")
        admin.grant(ann, "customer", scope=org)
        admin.set_password(ann, PASSWORD)
        guest = admin.create_user("guest@acme.example", "Guest")
        admin.grant(guest, "customer", scope=org)
        admin.update_settings(login_required=False, guest_user_id=guest.id)
        sam = admin.create_user("sam@acme.example", "Sam Staff", is_staff=True)
        admin.set_password(sam, PASSWORD)
        invoice = admin.add_document(
            kind="invoice", status="paid", number="INV-1", scope=org
        )
    shop = Shop(portal, mailer)
    with portal.request("acme") as req:
        cookie = req.sign_in("ann@city.example", PASSWORD).session
    with portal.request("acme", session=cookie) as req:
        shop.share_secret = req.documents.share(invoice.id, recipient="b@example.org").secret
    return shop


def _close(portal: portalkit.Portal, switch: dict[str, bool]) -> None:
    with portal.admin("acme") as admin:
        admin.update_settings(**switch)


@pytest.mark.parametrize("switch", SWITCHES, ids=["switched_off", "unlicensed"])
def test_customers_cannot_get_in_staff_can(storage: Storage, switch: dict[str, bool]) -> None:
    """Sign-in, sessions, reset, registration, share links and guest mode all refuse."""
    shop = _shop(storage)
    portal = shop.portal
    with portal.request("acme") as req:
        cookie = req.sign_in("ann@city.example", PASSWORD).session
    _close(portal, switch)
    sent_before = len(shop.mailer.outbox)

    with portal.request("acme") as req, pytest.raises(PortalClosedError):
        req.sign_in("ann@city.example", PASSWORD)
    # A wrong password or an unknown address is the usual failure: nothing told.
    for who, password in (("ann@city.example", "wrong"), ("nobody@x.example", PASSWORD)):
        with portal.request("acme") as req, pytest.raises(AuthenticationError):
            req.sign_in(who, password)
    with portal.request("acme", session=cookie) as req:
        assert not req.signed_in
        with pytest.raises(PortalClosedError):
            req.documents.list()
    with portal.request("acme") as req, pytest.raises(PortalClosedError):
        req.assets.resolve("A-1")
    with portal.request("acme") as req, pytest.raises(PortalClosedError):
        req.password_reset.request("ann@city.example")
    with portal.request("acme") as req, pytest.raises(PortalClosedError):
        req.password_reset.complete("ann@city.example", "123456", PASSWORD, PASSWORD)
    with portal.request("acme") as req, pytest.raises(PortalClosedError):
        req.registration.claim(phone="+12025550123", email="x@y.example", postal_code="12345")
    tenant_id = portal.tenant("acme").id
    with pytest.raises(PortalClosedError):
        portal.documents.open_share(tenant_id, shop.share_secret)
    assert len(shop.mailer.outbox) == sent_before

    with portal.request("acme") as req:
        staff = req.sign_in("sam@acme.example", PASSWORD)
    with portal.request("acme", session=staff.session) as req:
        assert req.signed_in

    _close(portal, {"portal_enabled": True, "licensed": True})
    with portal.request("acme", session=cookie) as req:
        assert req.signed_in  # the session was refused, not ended
    assert portal.documents.open_share(tenant_id, shop.share_secret).number == "INV-1"


def test_invitations_cannot_be_shown_or_accepted(storage: Storage) -> None:
    """An invitation link of a closed portal is refused, and works again when it opens."""
    world = build_world(storage)
    mailer = MemoryMailer()
    service, token = invite(world, mailer)
    with world.portal.admin("acme") as admin:
        admin.update_settings(licensed=False)
    with pytest.raises(PortalClosedError):
        service.show(world.tenant_id, token)
    with pytest.raises(PortalClosedError):
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    with world.portal.admin("acme") as admin:
        admin.update_settings(licensed=True)
    assert service.show(world.tenant_id, token).email == "ann@example.com"  # type: ignore[union-attr]
