"""Tests for portalkit._services.identity and .registration: sign-in, sessions, reset,
profile, registration by proof.

Every test runs on memory, SQLite and (marked ``postgres``) PostgreSQL storage,
with the real Argon2id hasher at the OWASP floor (fast enough for tests), the
real throttles and the in-memory outbox mailer; one test sends through a real
SMTP server on loopback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from email.message import EmailMessage

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit._services.identity import (
    CLAIM_FAILED,
    ClaimTicket,
    IdentityConfig,
    IdentityService,
    set_password,
)
from portalkit._services.registration import RegistrationService
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.phones import PhonenumbersNormalizer
from portalkit.domain.filters import Eq
from portalkit.domain.identity import ThrottleRule, read_signed_values
from portalkit.domain.principals import Role, User
from portalkit.domain.records import CustomerRecord
from portalkit.domain.scopes import ScopeKind
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    ThrottledError,
)
from portalkit.locale import translator
from portalkit.ports import Storage, Throttle

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another fine passphrase here"
FAST = {"time_cost": 2, "memory_kib": 19 * 1024, "parallelism": 1}
KEYS = [b"s" * 32]


class CountingHasher:
    """The real Argon2id hasher, counting every Argon2 computation (hash or verify)."""

    def __init__(self, inner: Argon2idHasher) -> None:
        self.inner = inner
        self.computations = 0

    def hash(self, password: str) -> str:
        """Hash and count."""
        self.computations += 1
        return self.inner.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Verify and count."""
        self.computations += 1
        return self.inner.verify(encoded, password)

    def verify_dummy(self, password: str) -> bool:
        """Verify the dummy hash and count."""
        self.computations += 1
        return self.inner.verify_dummy(password)

    def needs_rehash(self, encoded: str) -> bool:
        """No Argon2 computation."""
        return self.inner.needs_rehash(encoded)


@pytest.fixture(scope="module")
def argon() -> Argon2idHasher:
    """One fast hasher per module (building one costs an Argon2 computation)."""
    return Argon2idHasher(**FAST)  # type: ignore[arg-type]


@attrs.define
class World:
    """A tenant with users and customer records, and the service under test."""

    storage: Storage
    service: IdentityService
    hasher: CountingHasher
    mailer: MemoryMailer
    clock: ManualClock
    throttle: Throttle
    tenant: Tenant
    ann: User
    bob_record: CustomerRecord
    other_record: CustomerRecord

    def rebuild(self, **config: object) -> IdentityService:
        """A service on the same storage with other settings."""
        self.service = IdentityService(
            self.storage, hasher=self.hasher, throttle=self.throttle, mailer=self.mailer,
            clock=self.clock, secret_keys=KEYS, phones=PhonenumbersNormalizer(),
            config=attrs.evolve(self.service.config, **config),
        )
        return self.service

    @property
    def registration(self) -> RegistrationService:
        """Registration by proof on the current service."""
        return RegistrationService(self.service)

    def last_code(self, to: str) -> str:
        """The code in the last message sent to *to*."""
        match = re.search(r"\b(\d{6})\b", self.mailer.to(to)[-1].get_body(("plain",)).get_content())
        assert match
        return match[1]


def _throttle_for(storage: Storage) -> Throttle:
    return storage.throttle()


def _record(tenant_id: int, org_id: int, key: str, **changes: object) -> CustomerRecord:
    fields: dict[str, object] = {
        "id": 0, "tenant_id": tenant_id, "organization_id": org_id, "external_key": key,
        "name": "Bob Builder", "phone": "2025550199", "email": "Bob@Builder.example",
        "postal_code": "12345", "portal_enabled": True, "is_account": True,
        "contract_count": 1, "quote_count": 0,
    }
    fields.update(changes)
    return CustomerRecord(**fields)  # type: ignore[arg-type]


