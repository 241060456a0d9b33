"""Tests for portalkit._services.invitations: sending through a real SMTP server, accepting."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_decode

import portalkit
from portalkit._services.invitations import (
    AlreadySignedUp,
    Contact,
    InvitationService,
    SendReport,
    SignedUp,
    SignUpForm,
    SkipReason,
)
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.smtp import SmtpMailer
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import Eq
from portalkit.domain.invitations import InvitationKind, InvitationStatus
from portalkit.domain.passwords import PasswordPolicy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.templates import EmailTemplate, TemplateToken
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import (
    AlreadyUsedError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    PermissionDeniedError,
    TokenExpiredError,
)
from portalkit.ports import Mailer, Storage, TokenPurpose
from tests.smtp_fixtures import SmtpServer, free_port, running_server

SECRET = "invitation-test-secret-key-0123456789-abcdef"
PASSWORD = "a long and fine passphrase 42"
BASE_URL = "https://portal.acme.example"
SETTINGS = TenantSettings(base_url=BASE_URL, sender_email="portal@acme.example")

#: Argon2id at the OWASP floor: fast enough for tests, same code path.
HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@attrs.frozen
class World:
    """A tenant with a staff user who may invite, a plain user, an org, role and group."""

    storage: Storage
    clock: ManualClock
    tenant_id: int
    staff: Principal
    customer: Principal
    org_id: int
    org_path: str
    portal: portalkit.Portal


def build_world(storage: Storage, settings: TenantSettings = SETTINGS) -> World:
    """Set up a tenant through the staff API."""
    clock = ManualClock(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc))
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=clock)
    tenant = portal.create_tenant("acme", "Acme <Fleet> & Co", settings=settings)
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", ["invitation.send"])
        admin.define_role("viewer", ["asset.view", "message.view"])
        admin.add_group("Depot managers")
        staff = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(staff, "inviter", scope=org)
        plain = admin.create_user("pat@acme.example", "Pat Plain", is_staff=True)
    return World(
        storage=storage,
        clock=clock,
        tenant_id=tenant.id,
        staff=Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=staff.id),
        customer=Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=plain.id),
        org_id=org.id,
        org_path=org.path,
        portal=portal,
    )


def make_service(world: World, mailer: Mailer, **options: Any) -> InvitationService:
    """The service on the world's storage and clock."""
    return InvitationService(
        world.storage,
        signer=ItsdangerousTokenSigner(SECRET, clock=world.clock),
        mailer=mailer,
        clock=world.clock,
        password_policy=PasswordPolicy(),
        hasher=HASHER,
        **options,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter, empty and migrated."""
    if request.param == "memory":
        return MemoryStorage()
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result


@pytest.fixture
def world(storage: Storage) -> World:
    """The standard world on each storage adapter."""
    return build_world(storage)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; refuses refused@example.com."""
    with running_server() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpMailer]:
    """An SmtpMailer talking to the test server."""
    with SmtpMailer(smtp_server.host, smtp_server.port, security="none", timeout=5) as mailer:
        yield mailer


