"""PortalConfig: every field is checked by name, and every value reaches its service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from portalkit import (
    IdentityConfig,
    InvitationConfig,
    LimitsConfig,
    Portal,
    PortalConfig,
    TenantSettings,
    perms,
)
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.documents import KindRegistry
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.policy import Target
from portalkit.domain.templates import EmailTemplate, TemplateToken
from portalkit.errors import AuthenticationError, ConfigurationError, ThrottledError
from portalkit.perms import Permission

SECRET = "config-test-secret-key-that-is-long-enough"
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
PO_TOKEN = TemplateToken(name="po_number", label="PO number")


def _work_orders() -> KindRegistry:
    kinds = KindRegistry()
    kinds.register("work_order")
    return kinds


#: (what is built, the start of the message naming the field).
REFUSED: list[tuple[Callable[[], object], str]] = [
    (lambda: PortalConfig(default_tenant="Not A Slug"), "default_tenant must be a tenant slug"),
    (lambda: PortalConfig(identity="x"), "identity must be an IdentityConfig"),  # type: ignore[arg-type]
    (
        lambda: PortalConfig(identity=IdentityConfig(password_policy="x")),  # type: ignore[arg-type]
        "identity.password_policy must be a PasswordPolicy",
    ),
    (
        lambda: PortalConfig(identity=IdentityConfig(session_idle_timeout=dt.timedelta(0))),
        "session_idle_timeout must be a positive timedelta",
    ),
    (
        lambda: PortalConfig(identity=IdentityConfig(session_absolute_timeout=14)),  # type: ignore[arg-type]
        "session_absolute_timeout must be a positive timedelta",
    ),
    (
        lambda: IdentityConfig(session_touch_interval=dt.timedelta(minutes=30)),
        "session_touch_interval must be shorter than session_idle_timeout",
    ),
    *[
        (
            lambda name=name: PortalConfig(identity=IdentityConfig(**{name: 10})),
            f"identity.{name} must be a ThrottleRule",
        )
        for name in (
            "login_account", "login_account_global", "login_client", "claim_record",
            "claim_record_global", "claim_client", "reset_requests", "reset_requests_global",
            "reset_client",
        )
    ],
    *[
        (
            lambda per_client=per_client, overall=overall: PortalConfig(identity=IdentityConfig(
                **{per_client: ThrottleRule(limit=20), overall: ThrottleRule(limit=19)}
            )),
            f"identity.{overall} must allow at least as many failures as identity.{per_client}",
        )
        for per_client, overall in (
            ("login_account", "login_account_global"),
            ("claim_record", "claim_record_global"),
            ("reset_requests", "reset_requests_global"),
        )
    ],
    (
        lambda: PortalConfig(identity=IdentityConfig(claim_email_proof="yes")),  # type: ignore[arg-type]
        "identity.claim_email_proof must be True or False",
    ),
    (
        lambda: PortalConfig(identity=IdentityConfig(codes=6)),  # type: ignore[arg-type]
        "identity.codes must be CodeRules",
    ),
    (
        lambda: PortalConfig(identity=IdentityConfig(mfa=5)),  # type: ignore[arg-type]
        "identity.mfa must be MfaRules",
    ),
    (
        lambda: PortalConfig(identity=IdentityConfig(claim_role=" ")),
        "identity.claim_role must be a role name or None",
    ),
    (lambda: PortalConfig(hasher=object()), "hasher must have hash(), verify()"),  # type: ignore[arg-type]
    (lambda: PortalConfig(mailer="smtp://x"), "mailer must have send()"),  # type: ignore[arg-type]
    (lambda: PortalConfig(sender_email="portal"), "sender_email must be an email address"),
    (
        lambda: PortalConfig(sender_email="Portal <p@acme.example>"),
        "sender_email must be an email address",
    ),
    (lambda: PortalConfig(invitations={}), "invitations must be an InvitationConfig"),  # type: ignore[arg-type]
    (
        lambda: PortalConfig(mail_delivery="later"),
        "mail_delivery must be one of background, worker, inline, not 'later'",
    ),
    (
        lambda: PortalConfig(permissions=["fuel.view"]),  # type: ignore[arg-type]
        "permissions must be a PermissionRegistry",
    ),
    (
        lambda: PortalConfig(document_kinds=["invoice"]),  # type: ignore[arg-type]
        "document_kinds must be a KindRegistry",
    ),
    (
        lambda: PortalConfig(document_kinds=_work_orders()),
        "document_kinds has the kind 'work_order' whose view permission 'work_order.view'",
    ),
    (lambda: PortalConfig(limits=60), "limits must be a LimitsConfig"),  # type: ignore[arg-type]
    (
        lambda: InvitationConfig(validity=dt.timedelta(0)),
        "invitations.validity must be positive",
    ),
    (
        lambda: InvitationConfig(validity=dt.timedelta(days=31)),
        "invitations.validity must be at most 30 days",
    ),
    (lambda: InvitationConfig(validity=14), "invitations.validity must be a timedelta"),  # type: ignore[arg-type]
    (lambda: InvitationConfig(accept_path="accept"), "invitations.accept_path must be a path"),
    (lambda: InvitationConfig(login_path="/login?x=1"), "invitations.login_path must be a path"),
    (
        lambda: InvitationConfig(template=EmailTemplate(subject="Hi {po_number}", body="b")),
        "invitations.template is not usable: Unknown token(s)",
    ),
    (
        lambda: InvitationConfig(account_template="Hello"),  # type: ignore[arg-type]
        "invitations.account_template must be an EmailTemplate",
    ),
    (
        lambda: InvitationConfig(extra_tokens=["po_number"]),  # type: ignore[list-item]
        "invitations.extra_tokens must hold TemplateToken objects",
    ),
    (
        lambda: InvitationConfig(extra_tokens=[PO_TOKEN, PO_TOKEN]),
        "invitations.template is not usable: The token {po_number} is defined twice",
    ),
    (lambda: InvitationConfig(format_date="%d %B"), "invitations.format_date must be a function"),  # type: ignore[arg-type]
    (lambda: InvitationConfig(chunk_size=0), "invitations.chunk_size must be an integer"),
    (
        lambda: LimitsConfig(lookup_window=dt.timedelta(seconds=-1)),
        "limits.lookup_window must be positive",
    ),
    (
        lambda: LimitsConfig(lookup_backoff_max=dt.timedelta(0)),
        "limits.lookup_backoff_max must be positive",
    ),
    (
        lambda: LimitsConfig(action_principal=100),  # type: ignore[arg-type]
        "limits.action_principal must be a ThrottleRule",
    ),
    (
        lambda: LimitsConfig(action_client="100/h"),  # type: ignore[arg-type]
        "limits.action_client must be a ThrottleRule",
    ),
    (
        lambda: Portal(MemoryStorage(), secret_key=SECRET, config={"mailer": None}),  # type: ignore[arg-type]
        "config must be a PortalConfig",
    ),
]


@pytest.mark.parametrize(("build", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_invalid_configuration_names_the_field(build: Callable[[], object], message: str) -> None:
    """A value that cannot work fails at construction, and the message names the field."""
    with pytest.raises(ConfigurationError) as info:
        build()
    assert str(info.value).startswith(message), str(info.value)


def test_every_field_has_a_refusal_test() -> None:
    """Each field of each config class appears in a message above (no unchecked field)."""
    messages = " ".join(m for _, m in REFUSED)
    for prefix, cls in (
        ("", PortalConfig),
        ("", IdentityConfig),
        ("invitations.", InvitationConfig),
        ("limits.", LimitsConfig),
    ):
        for field in attrs.fields(cls):
            assert f"{prefix}{field.name} " in messages, f"{prefix}{field.name}"


def test_defaults_are_the_standard_portal() -> None:
    """PortalConfig() works, is frozen, and holds the built-in catalogue and kinds."""
    config = PortalConfig()
    assert config.permissions is perms.default_registry
    assert {k.name for k in config.document_kinds} >= {"invoice", "quote"}
    assert config.document_kinds is not PortalConfig().document_kinds
    assert config.invitations.validity == dt.timedelta(days=14)
    assert config.sender_email == "no-reply@localhost"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.sender_email = "x@y.example"  # type: ignore[misc]
    with pytest.raises(TypeError):
        PortalConfig("default")  # type: ignore[misc]  # keyword-only


# Each configured value reaches the service that uses it -----------------------


class CountingHasher:
    """A fast hasher that counts the dummy verifications of unknown sign-ins."""

    def __init__(self) -> None:
        self.dummies = 0

    def hash(self, password: str) -> str:
        return FAST_HASHER.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        return FAST_HASHER.verify(encoded, password)

    def verify_dummy(self, password: str) -> bool:
        self.dummies += 1
        return False

    def needs_rehash(self, encoded: str) -> bool:
        return False


def _portal(**config: Any) -> tuple[Portal, MemoryMailer]:
    mailer = MemoryMailer()
    options: dict[str, Any] = {"mailer": mailer, "hasher": FAST_HASHER, **config}
    portal = Portal(
        MemoryStorage(), secret_key=SECRET, clock=ManualClock(NOW), config=PortalConfig(**options)
    )
    return portal, mailer


def _inviting_staff(portal: Portal, slug: str) -> Any:
    portal.create_tenant(slug, "Acme", settings=TenantSettings(base_url="https://acme.example"))
    with portal.admin(slug) as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", [perms.INVITATION_SEND])
        kim = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(kim, "inviter", scope=org)
    return portal.principal_for(kim)


def test_invitation_settings_and_host_tokens_reach_the_invitations() -> None:
    """A host token in the configured template, the paths, validity and date format apply."""
    template = EmailTemplate(
        subject="Order {po_number}: join {company_name}",
        body="Dear {contact_name}, order {po_number}.\n{portal_link}\nUntil {expiry_date}.",
    )
    portal, mailer = _portal(
        default_tenant="acme",
        sender_email="portal@acme.example",
        invitations=InvitationConfig(
            validity=dt.timedelta(days=3),
            accept_path="/join",
            template=template,
            extra_tokens=[PO_TOKEN],
            format_date=lambda when: f"day {when.date().isoformat()}",
            chunk_size=1,
        ),
    )
    staff = _inviting_staff(portal, "acme")
    contacts = [
        {"email": f"c{i}@city.example", "name": f"Contact {i}", "values": {"po_number": f"PO-{i}"}}
        for i in range(3)
    ]
    progress: list[int] = []
    report = portal.invitations.send(staff, contacts, on_progress=lambda r: progress.append(r.sent))
    assert report.sent == 3
    assert progress[:3] == [1, 2, 3]  # one chunk per contact (then the final report)
    first = mailer.outbox[0]
    assert first["Subject"] == "Order PO-0: join Acme"
    assert first["From"].addresses[0].addr_spec == "portal@acme.example"
    text = first.get_body(("plain",)).get_content()
    assert "https://acme.example/join?token=" in text
    assert "Until day 2026-03-04." in text
    (invitation, *_) = portal.invitations.find(staff)
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=3)


def test_the_sender_default_is_used_by_identity_and_invitation_mail() -> None:
    """One From default: reset codes and invitations of a tenant without its own sender."""
    portal, mailer = _portal(sender_email="hello@portal.example")
    staff = _inviting_staff(portal, "default")
    portal.identity.request_password_reset(portal.tenant(), "kim@acme.example")
    portal.invitations.send(staff, [{"email": "pat@city.example", "name": "Pat Lee"}])
    senders = [str(m["From"]) for m in mailer.outbox]
    assert len(senders) == 2
    assert all("hello@portal.example" in s for s in senders), senders


def test_a_configured_permission_is_accepted_and_decided() -> None:
    """A host permission in the config's catalogue works in roles and in the policy."""
    config_perms = perms.catalogue(Permission("fuel.view", label="Fuel View"))
    portal, _ = _portal(permissions=config_perms)
    assert portal.permissions is config_perms
    portal.create_tenant("default", "Acme")
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("fuel", ["fuel.view"])
        ann = admin.create_user("ann@city.example", "Ann Lee")
        admin.grant(ann, "fuel", scope=org)
    target = Target(tenant_id=ann.tenant_id, scope_path=org.path)
    assert portal.policy.decide(portal.principal_for(ann), "fuel.view", target).allowed
    plain, _ = _portal()
    plain.create_tenant("default", "Acme")
    with pytest.raises(ConfigurationError), plain.admin() as admin:
        admin.define_role("fuel", ["fuel.view"])