def make_world(storage: Storage, argon: Argon2idHasher) -> World:
    """Seed a tenant: Ann (password), Ivy (invited), Dan (disabled), two customer records."""
    hasher = CountingHasher(argon)
    clock = ManualClock()
    mailer = MemoryMailer()
    throttle = _throttle_for(storage)
    service = IdentityService(
        storage, hasher=hasher, throttle=throttle, mailer=mailer, clock=clock,
        secret_keys=KEYS, phones=PhonenumbersNormalizer(),
    )
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme Rentals"))
        tid = tenant.id
        ann = uow.users.add(User(id=0, tenant_id=tid, email="ann@city.example", name="Ann Lee",
                                 username="ann", phone="+12025550143", security_stamp="a"))
        ann = set_password(uow, tenant, ann, PASSWORD, PASSWORD, hasher=argon,
                           policy=service.password_policy)
        uow.users.add(User(id=0, tenant_id=tid, email="ivy@city.example", name="Ivy Invited",
                           security_stamp="i"))
        dan = uow.users.add(User(id=0, tenant_id=tid, email="dan@city.example", name="Dan D",
                                 username="dan", security_stamp="d"))
        dan = set_password(uow, tenant, dan, PASSWORD, None, hasher=argon,
                           policy=service.password_policy)
        uow.users.update(attrs.evolve(dan, is_active=False))
        # Mallory's username is Ann's email address: email must win.
        uow.users.add(User(id=0, tenant_id=tid, email="mallory@evil.example", name="Mallory",
                           username="ann@city.example", security_stamp="m"))
        org = uow.scopes.create(tenant_id=tid, kind=ScopeKind.ORGANIZATION, name="Bob Co",
                                parent=None)
        other_org = uow.scopes.create(tenant_id=tid, kind=ScopeKind.ORGANIZATION,
                                      name="Cat Co", parent=None)
        uow.roles.add(Role(id=0, tenant_id=tid, name="customer", permissions=frozenset()))
        bob = uow.customers.add(_record(tid, org.id, "C1"))
        other = uow.customers.add(_record(
            tid, other_org.id, "C2", name="Cat Carter", phone="+1 202 555 0177",
            email="cat@carter.example", postal_code="K1A 0B1", country="CA",
        ))
        uow.commit()
    hasher.computations = 0
    return World(storage=storage, service=service, hasher=hasher, mailer=mailer, clock=clock,
                 throttle=throttle, tenant=tenant, ann=ann, bob_record=bob, other_record=other)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, argon: Argon2idHasher) -> World:
    """A seeded world on each storage adapter."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    return make_world(storage, argon)


# Sign-in -------------------------------------------------------------------------
@pytest.mark.parametrize("identifier", ["ann@city.example", " ANN@City.Example", "(202) 555-0143",
                                        "+1 202 555 0143"])
def test_login_by_email_or_phone(world: World, identifier: str) -> None:
    """Ann signs in with her email (any case) or her phone number in any spelling."""
    signed = world.service.login(world.tenant, identifier, PASSWORD, client_key="ip:1.1.1.1")
    assert signed.user.id == world.ann.id
    assert signed.principal.user_id == world.ann.id


def test_login_by_username(world: World) -> None:
    """A plain username signs in its owner."""
    assert world.service.login(world.tenant, "ann", PASSWORD).user.id == world.ann.id


def test_email_wins_over_another_users_username(world: World) -> None:
    """'ann@city.example' is Ann's email and Mallory's username: it names Ann."""
    found = world.service.find_login_user(world.tenant, "ann@city.example")
    assert found is not None
    assert found.id == world.ann.id


@pytest.mark.parametrize(
    ("identifier", "password"),
    [
        ("nobody@city.example", PASSWORD),  # unknown user
        ("ann@city.example", "wrong horse battery staple"),  # wrong password
        ("dan", PASSWORD),  # disabled user, right password
        ("ivy@city.example", PASSWORD),  # invited, no password yet
        ("ann", "x" * 2000),  # over-long password
    ],
)
def test_every_failure_is_one_generic_error_after_one_argon2(
    world: World, identifier: str, password: str
) -> None:
    """Unknown, wrong, disabled and invited all fail alike, each after one Argon2 computation."""
    with pytest.raises(AuthenticationError) as caught:
        world.service.login(world.tenant, identifier, password)
    assert caught.value.message == AuthenticationError.default_message
    assert world.hasher.computations == 1


def test_success_costs_one_argon2_without_rehash(world: World) -> None:
    """A successful sign-in with current parameters verifies once and does not rehash."""
    world.service.login(world.tenant, "ann", PASSWORD)
    assert world.hasher.computations == 1


def test_rehash_on_success_when_parameters_change(world: World) -> None:
    """New parameters: the next successful sign-in rehashes; a failure never does."""
    stronger = CountingHasher(Argon2idHasher(**{**FAST, "time_cost": 3}))  # type: ignore[arg-type]
    world.hasher = stronger
    service = world.rebuild()
    with pytest.raises(AuthenticationError):
        service.login(world.tenant, "ann", "wrong horse battery staple")
    with world.storage.unit_of_work() as uow:
        assert uow.users.get(world.tenant.id, world.ann.id) == world.ann
    service.login(world.tenant, "ann", PASSWORD)
    with world.storage.unit_of_work() as uow:
        user = uow.users.get(world.tenant.id, world.ann.id)
    assert user is not None
    assert user.password_hash != world.ann.password_hash
    assert "t=3" in (user.password_hash or "")
    assert service.login(world.tenant, "ann", PASSWORD).user.id == world.ann.id


@pytest.mark.parametrize("identifier", ["ann", "nobody"])
def test_ten_failures_per_account_then_back_off(world: World, identifier: str) -> None:
    """After 10 failures in 15 minutes the account is throttled, known or unknown alike."""
    for _ in range(10):
        with pytest.raises(AuthenticationError):
            world.service.login(world.tenant, identifier, "wrong horse battery staple")
    before = world.hasher.computations
    with pytest.raises(ThrottledError) as caught:
        world.service.login(world.tenant, identifier, PASSWORD)
    assert caught.value.retry_after == 15 * 60
    assert world.hasher.computations == before  # no Argon2 while throttled
    world.clock.advance(minutes=15)
    with pytest.raises(AuthenticationError):
        world.service.login(world.tenant, identifier, "wrong horse battery staple")
    with pytest.raises(ThrottledError) as again:
        world.service.login(world.tenant, identifier, PASSWORD)
    assert again.value.retry_after == 30 * 60


def test_success_clears_the_account_counter(world: World) -> None:
    """A successful sign-in resets the account's failures."""
    for _ in range(9):
        with pytest.raises(AuthenticationError):
            world.service.login(world.tenant, "ann", "wrong horse battery staple")
    world.service.login(world.tenant, "ann", PASSWORD)
    for _ in range(9):
        with pytest.raises(AuthenticationError):
            world.service.login(world.tenant, "ann", "wrong horse battery staple")
    assert world.service.login(world.tenant, "ann", PASSWORD).user.id == world.ann.id


def test_per_client_limit(world: World) -> None:
    """One client guessing across many accounts is throttled by its client key."""
    from portalkit.domain.identity import ThrottleRule  # noqa: PLC0415

    service = world.rebuild(login_client=ThrottleRule(limit=3))
    for name in ("a1", "a2", "a3"):
        with pytest.raises(AuthenticationError):
            service.login(world.tenant, name, "wrong horse battery staple", client_key="ip:6.6.6.6")
    with pytest.raises(ThrottledError):
        service.login(world.tenant, "a4", "wrong horse battery staple", client_key="ip:6.6.6.6")
    assert service.login(world.tenant, "ann", PASSWORD, client_key="ip:7.7.7.7")


def test_an_attackers_failures_do_not_refuse_the_owner_on_another_client(world: World) -> None:
    """Ten wrong passwords from one client block that client only: the owner's correct
    password from a client that has not been failing signs in."""
    for _ in range(10):
        with pytest.raises(AuthenticationError):
            world.service.login(world.tenant, "ann@city.example", "wrong horse battery staple",
                                client_key="ip:6.6.6.6")
    with pytest.raises(ThrottledError):
        world.service.login(world.tenant, "ann@city.example", PASSWORD, client_key="ip:6.6.6.6")
    signed = world.service.login(world.tenant, "(202) 555-0143", PASSWORD,
                                 client_key="ip:7.7.7.7")
    assert signed.user.id == world.ann.id


