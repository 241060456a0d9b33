"""Every email portalkit sends, through a real SMTP server on loopback, on SQLite and PostgreSQL.

Reset codes, registration codes, invitations and "account created" emails
share one composer: the same headers (From, Date, Message-ID on the sender's
domain, Auto-Submitted), a text and an HTML part, the tenant's language with
English as the fallback. A failing server is recorded, never silent; a portal
without a mailer is refused before it stores anything; a sender or portal name
that cannot go into a header is refused when the settings are saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portalkit import Portal, PortalConfig, perms
from portalkit._services.mail_composer import MailComposer
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.smtp import SmtpMailer
from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import Eq
from portalkit.domain.mail import check_mail_settings
from portalkit.domain.records import CustomerRecord
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import ConfigurationError, InvalidInputError, MailDeliveryError
from portalkit.ports import Storage
from tests.smtp_fixtures import SmtpServer, free_port, running_server

SECRET = "test-secret-key-that-is-long-enough-0123456789"
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)
SENDER = "portal@acme.example"
REFUSED = "refused@example.com"  # the test server answers 550 for it


@pytest.fixture(scope="module")
def server() -> Iterator[SmtpServer]:
    """One SMTP server on loopback for the module (each test starts with an empty outbox)."""
    with running_server() as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """A fresh, migrated database of each kind."""
    found: Storage = request.getfixturevalue(f"{request.param}_storage")
    return found


_OPEN: list[SmtpMailer] = []


@pytest.fixture(autouse=True)
def _close_mailers() -> Iterator[None]:
    """Each test's SMTP connections are closed when it ends."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def _portal(storage: Storage, server: SmtpServer, **config: Any) -> Portal:
    server.outbox.messages.clear()
    server.outbox.envelopes.clear()
    mailer = SmtpMailer(server.host, server.port, security="none", timeout=5)
    _OPEN.append(mailer)
    options: dict[str, Any] = {"mailer": mailer, "hasher": FAST_HASHER, **config}
    built = PortalConfig(**options)
    return Portal(storage, secret_key=SECRET, clock=ManualClock(NOW), config=built)


@attrs.frozen
class Acme:
    portal: Portal
    tenant: Tenant
    staff: Any
    customer_user_id: int


def _acme(portal: Portal, **settings: Any) -> Acme:
    """A tenant with an inviting staff member, a user without password and a claimable record."""
    tenant = portal.create_tenant(
        "acme",
        "Acme Rentals",
        settings=TenantSettings(
            base_url="https://portal.acme.example", sender_email=SENDER, **settings
        ),
    )
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", [perms.INVITATION_SEND])
        kim = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(kim, "inviter", scope=org)
        ann = admin.create_user("ann@city.example", "Ann Lee")
        admin.create_user(REFUSED, "Rex Refused")
        admin.uow.customers.add(CustomerRecord(
            id=0, tenant_id=tenant.id, organization_id=org.id, external_key="C1",
            name="Bob Builder", phone="2025550199", email="bob@builder.example",
            postal_code="12345", portal_enabled=True, contract_count=1,
        ))
    return Acme(portal=portal, tenant=portal.tenant("acme"), staff=portal.principal_for(kim),
                customer_user_id=ann.id)