def test_identity_hasher_mailer_and_default_tenant_reach_the_services() -> None:
    """The hasher signs in, the identity settings are the service's, the tenant is the default."""
    hasher = CountingHasher()
    identity = IdentityConfig(session_absolute_timeout=dt.timedelta(hours=1))
    portal, mailer = _portal(hasher=hasher, identity=identity, default_tenant="acme")
    portal.create_tenant("acme", "Acme")
    assert portal.tenant().slug == "acme"
    assert portal.identity.config is identity
    assert portal.hasher is hasher
    assert portal.mailer is mailer
    with pytest.raises(AuthenticationError):
        portal.login("nobody@city.example", "not the password")
    assert hasher.dummies == 1


def test_lookup_limits_reach_the_asset_service() -> None:
    """The lookup window of the config is the window a tenant's lookup rate counts in."""
    portal, _ = _portal(limits=LimitsConfig(lookup_window=dt.timedelta(hours=1)))
    portal.create_tenant("default", "Acme", settings=TenantSettings(lookup_rate=1))
    with portal.admin() as admin:
        ann = admin.create_user("ann@city.example", "Ann Lee")
    principal = portal.principal_for(ann)
    portal.assets.resolve(principal, "ABC-1")
    with pytest.raises(ThrottledError) as info:
        portal.assets.resolve(principal, "ABC-1")
    assert info.value.retry_after > 59 * 60