def token_of(message: EmailMessage) -> str:
    """The token in the link of an arrived invitation email."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(re.escape(BASE_URL) + r"/invitations/accept\?token=(\S+)", text)
    assert match, text
    return match.group(1)


def invitations(world: World) -> list[Any]:
    """Every stored invitation, by id."""
    with world.storage.unit_of_work() as uow:
        return uow.invitations.find(world.tenant_id)


# Sending ---------------------------------------------------------------------


def test_invitation_arrives_with_headers_link_and_escaping(
    world: World, smtp: SmtpMailer, smtp_server: SmtpServer
) -> None:
    """The email reaches a real SMTP server: tenant sender, staff Reply-To, tokens filled."""
    service = make_service(world, smtp)
    report = service.send(
        world.staff, [Contact(email="Ann.Lee@Example.com", name="Ann <b>Lee</b>")]
    )
    assert (report.sent, report.skipped, report.failed) == (1, 0, 0)
    (message,) = smtp_server.outbox.messages
    assert message["From"].addresses[0].addr_spec == "portal@acme.example"
    assert message["Reply-To"].addresses[0].addr_spec == "kim@acme.example"
    assert message["To"].addresses[0].addr_spec == "ann.lee@example.com"
    assert message["Subject"].strip() == (
        "Ann <b>Lee</b>, you are invited to the Acme <Fleet> & Co customer portal"
    )
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in html
    assert "<b>Lee" not in html
    token = token_of(message)
    assert f'href="{BASE_URL}/invitations/accept?token={token}"' in html
    assert "15 March 2026" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (stored,) = invitations(world)
    assert stored.status is InvitationStatus.PENDING
    assert not stored.unsent
    assert stored.email == "ann.lee@example.com"
    assert stored.invited_by_user_id == world.staff.user_id


def test_token_carries_no_personal_data(
    world: World, smtp: SmtpMailer, smtp_server: SmtpServer
) -> None:
    """The link's token does not contain the email or the name, plain or encoded.

    The contact's words are long enough not to turn up in random base64 by
    chance (a three-letter name does, about once in five hundred runs).
    """
    contact = {"email": "margarethe.vanderbilt@example.com", "name": "Margarethe Vanderbilt"}
    make_service(world, smtp).send(world.staff, [contact])
    token = token_of(smtp_server.outbox.messages[0])
    payload = base64_decode(token.split(".")[0]).lower()
    for word in ("margarethe", "vanderbilt"):
        assert word not in token.lower()
        assert word.encode() not in payload


def test_only_principals_with_the_permission_may_send(world: World) -> None:
    """A user without invitation.send, a guest, or a disabled portal: PermissionDeniedError."""
    mailer = MemoryMailer()
    service = make_service(world, mailer)
    contact = [Contact(email="ann@example.com", name="Ann")]
    with pytest.raises(PermissionDeniedError):
        service.send(world.customer, contact)
    guest = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.GUEST)
    with pytest.raises(PermissionDeniedError):
        service.send(guest, contact)
    with world.portal.admin("acme") as admin:
        admin.update_settings(portal_enabled=False)
    with pytest.raises(PermissionDeniedError):
        service.send(world.staff, contact)
    assert mailer.outbox == []
    assert invitations(world) == []


def test_permission_must_cover_the_scope(world: World) -> None:
    """Granting at a scope outside the sender's grant is refused."""
    with world.portal.admin("acme") as admin:
        other = admin.add_organization("Other Org")
    service = make_service(world, MemoryMailer())
    contact = [Contact(email="ann@example.com", name="Ann")]
    report = service.send(world.staff, contact, scope_id=world.org_id, role="viewer")
    assert report.sent == 1
    with pytest.raises(PermissionDeniedError):
        service.send(world.staff, contact, scope_id=other.id, role="viewer")


def test_links_need_a_configured_base_url(storage: Storage) -> None:
    """Without TenantSettings.base_url (or a sender) nothing is sent: ConfigurationError."""
    world = build_world(storage, TenantSettings(sender_email="portal@acme.example"))
    with pytest.raises(ConfigurationError):
        make_service(world, MemoryMailer()).send(
            world.staff, [Contact(email="ann@example.com", name="Ann")]
        )


def test_bulk_report_counts_every_kind_of_skip(world: World, smtp: SmtpMailer) -> None:
    """Already a user, invalid email, duplicate, bad names: skipped with reasons; rest sent."""
    seen: list[tuple[int, int]] = []
    contacts = [
        {"email": "ann@example.com", "name": "Ann"},
        {"email": "ANN@example.com", "name": "Ann again"},
        {"email": "pat@acme.example", "name": "Pat"},
        {"email": "not an email", "name": "X"},
        {"email": None, "name": "X"},
        {"email": "cr@example.com", "name": "Evil\r\nBcc: x@evil.example"},
        {"email": "long@example.com", "name": "N" * 10_000},
        {"email": "html@example.com", "name": "<script>alert(1)</script>"},
        "not a contact",
    ]
    report = make_service(world, smtp, chunk_size=3).send(
        world.staff, contacts, on_progress=lambda r: seen.append((r.sent, r.skipped))
    )
    assert report.sent == 2
    assert report.failed == 0
    assert report.skipped_by_reason == {
        SkipReason.DUPLICATE: 1,
        SkipReason.ALREADY_A_USER: 1,
        SkipReason.INVALID_EMAIL: 3,
        SkipReason.INVALID_CONTACT: 2,
    }
    assert report.seen == len(contacts)
    assert [s.row for s in report.skipped_contacts if s.reason is SkipReason.DUPLICATE] == [2]
    assert len(seen) >= 2
    assert seen[-1] == (2, 7)
    assert {i.email for i in invitations(world)} == {"ann@example.com", "html@example.com"}