def _send_every_kind(acme: Acme) -> None:
    """One message of each kind: reset code, email proof, invitation, account created."""
    portal, tenant = acme.portal, acme.tenant
    portal.identity.request_password_reset(tenant, "ann@city.example")
    portal.registration.claim(tenant, phone="(202) 555-0199", email="bob@builder.example",
                              postal_code="12345")
    report = portal.invitations.send(acme.staff, [{"email": "pat@city.example", "name": "Pat"}])
    assert report.sent == 1
    outcome = portal.invitations.send_account_created(tenant.id, acme.customer_user_id)
    assert outcome.sent


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_every_kind_of_message_has_the_standard_headers(
    storage: Storage, server: SmtpServer
) -> None:
    """From, Date, Message-ID on the sender's domain, Auto-Submitted, text + HTML."""
    acme = _acme(_portal(storage, server))
    _send_every_kind(acme)
    messages = server.outbox.messages
    assert [m["To"].addresses[0].addr_spec for m in messages] == [
        "ann@city.example", "bob@builder.example", "pat@city.example", "ann@city.example",
    ]
    ids = set()
    for message in messages:
        sender = message["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == ("Customer Portal", SENDER)
        assert parsedate_to_datetime(str(message["Date"])) == NOW
        assert re.fullmatch(r"<[^<>@\s]+@acme\.example>", str(message["Message-ID"]))
        ids.add(str(message["Message-ID"]))
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Content-Language"] == "en"
        assert "\n" not in str(message["Subject"])
        assert "\r" not in str(message["Subject"])
        assert message.get_content_type() == "multipart/alternative"
        assert _text(message).strip()
        assert _html(message).startswith("<!DOCTYPE html>")
    assert len(ids) == len(messages)
    reset, proof, invitation, account = messages
    assert reset["Subject"] == "Customer Portal: your password reset code"
    code = re.search(r"\b(\d{6})\b", _text(reset))
    assert code is not None
    assert code[1] in _html(reset)
    assert proof["Subject"] == "Customer Portal: confirm your email address"
    assert "invited to the Acme Rentals customer portal" in str(invitation["Subject"])
    assert invitation["Reply-To"].addresses[0].addr_spec == "kim@acme.example"
    assert '<a href="https://portal.acme.example/invitations/accept?token=' in _html(invitation)
    assert account["Subject"] == "Your Acme Rentals customer portal account"
    assert "The link works until 16 March 2026." in _text(account)


def test_messages_are_in_the_tenants_language(storage: Storage, server: SmtpServer) -> None:
    """A Spanish tenant gets Spanish subjects and bodies in every kind of message."""
    acme = _acme(_portal(storage, server), locale="es-MX", portal_name="Portal Acme")
    _send_every_kind(acme)
    reset, proof, invitation, account = server.outbox.messages
    assert {m["Content-Language"] for m in server.outbox.messages} == {"es-MX"}
    assert reset["Subject"] == "Portal Acme: su código para restablecer la contraseña"
    assert "Su código para establecer una nueva contraseña es" in _text(reset)
    assert "durante 15 minutos" in _text(reset)
    assert "restablecer la contrase\u00f1a" in str(reset["Subject"])
    assert proof["Subject"] == "Portal Acme: confirme su dirección de correo electrónico"
    assert str(invitation["Subject"]) == (
        "Pat, le invitamos al portal de clientes de Acme Rentals"
    )
    assert "Regístrese eligiendo una contraseña aquí" in _text(invitation)
    assert "Regístrese" in _html(invitation)
    assert "El enlace funciona hasta el 16 de marzo de 2026." in _text(invitation)
    assert account["Subject"] == "Su cuenta del portal de clientes de Acme Rentals"
    assert reset["From"].addresses[0].display_name == "Portal Acme"


def test_a_language_without_catalogue_falls_back_to_english(
    storage: Storage, server: SmtpServer
) -> None:
    """A tenant in French (no catalogue shipped) gets the English texts."""
    acme = _acme(_portal(storage, server), locale="fr")
    acme.portal.identity.request_password_reset(acme.tenant, "ann@city.example")
    [reset] = server.outbox.messages
    assert reset["Subject"] == "Customer Portal: your password reset code"
    assert reset["Content-Language"] == "fr"


def test_a_host_template_is_sent_as_written_in_any_language(
    storage: Storage, server: SmtpServer
) -> None:
    """Only portalkit's default templates are translated; staff text stays as written."""
    from portalkit.domain.templates import EmailTemplate  # noqa: PLC0415

    acme = _acme(_portal(storage, server), locale="es")
    own = EmailTemplate(subject="Join {company_name}", body="Hello {contact_name}: {portal_link}")
    acme.portal.invitations.send(acme.staff, [{"email": "pat@city.example", "name": "Pat"}],
                                 template=own)
    [invitation] = server.outbox.messages
    assert invitation["Subject"] == "Join Acme Rentals"


def _events(portal: Portal, tenant: Tenant, topic: str) -> list[Any]:
    with portal.storage.unit_of_work(read_only=True) as uow:
        return uow.outbox.find(tenant.id, Eq("topic", topic))


def _audit(portal: Portal, tenant: Tenant, action: str) -> list[AuditEntry]:
    with portal.storage.unit_of_work(read_only=True) as uow:
        return uow.audit.find(tenant.id, Eq("action", action))


def test_a_refused_reset_code_is_recorded_not_raised_nor_dropped(
    storage: Storage, server: SmtpServer
) -> None:
    """The server's 550 becomes an audit entry and a ``mail.undelivered`` event; the
    answer is the one every address gets (raising would tell the account exists)."""
    acme = _acme(_portal(storage, server))
    acme.portal.identity.request_password_reset(acme.tenant, REFUSED)
    acme.portal.identity.request_password_reset(acme.tenant, "nobody@city.example")
    [told] = server.outbox.messages  # the unknown address is told there is no account
    assert told["To"].addresses[0].addr_spec == "nobody@city.example"
    [event] = _events(acme.portal, acme.tenant, "mail.undelivered")
    assert event.payload["to"] == REFUSED
    assert event.payload["permanent"] == "true"
    assert "550" in event.payload["error"]
    assert event.payload["message_id"].endswith("@acme.example>")
    assert not re.search(r"\b\d{6}\b", str(event.payload))  # the code is never stored
    [failed] = _audit(acme.portal, acme.tenant, "mail.send")
    assert failed.outcome == "failed"
    assert failed.detail["error"] == event.payload["error"]


def test_a_dead_server_fails_invitations_as_unsent_with_the_error(storage: Storage) -> None:
    """Nothing listening: the invitation stays unsent with the connection error (resend later)."""
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", timeout=2)
    _OPEN.append(mailer)
    clock = ManualClock(NOW)
    portal = Portal(storage, secret_key=SECRET, clock=clock,
                    config=PortalConfig(mailer=mailer, hasher=FAST_HASHER))
    acme = _acme(portal)
    report = portal.invitations.send(acme.staff, [{"email": "pat@city.example", "name": "Pat"}])
    assert (report.sent, report.failed) == (0, 1)
    [invitation] = portal.invitations.find(acme.staff, unsent=True)
    assert invitation.last_error
    assert "Connection" in invitation.last_error
    # A reset code is queued and retried while it works, then given up.
    portal.identity.request_password_reset(acme.tenant, "ann@city.example")
    assert _events(portal, acme.tenant, "mail.undelivered") == []
    with portal.storage.unit_of_work(read_only=True) as uow:
        [queued] = uow.mail_queue.find(acme.tenant.id)
    assert queued.pending
    assert "Connection" in (queued.last_error or "")
    clock.advance(minutes=16)
    assert portal.mail_queue.deliver_pending().given_up == 1
    [event] = _events(portal, acme.tenant, "mail.undelivered")
    assert "Connection" in event.payload["error"]
    with portal.storage.unit_of_work(read_only=True) as uow:
        [given_up] = uow.mail_queue.find(acme.tenant.id)
    assert given_up.failed_at is not None
    assert given_up.message == ""  # the code is not kept


class _BrokenMailer:
    """A host adapter that fails with its own exception type."""

    def send(self, message: EmailMessage) -> None:
        raise OSError("disk full")


def test_any_mailer_failure_comes_back_as_mail_delivery_error() -> None:
    """The one delivery point turns an adapter's own error into MailDeliveryError."""
    composer = MailComposer(mailer=_BrokenMailer(), clock=ManualClock(NOW), sender_email=SENDER)
    tenant = Tenant(id=1, slug="acme", name="Acme")
    failure = composer.deliver(composer.notice(tenant, "claim_notice", to="ann@city.example"))
    assert isinstance(failure, MailDeliveryError)
    assert failure.detail == "OSError: disk full"


def test_a_portal_without_mailer_refuses_before_storing_anything(storage: Storage) -> None:
    """No mailer: reset, claim and invitations raise ConfigurationError and change nothing."""
    portal = Portal(storage, secret_key=SECRET, clock=ManualClock(NOW),
                    config=PortalConfig(hasher=FAST_HASHER))
    acme = _acme(portal)
    with pytest.raises(ConfigurationError, match="no mailer"):
        portal.identity.request_password_reset(acme.tenant, "ann@city.example")
    with pytest.raises(ConfigurationError, match="no mailer"):
        portal.registration.claim(acme.tenant, phone="2025550199", email="bob@builder.example",
                                  postal_code="12345")
    with pytest.raises(ConfigurationError, match="no mailer"):
        portal.invitations.send(acme.staff, [{"email": "pat@city.example", "name": "Pat"}])
    with pytest.raises(ConfigurationError, match="no mailer"):
        portal.invitations.send_account_created(acme.tenant.id, acme.customer_user_id)
    assert portal.invitations.find(acme.staff) == []
    assert _audit(portal, acme.tenant, "password.reset_request") == []
    with portal.storage.unit_of_work(read_only=True) as uow:
        assert uow.invitations.find(acme.tenant.id) == []


def test_a_sender_without_mailer_fails_at_start_up() -> None:
    """Configuring a sender address but no mailer is refused when the config is built."""
    with pytest.raises(ConfigurationError, match="mailer is missing"):
        PortalConfig(sender_email=SENDER)


@pytest.mark.parametrize(
    "sender", [f"{SENDER}\r\nBcc: evil@x.example", f"{SENDER}\n", "Portal <portal@acme.example>",
               "not-an-address", "portal@acme", " portal@acme.example"],
)
def test_a_bad_configured_sender_fails_at_start_up(sender: str) -> None:
    """PortalConfig names the field."""
    with pytest.raises(ConfigurationError, match="sender_email"):
        PortalConfig(sender_email=sender, mailer=_BrokenMailer())


def test_bad_tenant_mail_settings_are_refused_when_saved(storage: Storage) -> None:
    """A CR/LF sender or portal name, a bad address or language: refused on save (named)."""
    portal = Portal(storage, secret_key=SECRET, clock=ManualClock(NOW),
                    config=PortalConfig(hasher=FAST_HASHER))
    with pytest.raises(InvalidInputError) as created:
        portal.create_tenant("acme", "Acme", settings=TenantSettings(
            sender_email=f"{SENDER}\r\nBcc: evil@x.example"
        ))
    assert set(created.value.fields) == {"sender_email"}
    portal.create_tenant("acme", "Acme", settings=TenantSettings(sender_email=SENDER))
    bad: list[tuple[str, object]] = [
        ("sender_email", "portal@acme.example\nBcc: evil@x.example"),
        ("sender_email", "Acme <portal@acme.example>"),
        ("sender_email", "portal"),
        ("portal_name", "Acme\r\nBcc: evil@x.example"),
        ("portal_name", "   "),
        ("locale", "es\n"),
        ("locale", "../../etc"),
    ]
    for field, value in bad:
        with pytest.raises(InvalidInputError) as saved, portal.admin("acme") as admin:
            admin.update_settings(**{field: value})
        assert set(saved.value.fields) == {field}, (field, value)
    settings = portal.tenant("acme").settings
    assert (settings.sender_email, settings.portal_name, settings.locale) == (
        SENDER, "Customer Portal", "en"
    )


_BREAKS = st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"])
_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)