def test_the_overall_limit_stops_a_distributed_attack_until_the_owner_resets(
    world: World,
) -> None:
    """Failures from many clients add up to the account's overall limit, which then refuses
    even the right password from a fresh client; a reset by emailed code (a proven owner)
    opens sign-in again."""
    service = world.rebuild(login_account=ThrottleRule(limit=2),
                            login_account_global=ThrottleRule(limit=6))
    for client in range(3):
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                service.login(world.tenant, "ann@city.example", "wrong horse battery staple",
                              client_key=f"ip:10.0.0.{client}")
    with pytest.raises(ThrottledError):
        service.login(world.tenant, "ann@city.example", PASSWORD, client_key="ip:7.7.7.7")
    service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:7.7.7.7")
    service.reset_password(world.tenant, "ann@city.example", world.last_code("ann@city.example"),
                           NEW_PASSWORD, None, client_key="ip:7.7.7.7")
    assert service.login(world.tenant, "ann@city.example", NEW_PASSWORD, client_key="ip:7.7.7.7")


def test_one_clients_reset_requests_do_not_block_the_owners(world: World) -> None:
    """Five reset requests from one client block that client; the owner elsewhere still gets
    a code, up to the address's overall limit."""
    service = world.rebuild(reset_requests_global=ThrottleRule(limit=7))
    for _ in range(5):
        service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:6.6.6.6")
    with pytest.raises(ThrottledError):
        service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:6.6.6.6")
    service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:7.7.7.7")
    service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:8.8.8.8")
    with pytest.raises(ThrottledError):
        service.request_password_reset(world.tenant, "ann@city.example", client_key="ip:9.9.9.9")


def test_login_attempts_are_audited_without_secrets(world: World) -> None:
    """Success and failure are audited with outcome and client key; no password anywhere."""
    world.service.login(world.tenant, "ann", PASSWORD, client_key="ip:1.2.3.4")
    with pytest.raises(AuthenticationError):
        world.service.login(world.tenant, "ann", "wrong horse battery staple",
                            client_key="ip:1.2.3.4")
    with world.storage.unit_of_work() as uow:
        entries = uow.audit.find(world.tenant.id, Eq("action", "login"))
    assert [(e.outcome, e.client_key, e.actor_user_id) for e in entries] == [
        ("success", "ip:1.2.3.4", world.ann.id),
        ("failed", "ip:1.2.3.4", world.ann.id),
    ]
    assert "horse" not in repr(entries)


# Sessions ------------------------------------------------------------------------
def test_sessions_are_bound_to_the_security_stamp(world: World) -> None:
    """A session validates until sign-out everywhere; then every session ends."""
    first = world.service.login(world.tenant, "ann", PASSWORD)
    second = world.service.login(world.tenant, "ann", PASSWORD)
    assert world.service.authenticate(world.tenant, first.session).user.id == world.ann.id
    world.service.sign_out_everywhere(world.tenant, world.ann.id)
    for signed in (first, second):
        with pytest.raises(InvalidTokenError):
            world.service.authenticate(world.tenant, signed.session)


def test_password_change_ends_other_sessions(world: World) -> None:
    """Changing the password ends every session and returns a fresh one for this browser."""
    other = world.service.login(world.tenant, "ann", PASSWORD)
    mine = world.service.login(world.tenant, "ann", PASSWORD)
    fresh = world.service.change_password(world.tenant, mine.user.id, PASSWORD, NEW_PASSWORD,
                                          NEW_PASSWORD)
    for ended in (other, mine):
        with pytest.raises(InvalidTokenError):
            world.service.authenticate(world.tenant, ended.session)
    assert world.service.authenticate(world.tenant, fresh.session).user.id == world.ann.id
    assert world.service.login(world.tenant, "ann", NEW_PASSWORD)


def test_password_change_needs_the_current_password_and_the_policy(world: World) -> None:
    """A wrong current password or a weak new one is a field error."""
    with pytest.raises(InvalidInputError) as wrong:
        world.service.change_password(world.tenant, world.ann.id, "not it at all, sorry",
                                      NEW_PASSWORD, NEW_PASSWORD)
    assert set(wrong.value.fields) == {"current_password"}
    with pytest.raises(InvalidInputError) as weak:
        world.service.change_password(world.tenant, world.ann.id, PASSWORD, "short", "short")
    assert set(weak.value.fields) == {"password"}


def test_disabling_a_user_ends_their_sessions(world: World) -> None:
    """A disabled user's session stops validating at once."""
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    with world.storage.unit_of_work() as uow:
        uow.users.update(attrs.evolve(signed.user, is_active=False))
        uow.commit()
    with pytest.raises(InvalidTokenError):
        world.service.authenticate(world.tenant, signed.session)


# Password reset ------------------------------------------------------------------
def test_reset_by_emailed_code(world: World) -> None:
    """The code goes to the stored address; it sets the password once; sessions end."""
    session = world.service.login(world.tenant, "ann", PASSWORD).session
    assert world.service.request_password_reset(world.tenant, " ANN@city.example") is None
    [message] = world.mailer.to("ann@city.example")
    assert message["To"] == "ann@city.example"
    code = world.last_code("ann@city.example")
    assert len(code) == 6
    world.service.reset_password(world.tenant, "ann@city.example", code, NEW_PASSWORD,
                                 NEW_PASSWORD)
    with pytest.raises(InvalidTokenError):
        world.service.authenticate(world.tenant, session)
    assert world.service.login(world.tenant, "ann", NEW_PASSWORD)
    with pytest.raises(InvalidTokenError):
        world.service.reset_password(world.tenant, "ann@city.example", code, PASSWORD, None)