def test_refused_email_leaves_the_invitation_pending_unsent_and_resendable(
    world: World, smtp: SmtpMailer, smtp_server: SmtpServer
) -> None:
    """A 550 from the server: counted failed, stored pending+unsent with the error; resend works."""
    service = make_service(world, smtp)
    report = service.send(
        world.staff,
        [
            Contact(email="refused@example.com", name="Rita"),
            Contact(email="ok@example.com", name="Ok"),
        ],
    )
    assert (report.sent, report.failed) == (1, 1)
    assert "550" in report.failed_contacts[0].error
    failed = next(i for i in invitations(world) if i.email == "refused@example.com")
    assert failed.status is InvitationStatus.PENDING
    assert failed.unsent
    assert "550" in (failed.last_error or "")
    assert service.find(world.staff, unsent=True) == [failed]
    smtp_server.outbox.refuse = frozenset()
    outcome = service.resend(world.staff, failed.id)
    assert outcome.sent
    assert not outcome.invitation.unsent
    assert outcome.invitation.last_error is None
    assert outcome.invitation.send_attempts == 2
    assert len(smtp_server.outbox.messages) == 2


def test_unreachable_server_loses_no_invitation(world: World) -> None:
    """With the SMTP server down every contact is failed, none lost; audit says failed."""
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", timeout=2)
    report = make_service(world, mailer).send(
        world.staff, [Contact(email=f"c{n}@example.com", name=f"C {n}") for n in range(3)]
    )
    assert (report.sent, report.failed) == (0, 3)
    stored = invitations(world)
    assert len(stored) == 3
    assert all(i.unsent and i.status is InvitationStatus.PENDING for i in stored)
    with world.storage.unit_of_work() as uow:
        audit = uow.audit.find(world.tenant_id, Eq("action", "invitation.send"))
    assert [a.outcome for a in audit] == ["failed"] * 3


def test_sending_again_reuses_the_pending_invitation(world: World) -> None:
    """Inviting the same address twice keeps one invitation and kills the first link."""
    mailer = MemoryMailer()
    service = make_service(world, mailer)
    service.send(world.staff, [Contact(email="ann@example.com", name="Ann")])
    service.send(world.staff, [Contact(email="ann@example.com", name="Ann Lee")])
    assert len(invitations(world)) == 1
    first, second = (token_of(m) for m in mailer.outbox)
    with pytest.raises(InvalidTokenError):
        service.show(world.tenant_id, first)
    form = service.show(world.tenant_id, second)
    assert isinstance(form, SignUpForm)
    assert form.contact_name == "Ann Lee"


def test_host_tokens_are_filled_per_contact(
    world: World, smtp: SmtpMailer, smtp_server: SmtpServer
) -> None:
    """A host token gets each contact's value (escaped in HTML) and is kept for resend."""
    account = TemplateToken(name="account_number", label="Account number")
    service = make_service(world, smtp, extra_tokens=[account])
    template = EmailTemplate(
        subject="Portal for account {account_number}",
        body="Hi {contact_name}, account {account_number}: {portal_link}",
    )
    report = service.send(
        world.staff,
        [Contact(email="ann@example.com", name="Ann", values={"account_number": "<A-1>"})],
        template=template,
    )
    assert report.sent == 1
    (message,) = smtp_server.outbox.messages
    assert message["Subject"].strip() == "Portal for account <A-1>"
    assert "&lt;A-1&gt;" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError):
        service.send(world.staff, [], template=EmailTemplate(subject="{unknown}", body="x"))