@given(before=_TEXT, line_break=_BREAKS, after=_TEXT)
def test_no_line_break_gets_into_a_mail_setting(before: str, line_break: str, after: str) -> None:
    """Whatever surrounds it, a line break in the sender, the name or the language is refused."""
    value = before + line_break + after
    for field in ("sender_email", "portal_name", "locale"):
        change: dict[str, Any] = {field: value}
        settings = attrs.evolve(TenantSettings(), **change)
        with pytest.raises(InvalidInputError) as refused:
            check_mail_settings(settings)
        assert field in refused.value.fields


_NAME_CHARS = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))


@settings(max_examples=50, deadline=None)
@given(name=st.text(_NAME_CHARS, min_size=1, max_size=60).filter(str.strip))
def test_any_accepted_portal_name_makes_one_from_header(name: str) -> None:
    """A portal name that passes the save check parses back as the same display name."""
    settings = check_mail_settings(TenantSettings(portal_name=name))
    composer = MailComposer(mailer=None, clock=ManualClock(NOW), sender_email=SENDER)
    message = composer.notice(Tenant(id=1, slug="acme", name="Acme", settings=settings),
                              "claim_notice", to="ann@city.example")
    from email import message_from_bytes, policy  # noqa: PLC0415

    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    # The standard library may fold a long encoded name with an extra space.
    assert "".join(parsed["From"].addresses[0].display_name.split()) == "".join(name.split())
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert len(parsed.get_all("To") or []) == 1