def test_reset_request_answers_alike_for_unknown_emails(world: World) -> None:
    """An unknown address gets the same (empty) answer, and a mail saying there is no account.

    The same work as for a known address (a code stored, a message queued):
    issue 20, finding 2. The mail carries no code and names no account.
    """
    assert world.service.request_password_reset(world.tenant, "nobody@city.example") is None
    [mail] = world.mailer.outbox
    assert mail["To"].addresses[0].addr_spec == "nobody@city.example"
    text = mail.get_body(("plain",)).get_content()
    assert "there is no account" in text
    assert not any(ch.isdigit() for ch in text)


def test_reset_code_expires_after_15_minutes(world: World) -> None:
    """A code is refused once its 15 minutes are over."""
    world.service.request_password_reset(world.tenant, "ann@city.example")
    code = world.last_code("ann@city.example")
    world.clock.advance(minutes=15)
    with pytest.raises(InvalidTokenError):
        world.service.reset_password(world.tenant, "ann@city.example", code, NEW_PASSWORD, None)


def test_five_wrong_codes_lock_that_code_and_a_new_code_works(world: World) -> None:
    """After 5 wrong guesses the right code fails; a newly requested code works (the owner,
    who reads the email, always gets in)."""
    world.service.request_password_reset(world.tenant, "ann@city.example")
    code = world.last_code("ann@city.example")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidTokenError):
            world.service.reset_password(world.tenant, "ann@city.example", wrong, NEW_PASSWORD,
                                         None)
    with pytest.raises(InvalidTokenError):
        world.service.reset_password(world.tenant, "ann@city.example", code, NEW_PASSWORD, None)
    world.service.request_password_reset(world.tenant, "ann@city.example")
    fresh = world.last_code("ann@city.example")
    world.service.reset_password(world.tenant, "ann@city.example", fresh, NEW_PASSWORD, None)
    assert world.service.login(world.tenant, "ann", NEW_PASSWORD)


def test_reset_requests_are_throttled_per_address(world: World) -> None:
    """More than 5 requests an hour for one address are throttled (mail bombing)."""
    for _ in range(5):
        world.service.request_password_reset(world.tenant, "ann@city.example")
    with pytest.raises(ThrottledError):
        world.service.request_password_reset(world.tenant, "ann@city.example")
    with pytest.raises(InvalidInputError) as bad:
        world.service.request_password_reset(world.tenant, "not an email")
    assert set(bad.value.fields) == {"email"}


def test_reset_first_password_for_an_invited_user(world: World) -> None:
    """Seed 001: a user created without a password sets one by the emailed code."""
    world.service.request_password_reset(world.tenant, "ivy@city.example")
    code = world.last_code("ivy@city.example")
    world.service.reset_password(world.tenant, "ivy@city.example", code, NEW_PASSWORD,
                                 NEW_PASSWORD)
    assert world.service.login(world.tenant, "ivy@city.example", NEW_PASSWORD)


# Profile -------------------------------------------------------------------------
def test_profile_fields_are_validated_one_by_one(world: World) -> None:
    """Each bad field gets its own reason (seed 003's messages)."""
    with pytest.raises(InvalidInputError) as caught:
        world.service.update_profile(world.tenant, world.ann.id, first_name="A1",
                                     last_name="", email="nope")
    assert set(caught.value.fields) == {"first_name", "last_name", "email", "current_password"}
    assert caught.value.fields["first_name"].startswith("First name must have at least 2")


def test_profile_name_change_needs_no_password(world: World) -> None:
    """Changing only the name saves it as 'first last'."""
    user = world.service.update_profile(world.tenant, world.ann.id, first_name="Annie",
                                        last_name="O'Lee", email="ann@city.example",
                                        phone="202-555-0143")
    assert (user.name, user.email, user.phone) == ("Annie O'Lee", "ann@city.example",
                                                   "+12025550143")


def test_profile_email_change_needs_the_current_password(world: World) -> None:
    """A new email needs the right current password; a taken one is refused."""
    with pytest.raises(InvalidInputError) as wrong:
        world.service.update_profile(world.tenant, world.ann.id, first_name="Ann",
                                     last_name="Lee", email="ann@new.example",
                                     phone="+12025550143", current_password="wrong guess here")
    assert set(wrong.value.fields) == {"current_password"}
    with pytest.raises(InvalidInputError) as taken:
        world.service.update_profile(world.tenant, world.ann.id, first_name="Ann",
                                     last_name="Lee", email="mallory@evil.example",
                                     phone="+12025550143", current_password=PASSWORD)
    assert set(taken.value.fields) == {"email"}
    es = translator("es")
    assert es.error(wrong.value).fields == {
        "current_password": "La contraseña actual no es correcta."
    }
    assert es.error(taken.value).fields == {
        "email": "Esta dirección de correo no se puede usar. Elija otra."
    }
    user = world.service.update_profile(world.tenant, world.ann.id, first_name="Ann",
                                        last_name="Lee", email="Ann@New.example",
                                        phone="+12025550143", current_password=PASSWORD)
    assert user.email == "ann@new.example"


# Registration by proof -----------------------------------------------------------
def _claim(world: World, **changes: str) -> ClaimTicket:
    details = {"phone": "(202) 555-0199", "email": "bob@builder.EXAMPLE",
               "postal_code": "12345-6789"}
    details.update(changes)
    return world.registration.claim(world.tenant, client_key="ip:9.9.9.9", **details)