def test_send_one_raises_for_skips(world: World) -> None:
    """send_one: invalid email -> InvalidInputError, existing user -> ConflictError."""
    service = make_service(world, MemoryMailer())
    outcome = service.send_one(world.staff, Contact(email="ann@example.com", name="Ann"))
    assert outcome.sent
    assert outcome.invitation.email == "ann@example.com"
    with pytest.raises(InvalidInputError):
        service.send_one(world.staff, Contact(email="bad", name="Ann"))
    with pytest.raises(ConflictError):
        service.send_one(world.staff, Contact(email="pat@acme.example", name="Pat"))


# Showing and accepting -----------------------------------------------------------


def invite(world: World, mailer: MemoryMailer, **options: Any) -> tuple[InvitationService, str]:
    """Send one invitation to ann@example.com; return the service and its token."""
    service = make_service(world, mailer)
    report = service.send(
        world.staff,
        [Contact(email="ann@example.com", name="Ann Lee", contact_key="C-100")],
        **options,
    )
    assert report.sent == 1
    return service, token_of(mailer.outbox[-1])


def test_show_changes_nothing_and_accept_creates_the_user(world: World) -> None:
    """GET shows the form (no change); sign-up creates the bound user, grant, audit and event."""
    mailer = MemoryMailer()
    service, token = invite(
        world, mailer, scope_id=world.org_id, role="viewer", group="Depot managers"
    )
    for _ in range(3):  # a link scanner fetching the page many times changes nothing
        form = service.show(world.tenant_id, token)
    assert isinstance(form, SignUpForm)
    assert form.email == "ann@example.com"
    assert form.company_name == "Acme <Fleet> & Co"
    assert any("15" in rule for rule in form.password_rules)
    assert invitations(world)[0].status is InvitationStatus.PENDING

    result = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    assert isinstance(result, SignedUp)
    assert result.login_url == f"{BASE_URL}/login"
    user = result.user
    assert (user.email, user.name, user.external_key) == ("ann@example.com", "Ann Lee", "C-100")
    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    assert HASHER.verify(user.password_hash, PASSWORD)
    with world.storage.unit_of_work() as uow:
        (stored,) = uow.invitations.find(world.tenant_id)
        grants = uow.grants.find(world.tenant_id, Eq("user_id", user.id))
        members = uow.memberships.find(world.tenant_id, Eq("user_id", user.id))
        audit = uow.audit.find(world.tenant_id, Eq("action", "invitation.accept"))
        events = uow.outbox.find(world.tenant_id, Eq("topic", "invitation.accepted"))
    assert stored.status is InvitationStatus.ACCEPTED
    assert stored.user_id == user.id
    assert [g.scope_path for g in grants] == [world.org_path]
    assert len(members) == 1
    assert [(a.actor_user_id, a.outcome) for a in audit] == [(user.id, "success")]
    assert isinstance(audit[0], AuditEntry)
    assert events[0].payload["user_id"] == user.id
    assert events[0].payload["contact_key"] == "C-100"


def test_clicking_again_after_sign_up_says_already_signed_up(world: World) -> None:
    """After sign-up the link shows AlreadySignedUp with the login link; accept is AlreadyUsed."""
    service, token = invite(world, MemoryMailer())
    service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    again = service.show(world.tenant_id, token)
    assert again == AlreadySignedUp(login_url=f"{BASE_URL}/login")
    with pytest.raises(AlreadyUsedError):
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    with world.storage.unit_of_work() as uow:
        assert uow.users.count(world.tenant_id, Eq("email", "ann@example.com")) == 1


def test_bad_passwords_keep_the_invitation_pending(world: World) -> None:
    """Mismatch or policy breach: InvalidInputError naming the field; nothing stored."""
    service, token = invite(world, MemoryMailer())
    with pytest.raises(InvalidInputError) as info:
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD + "x")
    assert "password_confirmation" in info.value.fields
    with pytest.raises(InvalidInputError) as info:
        service.accept(world.tenant_id, token, "short", "short")
    assert "password" in info.value.fields
    assert invitations(world)[0].status is InvitationStatus.PENDING
    assert isinstance(service.accept(world.tenant_id, token, PASSWORD, PASSWORD), SignedUp)