def test_memory_storage_sends_the_same_headers() -> None:
    """The composer is independent of storage: an in-memory portal's mail is alike."""
    from portalkit.adapters.mail import MemoryMailer  # noqa: PLC0415

    mailer = MemoryMailer()
    portal = Portal(MemoryStorage(), secret_key=SECRET, clock=ManualClock(NOW),
                    config=PortalConfig(mailer=mailer, hasher=FAST_HASHER))
    acme = _acme(portal)
    _send_every_kind(acme)
    assert len(mailer.outbox) == 4
    assert all(m["Auto-Submitted"] == "auto-generated" for m in mailer.outbox)


def test_a_customers_own_request_is_answered_in_their_language(
    storage: Storage, server: SmtpServer
) -> None:
    """The request's locale wins for the reset code; a staff invitation keeps the tenant's."""
    acme = _acme(_portal(storage, server))
    with acme.portal.request("acme", locale="es", client="203.0.113.9") as req:
        req.password_reset.request("ann@city.example")
    with acme.portal.request("acme", client="203.0.113.9") as req:
        req.password_reset.request("ann@city.example")
    spanish, english = server.outbox.messages
    assert spanish["Subject"] == "Customer Portal: su código para restablecer la contraseña"
    assert spanish["Content-Language"] == "es"
    assert english["Subject"] == "Customer Portal: your password reset code"