def test_claim_with_email_proof_then_password(world: World) -> None:
    """Match -> code to the address on file -> set password -> signed in, role granted."""
    service = world.rebuild(claim_role="customer")
    ticket = _claim(world)
    assert ticket.code_sent
    [message] = world.mailer.outbox
    assert message["To"] == "Bob@Builder.example"
    code = world.last_code("bob@builder.example")
    signed = world.registration.complete_claim(world.tenant, ticket.ticket,
                                    code=code, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    assert (signed.user.email, signed.user.phone) == ("bob@builder.example", "+12025550199")
    with world.storage.unit_of_work() as uow:
        grants = uow.grants.find(world.tenant.id, Eq("user_id", signed.user.id))
        events = uow.outbox.find(world.tenant.id, Eq("topic", "registration.completed"))
        created = uow.audit.find(world.tenant.id, Eq("action", "account.create"))
    assert [g.scope_id for g in grants] == [world.bob_record.organization_id]
    assert events[0].payload["customer_id"] == world.bob_record.id
    # the one account flow: the same audit entry as staff creation and invitations
    assert [(a.actor_user_id, a.target, a.detail["via"]) for a in created][-1:] == [
        (signed.user.id, f"user:{signed.user.id}", "registration")
    ]
    assert service.login(world.tenant, "2025550199", NEW_PASSWORD).user.id == signed.user.id


@pytest.mark.parametrize(
    "wrong",
    [{"email": "rob@builder.example"}, {"postal_code": "12346"}, {"phone": "202-555-0100"},
     {"postal_code": "K1A 0B1"}],
)
def test_any_wrong_part_is_one_generic_failure(world: World, wrong: dict[str, str]) -> None:
    """Wrong email, postal code or phone: the same error, and no mail."""
    with pytest.raises(AuthenticationError) as caught:
        _claim(world, **wrong)
    assert caught.value.message == CLAIM_FAILED
    assert world.mailer.outbox == []


@pytest.mark.parametrize(
    "change",
    [{"portal_enabled": False}, {"is_account": False}, {"contract_count": 0},
     {"postal_code": None}],
)
def test_ineligible_records_fail_alike(world: World, change: dict[str, object]) -> None:
    """Portal off, cash customer, no history, missing postal code: the generic failure."""
    with world.storage.unit_of_work() as uow:
        uow.customers.update(attrs.evolve(world.bob_record, **change))
        uow.commit()
    with pytest.raises(AuthenticationError) as caught:
        _claim(world)
    assert caught.value.message == CLAIM_FAILED


def test_malformed_claim_input_is_a_field_error(world: World) -> None:
    """Malformed phone, email and postal code are reported per field."""
    with pytest.raises(InvalidInputError) as caught:
        world.registration.claim(world.tenant, phone="12", email="x", postal_code="!")
    assert set(caught.value.fields) == {"phone", "email", "postal_code"}


def test_already_registered_looks_the_same_and_notifies_the_owner(world: World) -> None:
    """A record with a user gets a ticket like any other; its owner gets a notice."""
    first = _claim(world)
    code = world.last_code("bob@builder.example")
    world.registration.complete_claim(world.tenant, first.ticket, code=code,
                                 password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    again = _claim(world)
    assert type(again) is type(first)
    assert again.code_sent == first.code_sent
    notice = world.mailer.to("bob@builder.example")[-1]
    assert "already have a sign-in" in notice.get_body(("plain",)).get_content()
    with pytest.raises(InvalidTokenError):
        world.registration.complete_claim(world.tenant, again.ticket,
                                     code="000000", password=NEW_PASSWORD, confirmation=None)


def test_bare_match_mode(world: World) -> None:
    """With email proof off (seed 004), the ticket alone lets the customer set a password;
    the address on file is told that registration has started (no code, nobody else's data)."""
    world.rebuild(claim_email_proof=False)
    ticket = _claim(world)
    assert not ticket.code_sent
    [started] = world.mailer.outbox
    assert started["To"].addresses[0].addr_spec.lower() == "bob@builder.example"
    assert str(started["Subject"]).endswith("your registration has started")
    text = started.get_body(("plain",)).get_content()
    assert "choosing your password" in text
    assert not re.search(r"\b\d{6}\b", text)
    for detail in ("Bob", "12345", "555"):  # nothing from the record beyond its address
        assert detail not in text
    signed = world.registration.complete_claim(world.tenant, ticket.ticket,
                                    code=None, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    assert signed.user.email == "bob@builder.example"
    with pytest.raises(ConflictError):
        world.registration.complete_claim(world.tenant, ticket.ticket,
                               code=None, password=NEW_PASSWORD, confirmation=None)


def test_bare_match_claim_of_a_registered_record_tells_its_owner(world: World) -> None:
    """Email proof off: claiming a record that has a user answers as for a new one (a ticket
    that cannot create a second user) and queues the owner's notice, not the started one."""
    world.rebuild(claim_email_proof=False)
    first = _claim(world)
    world.registration.complete_claim(world.tenant, first.ticket, code=None,
                                      password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    again = _claim(world)
    assert type(again) is type(first)
    assert again.code_sent is first.code_sent is False
    assert [str(m["Subject"]).split(": ", 1)[1] for m in world.mailer.outbox] == [
        "your registration has started", "someone tried to register your account"]
    with pytest.raises(ConflictError):
        world.registration.complete_claim(world.tenant, again.ticket, code=None,
                                          password=NEW_PASSWORD, confirmation=None)


def test_a_claim_code_is_void_once_the_email_on_file_changes(world: World) -> None:
    """The emailed proof is bound to the address it was sent to: after the host changes
    the record's email, the code does not work; a new claim's code does."""
    ticket = _claim(world)
    code = world.last_code("bob@builder.example")
    with world.storage.unit_of_work() as uow:
        uow.customers.update(attrs.evolve(world.bob_record, email="bob@newmail.example"))
        uow.commit()
    with pytest.raises(InvalidTokenError):
        world.registration.complete_claim(world.tenant, ticket.ticket, code=code,
                                          password=NEW_PASSWORD, confirmation=None)
    fresh = _claim(world, email="bob@newmail.example")
    signed = world.registration.complete_claim(
        world.tenant, fresh.ticket, code=world.last_code("bob@newmail.example"),
        password=NEW_PASSWORD, confirmation=None)
    assert signed.user.email == "bob@newmail.example"


def test_claiming_again_does_not_void_an_earlier_code(world: World) -> None:
    """Each claim's code belongs to its ticket: a second claim leaves the first code working,
    and wrong guesses on one ticket do not lock another."""
    first = _claim(world)
    first_code = world.last_code("bob@builder.example")
    second = _claim(world)
    second_code = world.last_code("bob@builder.example")
    wrong = f"{(int(second_code) + 1) % 1_000_000:06d}"
    for _ in range(world.service.config.codes.max_attempts):
        with pytest.raises(InvalidTokenError):
            world.registration.complete_claim(world.tenant, second.ticket, code=wrong,
                                              password=NEW_PASSWORD, confirmation=None)
    with pytest.raises(ThrottledError):
        world.registration.complete_claim(world.tenant, second.ticket, code=second_code,
                                          password=NEW_PASSWORD, confirmation=None)
    signed = world.registration.complete_claim(world.tenant, first.ticket, code=first_code,
                                               password=NEW_PASSWORD, confirmation=None)
    assert signed.user.email == "bob@builder.example"


def test_ten_failed_claims_per_record_and_a_success_elsewhere_clears_nothing(
    world: World,
) -> None:
    """10 failures lock Bob's record for 24h; Cat's success does not clear Bob's counter."""
    from portalkit.domain.identity import ThrottleRule  # noqa: PLC0415

    world.rebuild(claim_client=ThrottleRule(limit=1000))
    for _ in range(10):
        with pytest.raises(AuthenticationError):
            _claim(world, postal_code="99999")
    world.registration.claim(world.tenant, phone="202-555-0177", email="cat@carter.example",
                  postal_code="k1a0b1", client_key="ip:9.9.9.9")
    with pytest.raises(ThrottledError) as caught:
        _claim(world)
    assert caught.value.retry_after == 24 * 3600


def test_one_clients_failed_claims_do_not_lock_the_record_for_another(world: World) -> None:
    """Ten failed claims from one client block that client on this number; the customer's
    correct claim from another client goes through, up to the number's overall limit."""
    world.rebuild(claim_record_global=ThrottleRule(limit=11, window=dt.timedelta(hours=24)))
    for _ in range(10):
        with pytest.raises(AuthenticationError):
            _claim(world, postal_code="99999")
    with pytest.raises(ThrottledError):
        _claim(world)
    details = {"phone": "202.555.0199", "email": "bob@builder.example", "postal_code": "12345"}
    assert world.registration.claim(world.tenant, client_key="ip:1.1.1.1", **details)
    with pytest.raises(AuthenticationError):
        world.registration.claim(world.tenant, client_key="ip:2.2.2.2",
                                 **{**details, "postal_code": "99999"})
    with pytest.raises(ThrottledError):
        world.registration.claim(world.tenant, client_key="ip:3.3.3.3", **details)


def test_claim_attempts_are_audited(world: World) -> None:
    """Every claim attempt leaves an audit entry with its outcome and client key."""
    with pytest.raises(AuthenticationError):
        _claim(world, postal_code="99999")
    _claim(world)
    with world.storage.unit_of_work() as uow:
        entries = uow.audit.find(world.tenant.id, Eq("action", "registration.claim"))
    assert [(e.outcome, e.client_key) for e in entries] == [
        ("failed", "ip:9.9.9.9"), ("success", "ip:9.9.9.9"),
    ]
    code = world.last_code("bob@builder.example")
    assert code not in repr(entries)


# Properties ----------------------------------------------------------------------
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=st.emails(), postal=st.from_regex(r"\A\d{5}\Z"))
def test_claim_never_succeeds_with_a_wrong_part(
    argon: Argon2idHasher, email: str, postal: str
) -> None:
    """Property: unless email and postal code both match the record, the claim fails."""
    world = make_world(MemoryStorage(), argon)
    world.rebuild(claim_record=world.service.config.claim_record,
                  claim_client=world.service.config.claim_client)
    right_email = email.lower() == "bob@builder.example"
    right_postal = postal == "12345"
    try:
        world.registration.claim(world.tenant, phone="2025550199", email=email, postal_code=postal)
    except (AuthenticationError, InvalidInputError):
        succeeded = False
    else:
        succeeded = True
    assert succeeded == (right_email and right_postal)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.from_regex(r"\A[a-z]{3,12}\Z"))
def test_unknown_and_known_accounts_answer_alike(argon: Argon2idHasher, name: str) -> None:
    """Property: a wrong password for a known user and any password for an unknown one
    give the same error and message after the same Argon2 work; reset requests alike."""
    world = make_world(MemoryStorage(), argon)
    outcomes = []
    for identifier in ("ann", f"{name}-unknown"):
        world.hasher.computations = 0
        with pytest.raises(AuthenticationError) as caught:
            world.service.login(world.tenant, identifier, "wrong horse battery staple")
        outcomes.append((type(caught.value), caught.value.message, world.hasher.computations))
    assert outcomes[0] == outcomes[1]
    known = world.service.request_password_reset(world.tenant, "ann@city.example")
    unknown = world.service.request_password_reset(world.tenant, f"{name}@nowhere.example")
    assert known == unknown


PHONE_SPELLINGS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}",
                   "{a}{b}{c}", "+1{a}{b}{c}", "1-{a}-{b}-{c}", " {a} {b} {c} ")


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spellings=st.lists(st.sampled_from(PHONE_SPELLINGS), min_size=11, max_size=12),
       email_cases=st.lists(st.booleans(), min_size=11, max_size=12))