def test_resend_kills_the_old_token(world: World) -> None:
    """After resend the first link is invalid and the new one works."""
    mailer = MemoryMailer()
    service, old = invite(world, mailer)
    outcome = service.resend(world.staff, invitations(world)[0].id)
    assert outcome.sent
    new = token_of(mailer.outbox[-1])
    assert new != old
    with pytest.raises(InvalidTokenError):
        service.accept(world.tenant_id, old, PASSWORD, PASSWORD)
    assert isinstance(service.accept(world.tenant_id, new, PASSWORD, PASSWORD), SignedUp)


def test_revoke_is_immediate(world: World) -> None:
    """A revoked invitation's link is invalid at once, and it cannot be resent."""
    service, token = invite(world, MemoryMailer())
    invitation_id = invitations(world)[0].id
    with pytest.raises(PermissionDeniedError):
        service.revoke(world.customer, invitation_id)
    revoked = service.revoke(world.staff, invitation_id)
    assert revoked.status is InvitationStatus.REVOKED
    with pytest.raises(InvalidTokenError):
        service.show(world.tenant_id, token)
    with pytest.raises(InvalidTokenError):
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    with pytest.raises(ConflictError):
        service.resend(world.staff, invitation_id)


def test_expired_invitation_and_resend(world: World) -> None:
    """Past its validity the link raises TokenExpiredError; a resend starts it again."""
    mailer = MemoryMailer()
    service, token = invite(world, mailer)
    world.clock.advance(days=15)
    with pytest.raises(TokenExpiredError):
        service.show(world.tenant_id, token)
    with pytest.raises(TokenExpiredError):
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    service.resend(world.staff, invitations(world)[0].id)
    fresh = token_of(mailer.outbox[-1])
    assert isinstance(service.show(world.tenant_id, fresh), SignUpForm)


def test_forged_and_foreign_tokens_are_invalid(world: World) -> None:
    """Tampered, wrong-purpose, or another tenant's tokens are InvalidTokenError."""
    service, token = invite(world, MemoryMailer())
    signer = ItsdangerousTokenSigner(SECRET, clock=world.clock)
    claims = signer.verify(TokenPurpose.INVITE, token)
    reset = signer.sign(TokenPurpose.RESET, claims.id, claims.nonce)
    other_key = ItsdangerousTokenSigner("z" * 40, clock=world.clock).sign(
        TokenPurpose.INVITE, claims.id, claims.nonce
    )
    guessed = signer.sign(TokenPurpose.INVITE, claims.id, "guessed-nonce")
    for bad in (token[:-2], token + "x", reset, other_key, guessed, "", "x" * 5000):
        with pytest.raises(InvalidTokenError):
            service.show(world.tenant_id, bad)
        with pytest.raises(InvalidTokenError):
            service.accept(world.tenant_id, bad, PASSWORD, PASSWORD)
    other = world.portal.create_tenant("other", "Other", settings=SETTINGS)
    with pytest.raises(InvalidTokenError):
        service.show(other.id, token)


def test_existing_passwordless_user_is_bound_not_duplicated(world: World) -> None:
    """If a user with the address appeared meanwhile (no password), sign-up binds to them."""
    service, token = invite(world, MemoryMailer())
    with world.portal.admin("acme") as admin:
        made = admin.create_user("ann@example.com", "Ann (synced)")
    result = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    assert result.user.id == made.id
    assert result.user.password_hash is not None
    assert result.user == attrs.evolve(made, password_hash=result.user.password_hash,
                                       security_stamp=result.user.security_stamp)
    assert result.user.security_stamp != made.security_stamp
    with world.storage.unit_of_work() as uow:
        assert uow.users.get(world.tenant_id, made.id) == result.user
        assert uow.users.count(world.tenant_id, Eq("email", "ann@example.com")) == 1
        entries = uow.audit.find(world.tenant_id, Eq("target", f"user:{made.id}"))
    assert [(e.action, e.actor_user_id) for e in entries] == [
        ("account.create", None), ("account.activate", made.id)]


