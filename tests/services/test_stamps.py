"""Every outstanding code and link is bound to the user's security stamp (issue 20, item 1).

A password change, a reset, "sign out everywhere" and disabling the user each
void the user's reset codes and set-password links, on every storage adapter
(memory, SQLite and, marked ``postgres``, PostgreSQL), through the public
portal API. Email-proof (registration) codes are bound to the address on file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs
import pytest

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.config import PortalConfig
from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import InvalidTokenError
from portalkit.ports import Storage

SECRET = "stamp-test-secret-key-0123456789-abcdefgh"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another fine passphrase here"
THIRD_PASSWORD = "a third quite long passphrase"
BASE_URL = "https://portal.acme.example"
HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@attrs.define
class World:
    """A portal with Ann (password) and Joe (staff-created, set-password link pending)."""

    portal: portalkit.Portal
    mailer: MemoryMailer
    tenant: Tenant
    ann: User
    joe: User

    def last_code(self, to: str) -> str:
        """The code in the last email to *to*."""
        match = re.search(r"\b(\d{6})\b", self.mailer.to(to)[-1].get_body(("plain",)).get_content())
        assert match
        return match[1]

    def last_link(self, to: str) -> str:
        """The token of the set-password link in the last email to *to*."""
        message = self.mailer.to(to)[-1]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        match = re.search(re.escape(BASE_URL) + r"/invitations/accept\?token=(\S+)", text)
        assert match, text
        return match[1]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> World:
    """The world on each storage adapter."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    mailer = MemoryMailer()
    clock = ManualClock(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc))
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=clock,
                              config=PortalConfig(mailer=mailer, hasher=HASHER))
    tenant = portal.create_tenant("acme", "Acme Rentals", settings=TenantSettings(
        base_url=BASE_URL, sender_email="portal@acme.example"))
    with portal.admin("acme") as admin:
        ann = admin.set_password(admin.create_user("ann@city.example", "Ann Lee"), PASSWORD)
        joe = admin.create_user("joe@city.example", "Joe Bloggs")
    return World(portal=portal, mailer=mailer, tenant=tenant, ann=ann, joe=joe)


def _change_password(world: World, user: User) -> None:
    with world.portal.admin("acme") as admin:
        admin.set_password(user, NEW_PASSWORD)


def _own_password_change(world: World, user: User) -> None:
    world.portal.identity.change_password(world.tenant, user.id, PASSWORD, NEW_PASSWORD,
                                          NEW_PASSWORD)


def _reset(world: World, user: User) -> None:
    world.portal.identity.request_password_reset(world.tenant, user.email)
    world.portal.identity.reset_password(world.tenant, user.email, world.last_code(user.email),
                                         THIRD_PASSWORD, THIRD_PASSWORD)


def _sign_out_everywhere(world: World, user: User) -> None:
    world.portal.identity.sign_out_everywhere(world.tenant, user.id)


def _admin_end_sessions(world: World, user: User) -> None:
    with world.portal.admin("acme") as admin:
        admin.end_sessions(user)


def _disable_and_enable(world: World, user: User) -> None:
    with world.portal.admin("acme") as admin:
        admin.set_user_active(user, False)
    with world.portal.admin("acme") as admin:
        admin.set_user_active(user, True)


EVENTS: dict[str, Callable[[World, User], None]] = {
    "admin_set_password": _change_password,
    "sign_out_everywhere": _sign_out_everywhere,
    "admin_end_sessions": _admin_end_sessions,
    "disable": _disable_and_enable,
}


@pytest.mark.parametrize(
    "event", [*EVENTS.values(), _own_password_change], ids=[*EVENTS, "change_password"]
)
def test_a_reset_code_from_before_the_event_is_void(
    world: World, event: Callable[[World, User], None]
) -> None:
    """A reset code requested before a password change, sign-out-everywhere or disabling
    sets no password afterwards; a code requested afterwards does."""
    identity = world.portal.identity
    identity.request_password_reset(world.tenant, "ann@city.example")
    stale = world.last_code("ann@city.example")
    event(world, world.ann)
    with pytest.raises(InvalidTokenError):
        identity.reset_password(world.tenant, "ann@city.example", stale, THIRD_PASSWORD, None)
    identity.request_password_reset(world.tenant, "ann@city.example")
    identity.reset_password(world.tenant, "ann@city.example", world.last_code("ann@city.example"),
                            THIRD_PASSWORD, None)
    assert identity.login(world.tenant, "ann@city.example", THIRD_PASSWORD)


def test_a_reset_voids_the_code_it_used(world: World) -> None:
    """After a reset, its code (and any copy of it) sets no other password."""
    identity = world.portal.identity
    identity.request_password_reset(world.tenant, "ann@city.example")
    code = world.last_code("ann@city.example")
    identity.reset_password(world.tenant, "ann@city.example", code, THIRD_PASSWORD, None)
    with pytest.raises(InvalidTokenError):
        identity.reset_password(world.tenant, "ann@city.example", code, NEW_PASSWORD, None)
    assert identity.login(world.tenant, "ann@city.example", THIRD_PASSWORD)


@pytest.mark.parametrize(
    "event", [*EVENTS.values(), _reset], ids=[*EVENTS, "reset"]
)
def test_a_set_password_link_from_before_the_event_is_void(
    world: World, event: Callable[[World, User], None]
) -> None:
    """A staff-created user's set-password link stops working after any voiding event;
    a link sent afterwards (when the user still has no password) works."""
    invitations = world.portal.invitations
    invitations.send_account_created(world.tenant.id, world.joe.id)
    stale = world.last_link("joe@city.example")
    event(world, world.joe)
    with pytest.raises(InvalidTokenError):
        invitations.accept(world.tenant.id, stale, THIRD_PASSWORD, THIRD_PASSWORD)
    with world.portal.admin("acme") as admin:
        joe = admin.user(world.joe.id)
    if joe.password_hash is None:
        invitations.send_account_created(world.tenant.id, joe.id)
        fresh = world.last_link("joe@city.example")
        assert invitations.accept(world.tenant.id, fresh, THIRD_PASSWORD, THIRD_PASSWORD)


def test_disabling_refuses_a_reset_code_while_disabled(world: World) -> None:
    """A disabled user's reset code sets nothing, before or after being enabled again."""
    identity = world.portal.identity
    identity.request_password_reset(world.tenant, "ann@city.example")
    code = world.last_code("ann@city.example")
    with world.portal.admin("acme") as admin:
        admin.set_user_active(world.ann, False)
    with pytest.raises(InvalidTokenError):
        identity.reset_password(world.tenant, "ann@city.example", code, THIRD_PASSWORD, None)
    with world.portal.admin("acme") as admin:
        admin.set_user_active(world.ann, True)
    with pytest.raises(InvalidTokenError):
        identity.reset_password(world.tenant, "ann@city.example", code, THIRD_PASSWORD, None)
    assert identity.login(world.tenant, "ann@city.example", PASSWORD)