def test_a_sender_stored_before_the_check_is_refused_alike_for_every_address(
    storage: Storage, server: SmtpServer
) -> None:
    """Settings saved by an older version with a CR/LF sender: every reset request gets the
    same ConfigurationError before anything is stored, known account or not."""
    acme = _acme(_portal(storage, server))
    bad = attrs.evolve(acme.tenant.settings, sender_email=f"{SENDER}\r\nBcc: evil@x.example")
    with acme.portal.storage.unit_of_work() as uow:
        uow.tenants.update(attrs.evolve(acme.tenant, settings=bad))
        uow.commit()
    tenant = acme.portal.tenant("acme")
    for address in ("ann@city.example", "nobody@city.example"):
        with pytest.raises(ConfigurationError, match="sender_email"):
            acme.portal.identity.request_password_reset(tenant, address)
    assert server.outbox.messages == []
    assert _audit(acme.portal, tenant, "password.reset_request") == []


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: evil@x.example", "Hi\n", "Hi\u2028there"])
def test_a_subject_with_a_line_break_is_refused_not_sent(subject: str) -> None:
    """The composer refuses a multi-line subject (it never reaches a header)."""
    sent: list[EmailMessage] = []

    class Keep:
        def send(self, message: EmailMessage) -> None:
            sent.append(message)

    composer = MailComposer(mailer=Keep(), clock=ManualClock(NOW), sender_email=SENDER)
    with pytest.raises(InvalidInputError) as refused:
        composer.compose(Tenant(id=1, slug="acme", name="Acme"), to="ann@city.example",
                         subject=subject, text="Hello")
    assert set(refused.value.fields) == {"subject"}
    assert sent == []


@pytest.mark.parametrize(
    "sender", ["no-reply@localhost", "portal@acme.example", "Portal.Team+x@mail.acme.example"]
)
def test_plain_senders_are_accepted(sender: str) -> None:
    """The development default and ordinary addresses pass; the Message-ID follows the domain."""
    composer = MailComposer(mailer=None, clock=ManualClock(NOW), sender_email=sender)
    message = composer.notice(Tenant(id=1, slug="acme", name="Acme"), "claim_notice",
                              to="ann@city.example")
    assert message["From"].addresses[0].addr_spec == sender
    assert str(message["Message-ID"]).endswith("@" + sender.rpartition("@")[2] + ">")