def test_an_account_link_activates_its_user_after_an_address_change(world: World) -> None:
    """Staff changed the user's address after sending the set-password link: the link
    still gives that user its password; no second user is made under the old address."""
    with world.portal.admin("acme") as admin:
        user = admin.create_user("joe@example.com", "Joe Bloggs")
    mailer = MemoryMailer()
    service = make_service(world, mailer)
    assert service.send_account_created(world.tenant_id, user.id).sent
    with world.portal.admin("acme") as admin:
        admin.uow.users.update(attrs.evolve(user, email="joseph@example.com"))
    result = service.accept(world.tenant_id, token_of(mailer.outbox[0]), PASSWORD, PASSWORD)
    assert (result.user.id, result.user.email) == (user.id, "joseph@example.com")
    assert result.user.password_hash is not None
    with world.storage.unit_of_work() as uow:
        assert uow.users.count(world.tenant_id, Eq("email", "joe@example.com")) == 0


# Staff-created accounts (seed 001) ---------------------------------------------------


def test_account_created_email_has_a_set_password_link_never_a_password(
    world: World, smtp: SmtpMailer, smtp_server: SmtpServer
) -> None:
    """Creating a user sends a set-password link; using it sets that user's password."""
    with world.portal.admin("acme") as admin:
        user = admin.create_user("joe@example.com", "Joe Bloggs")
    service = make_service(world, smtp)
    outcome = service.send_account_created(
        world.tenant_id, user.id, sent_by_user_id=world.staff.user_id
    )
    assert outcome.sent
    assert outcome.invitation.kind is InvitationKind.ACCOUNT
    (message,) = smtp_server.outbox.messages
    assert message["Subject"].strip() == "Your Acme <Fleet> & Co customer portal account"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "password" in text.lower()
    token = token_of(message)
    form = service.show(world.tenant_id, token)
    assert isinstance(form, SignUpForm)
    assert form.kind is InvitationKind.ACCOUNT
    result = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    assert result.user.id == user.id
    with world.storage.unit_of_work() as uow:
        assert uow.users.count(world.tenant_id, Eq("email", "joe@example.com")) == 1
    with pytest.raises(ConflictError):
        service.send_account_created(world.tenant_id, user.id)


# Property: whatever the rows, every contact is accounted for and nothing crashes ----

rows = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "email": st.one_of(
                    st.sampled_from(["a@example.com", "b@example.com", "pat@acme.example"]),
                    st.emails(),
                    st.text(max_size=30),
                    st.none(),
                ),
                "name": st.one_of(
                    st.text(max_size=40),
                    st.sampled_from(["Ann\r\nBcc: x@y.z", "<b>x</b>", "N" * 10_000]),
                    st.integers(),
                ),
            }
        ),
        st.none(),
        st.integers(),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contacts=rows)
def test_any_rows_are_accounted_for_and_never_lost(contacts: list[Any]) -> None:
    """sent + skipped + failed == rows read; every sent/failed contact has a pending invitation."""
    world = build_world(MemoryStorage())
    mailer = MemoryMailer(refuse=["b@example.com"])
    report: SendReport = make_service(world, mailer, chunk_size=5).send(world.staff, contacts)
    assert report.seen == len(contacts)
    assert report.sent + report.skipped + report.failed == len(contacts)
    assert len(mailer.outbox) == report.sent
    stored = invitations(world)
    assert len(stored) == report.sent + report.failed
    assert all(i.status is InvitationStatus.PENDING for i in stored)
    assert sum(i.unsent for i in stored) == report.failed
    for message in mailer.outbox:
        assert "\n" not in message["Subject"]


# Concurrency on PostgreSQL ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_concurrent_accepts_create_exactly_one_user(postgres_storage: Storage) -> None:
    """20 threads accepting one invitation at once: one user, 19 AlreadyUsedError, one event."""
    world = build_world(postgres_storage)
    mailer = MemoryMailer()
    service, token = invite(world, mailer)
    barrier = threading.Barrier(20)
    results: list[object] = []
    lock = threading.Lock()

    def accept() -> None:
        barrier.wait()
        try:
            outcome: object = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
        except Exception as exc:  # collected and checked below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 20
    winners = [r for r in results if isinstance(r, SignedUp)]
    losers = [r for r in results if isinstance(r, AlreadyUsedError)]
    assert len(winners) == 1, results
    assert len(losers) == 19, results
    with world.storage.unit_of_work() as uow:
        assert uow.users.count(world.tenant_id, Eq("email", "ann@example.com")) == 1
        assert uow.outbox.count(world.tenant_id, Eq("topic", "invitation.accepted")) == 1
        assert uow.audit.count(world.tenant_id, Eq("action", "invitation.accept")) == 1
        (stored,) = uow.invitations.find(world.tenant_id)
    assert stored.status is InvitationStatus.ACCEPTED
    assert stored.user_id == winners[0].user.id