def test_known_and_unknown_identifiers_are_throttled_alike(
    argon: Argon2idHasher, spellings: list[str], email_cases: list[bool]
) -> None:
    """Property: whatever spellings of a phone number (or capitalizations of an email) are
    tried, a registered and an unregistered one see the same answers in the same order:
    ten failures, then throttled for the same time; no spelling buys more guesses."""
    world = make_world(MemoryStorage(), argon)

    def answers(typed: list[str]) -> list[tuple[str, float]]:
        seen = []
        for text in typed:
            try:
                world.service.login(world.tenant, text, "wrong horse battery staple",
                                    client_key="ip:6.6.6.6")
            except ThrottledError as exc:
                seen.append(("throttled", exc.retry_after))
            except AuthenticationError:
                seen.append(("failed", 0.0))
        return seen

    known = answers([f.format(a="202", b="555", c="0143") for f in spellings])
    unknown = answers([f.format(a="202", b="555", c="0188") for f in spellings])
    assert known == unknown
    assert [kind for kind, _ in known] == ["failed"] * 10 + ["throttled"] * (len(spellings) - 10)
    emails = answers([("ANN@City.Example" if up else " ann@city.example") for up in email_cases])
    strangers = answers([("NOBODY@City.Example" if up else " nobody@city.example")
                         for up in email_cases])
    assert emails == strangers
    assert [kind for kind, _ in emails] == ["failed"] * 10 + ["throttled"] * (
        len(email_cases) - 10)