@pytest.mark.postgres
@pytest.mark.slow
def test_two_links_to_one_passwordless_user_give_it_one_password(
    postgres_storage: Storage,
) -> None:
    """An invitation and a set-password link, both for the user staff made, accepted
    by 20 threads at once: one password wins; every other request is refused
    (AlreadyUsedError, or ConflictError for the other link) and writes nothing."""
    world = build_world(postgres_storage)
    mailer = MemoryMailer()
    service, invitation_token = invite(world, mailer)
    with world.portal.admin("acme") as admin:
        made = admin.create_user("ann@example.com", "Ann Lee")
    assert service.send_account_created(world.tenant_id, made.id).sent
    account_token = token_of(mailer.outbox[-1])
    barrier = threading.Barrier(20)
    results: list[object] = []
    lock = threading.Lock()

    def accept(token: str) -> None:
        barrier.wait()
        try:
            outcome: object = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
        except Exception as exc:  # collected and checked below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=accept, args=(token,))
               for token in [invitation_token, account_token] * 10]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 20
    winners = [r for r in results if isinstance(r, SignedUp)]
    assert len(winners) == 1, results
    assert all(isinstance(r, (SignedUp, ConflictError)) for r in results), results
    with world.storage.unit_of_work() as uow:
        (user,) = uow.users.find(world.tenant_id, Eq("email", "ann@example.com"))
        assert user == winners[0].user
        assert uow.audit.count(world.tenant_id, Eq("action", "account.activate")) == 1
        assert uow.outbox.count(world.tenant_id, Eq("topic", "invitation.accepted")) == 1
        accepted = uow.invitations.find(world.tenant_id,
                                        Eq("status", InvitationStatus.ACCEPTED))
    assert [i.user_id for i in accepted] == [made.id]


def test_show_says_already_signed_up_when_the_address_has_a_password(world: World) -> None:
    """If the invited address signed up another way meanwhile, the link says so."""
    service, token = invite(world, MemoryMailer())
    with world.portal.admin("acme") as admin:
        made = admin.create_user("ann@example.com", "Ann")
        admin.uow.users.update(attrs.evolve(made, password_hash=HASHER.hash(PASSWORD)))
    assert isinstance(service.show(world.tenant_id, token), AlreadySignedUp)
    with pytest.raises(AlreadyUsedError):
        service.accept(world.tenant_id, token, PASSWORD, PASSWORD)


def test_find_uses_the_status_as_of_now(world: World) -> None:
    """A pending invitation past its expiry is listed as expired, not pending."""
    service, _token = invite(world, MemoryMailer())
    (stored,) = invitations(world)
    assert service.find(world.staff, status=InvitationStatus.PENDING) == [stored]
    assert service.find(world.staff, status=InvitationStatus.EXPIRED) == []
    world.clock.advance(days=14)
    assert service.find(world.staff, status=InvitationStatus.PENDING) == []
    assert service.find(world.staff, status=InvitationStatus.EXPIRED) == [stored]
    assert service.find(world.staff, status=InvitationStatus.ACCEPTED) == []
    with pytest.raises(PermissionDeniedError):
        service.find(world.customer)


def test_an_idn_address_signs_in_whichever_way_its_domain_is_typed(world: World) -> None:
    """Invitations and sign-in share one email rule: an invited IDN address is the account's."""
    mailer = MemoryMailer()
    service = make_service(world, mailer)
    report = service.send(world.staff, [Contact(email="Lena@Bücher.example", name="Lena")])
    assert report.sent == 1
    token = token_of(mailer.outbox[-1])
    signed = service.accept(world.tenant_id, token, PASSWORD, PASSWORD)
    assert signed.user.email == "lena@bücher.example"
    for typed in ("lena@bücher.example", "LENA@xn--bcher-kva.example"):
        with world.portal.request("acme") as req:
            assert req.sign_in(typed, PASSWORD).user.id == signed.user.id