# Real SMTP -----------------------------------------------------------------------
def test_reset_code_travels_through_a_real_smtp_server(argon: Argon2idHasher) -> None:
    """The reset message reaches an SMTP server on loopback, with the code and no password."""
    from portalkit.adapters.smtp import SmtpMailer  # noqa: PLC0415
    from tests.smtp_fixtures import running_server  # noqa: PLC0415

    world = make_world(MemoryStorage(), argon)
    with running_server() as server, SmtpMailer(server.host, server.port, security="none",
                                                 timeout=5) as mailer:
        service = IdentityService(
            world.storage, hasher=world.hasher, throttle=world.throttle, mailer=mailer,
            clock=world.clock, secret_keys=KEYS, phones=PhonenumbersNormalizer(),
            config=IdentityConfig(),
        )
        service.request_password_reset(world.tenant, "ann@city.example")
    [message] = server.outbox.messages
    assert isinstance(message, EmailMessage)
    assert server.outbox.envelopes[0][1] == ["ann@city.example"]
    assert re.search(r"\b\d{6}\b", message.get_body(("plain",)).get_content())
    assert PASSWORD not in message.get_body(("plain",)).get_content()


# Concurrency on PostgreSQL -------------------------------------------------------
def _race(workers: int, work: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(workers)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except Exception as exc:  # collect every outcome
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_threads_claiming_one_record_one_wins(
    postgres_storage: Storage, argon: Argon2idHasher
) -> None:
    """20 threads completing one claim with the right code: exactly one user is created;
    the others are told it is registered already, or (counted in flight against the
    ticket's five attempts) to wait."""
    world = make_world(postgres_storage, argon)
    ticket = _claim(world)
    code = world.last_code("bob@builder.example")
    results = _race(20, lambda: world.registration.complete_claim(
        world.tenant, ticket.ticket, code=code,
        password=NEW_PASSWORD, confirmation=NEW_PASSWORD,
    ))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(type(r) in (ConflictError, ThrottledError) for r in results if r not in winners)
    with postgres_storage.unit_of_work() as uow:
        assert len(uow.users.find(world.tenant.id, Eq("email", "bob@builder.example"))) == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_threads_consuming_one_reset_code_one_wins(
    postgres_storage: Storage, argon: Argon2idHasher
) -> None:
    """20 threads resetting with one code: exactly one succeeds."""
    world = make_world(postgres_storage, argon)
    world.service.request_password_reset(world.tenant, "ann@city.example")
    code = world.last_code("ann@city.example")
    results = _race(20, lambda: world.service.reset_password(
        world.tenant, "ann@city.example", code, NEW_PASSWORD, NEW_PASSWORD
    ))
    assert results.count(None) == 1
    assert sum(isinstance(r, InvalidTokenError) for r in results) == 19


@pytest.mark.postgres
@pytest.mark.slow
def test_parallel_wrong_passwords_are_counted_exactly(
    postgres_storage: Storage, argon: Argon2idHasher
) -> None:
    """20 parallel wrong passwords for one account: 10 are tried, 10 throttled, count 10."""
    world = make_world(postgres_storage, argon)
    results = _race(20, lambda: world.service.login(world.tenant, "ann", "wrong horse battery"))
    assert sum(isinstance(r, AuthenticationError) for r in results) == 10
    assert sum(isinstance(r, ThrottledError) for r in results) == 10
    from portalkit._services.throttle import throttle_key  # noqa: PLC0415

    key = throttle_key("login", world.tenant.id, "acctc", "username:ann|-")
    assert world.throttle.state(key).failures == 10


def test_profile_can_use_the_strict_email_checker(world: World) -> None:
    """With the email-validator adapter, an address it refuses is a field error."""
    from portalkit.adapters.emails import EmailValidatorChecker  # noqa: PLC0415

    service = IdentityService(
        world.storage, hasher=world.hasher, throttle=world.throttle, mailer=world.mailer,
        clock=world.clock, secret_keys=KEYS, phones=PhonenumbersNormalizer(),
        emails=EmailValidatorChecker(),
    )
    with pytest.raises(InvalidInputError) as caught:
        service.update_profile(world.tenant, world.ann.id, first_name="Ann", last_name="Lee",
                               email="ann@city.local", phone="+12025550143",
                               current_password=PASSWORD)
    assert set(caught.value.fields) == {"email"}


@pytest.mark.postgres
@pytest.mark.slow
def test_parallel_wrong_claims_are_counted_exactly(
    postgres_storage: Storage, argon: Argon2idHasher
) -> None:
    """20 parallel wrong claims on one record: 10 fail, 10 are throttled, the count is 10."""
    world = make_world(postgres_storage, argon)
    results = _race(20, lambda: world.registration.claim(
        world.tenant, phone="202-555-0199", email="bob@builder.example", postal_code="99999",
    ))
    assert sum(isinstance(r, AuthenticationError) for r in results) == 10
    assert sum(isinstance(r, ThrottledError) for r in results) == 10
    from portalkit._services.throttle import throttle_key  # noqa: PLC0415

    key = throttle_key("claim", world.tenant.id, "acctc", "+12025550199|-")
    assert world.throttle.state(key).failures == 10


def test_set_password_checks_the_policy_and_rotates_the_stamp(world: World) -> None:
    """set_password (used by invitations) refuses weak passwords and ends old sessions."""
    session = world.service.login(world.tenant, "ann", PASSWORD).session
    with world.storage.unit_of_work() as uow:
        user = uow.users.get(world.tenant.id, world.ann.id)
        assert user is not None
        with pytest.raises(InvalidInputError) as weak:
            set_password(uow, world.tenant, user, "acme rentals 1", "acme rentals 1",
                         hasher=world.hasher, policy=world.service.password_policy)
        assert set(weak.value.fields) == {"password"}
        updated = set_password(uow, world.tenant, user, NEW_PASSWORD, NEW_PASSWORD,
                               hasher=world.hasher, policy=world.service.password_policy)
        uow.commit()
    assert updated.security_stamp != user.security_stamp
    assert updated.password_hash != user.password_hash
    with pytest.raises(InvalidTokenError):
        world.service.authenticate(world.tenant, session)
    assert world.service.login(world.tenant, "ann", NEW_PASSWORD)


class _QuickHasher:
    """A salted SHA-256 hasher for the claim race: 1000 Argon2 hashes would be the whole
    runtime, and the race under test is in storage, not in hashing."""

    def hash(self, password: str) -> str:
        """A salted digest."""
        salt = secrets.token_hex(8)
        return f"q${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    def verify(self, encoded: str, password: str) -> bool:
        """Whether *password* gives *encoded*."""
        _, salt, digest = encoded.split("$")
        return hashlib.sha256((salt + password).encode()).hexdigest() == digest

    def verify_dummy(self, password: str) -> bool:
        """Never matches."""
        return False

    def needs_rehash(self, encoded: str) -> bool:
        """Never."""
        return False


class _CodeMailer:
    """Keeps the code of every message (racing claimants each find the one of their ticket)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.codes: list[str] = []

    def send(self, message: EmailMessage) -> None:
        """Remember the code in *message*."""
        match = re.search(r"\b(\d{6})\b", message.get_body(("plain",)).get_content())
        assert match
        with self._lock:
            self.codes.append(match[1])

    def code_for(
        self, registration: RegistrationService, tenant: Tenant, found: CustomerRecord,
        ticket: str,
    ) -> str:
        """The mailed code that belongs to *ticket* (its digest is in the ticket)."""
        digest = read_signed_values(registration._ticket_keys, "claim", ticket)[3]
        return next(c for c in self.codes
                    if registration._proof_digest(tenant, found, c) == digest)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "rounds"), [("sqlite", 10), pytest.param("postgres", 50, marks=pytest.mark.postgres)]
)
def test_a_burst_of_correct_claims_creates_exactly_one_account(
    request: pytest.FixtureRequest, argon: Argon2idHasher, kind: str, rounds: int
) -> None:
    """20 clients each claiming one record, then (once all codes are out) completing with
    their own emailed code, over and over: every round creates exactly one user; the others
    get ConflictError (already registered), never an untyped error and never zero accounts."""
    storage: Storage = request.getfixturevalue(f"{kind}_storage")
    world = make_world(storage, argon)
    mailer = _CodeMailer()
    # The queue is drained once every claim is in (the barrier's action): a
    # thread's code may be sent by any drain, so each finds its own by its ticket.
    registration = RegistrationService(IdentityService(
        storage, hasher=_QuickHasher(), throttle=world.throttle, mailer=mailer, clock=world.clock,
        secret_keys=KEYS, phones=PhonenumbersNormalizer(), mail_delivery="worker",
    ))
    suffixes = [n for n in range(100) if n not in (43, 77, 99)][:rounds]
    for n in suffixes:
        with storage.unit_of_work() as uow:
            customer = uow.customers.add(attrs.evolve(
                world.bob_record, id=0, external_key=f"R{n}", phone=f"20255501{n:02d}",
                email=f"buyer{n}@example.com",
            ))
            uow.commit()

        claimed = threading.Barrier(20, action=registration._mail_queue.deliver_pending)

        def claim_and_complete(
            customer: CustomerRecord = customer, claimed: threading.Barrier = claimed
        ) -> object:
            client = f"ip:{customer.id}.{threading.get_ident()}"
            try:
                ticket = registration.claim(world.tenant, phone=customer.phone or "",
                                            email=customer.email or "", postal_code="12345",
                                            client_key=client)
            finally:
                claimed.wait(timeout=60)  # every code is out before anyone completes
            return registration.complete_claim(
                world.tenant, ticket.ticket,
                code=mailer.code_for(registration, world.tenant, customer, ticket.ticket),
                password=NEW_PASSWORD, confirmation=None, client_key=client,
            )

        results = _race(20, claim_and_complete)
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(results) - len(losers) == 1, losers[:3]
        assert all(type(r) is ConflictError for r in losers), losers[:3]
        with storage.unit_of_work() as uow:
            assert uow.users.count(world.tenant.id, Eq("email", customer.email)) == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_sign_ins_of_one_user_all_succeed(
    request: pytest.FixtureRequest, argon: Argon2idHasher, kind: str
) -> None:
    """20 simultaneous correct sign-ins of one user from 20 clients (each resetting the
    account's counters while others count on them), five rounds: all succeed."""
    storage: Storage = request.getfixturevalue(f"{kind}_storage")
    world = make_world(storage, argon)
    for _ in range(5):
        results = _race(20, lambda: world.service.login(
            world.tenant, "ann", PASSWORD, client_key=f"ip:{threading.get_ident()}"))
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, errors[:3]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_first_reset_requests_store_one_code(
    request: pytest.FixtureRequest, argon: Argon2idHasher, kind: str
) -> None:
    """Five reset requests for one address at once (the hourly limit), when it has no
    code yet: all answer normally (an insert that loses renews the winner's row), and
    exactly one of the five mailed codes, the stored one, sets the password."""
    storage: Storage = request.getfixturevalue(f"{kind}_storage")
    world = make_world(storage, argon)
    results = _race(5, lambda: world.service.request_password_reset(
        world.tenant, "ann@city.example"))
    assert results == [None] * 5, [repr(r) for r in results if r is not None][:2]
    mails = world.mailer.to("ann@city.example")
    assert len(mails) == 5
    sent = [re.findall(r"\b\d{6}\b", m.get_body(("plain",)).get_content())[0] for m in mails]
    worked = []
    for code in sent:  # four wrong guesses at most: below the code's limit of five
        try:
            world.service.reset_password(
                world.tenant, "ann@city.example", code, NEW_PASSWORD, NEW_PASSWORD
            )
        except InvalidTokenError:
            continue
        worked.append(code)
    assert len(worked) == 1
