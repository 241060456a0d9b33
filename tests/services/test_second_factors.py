"""Second factors through the request API: TOTP, recovery codes, sign-in in two steps.

Every test runs on memory, SQLite and (marked ``postgres``) PostgreSQL
storage, with a manual clock and the real pyotp, segno and AES-GCM adapters.
Codes are computed in the test from the enrolled secret with pyotp, as an
authenticator app would.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import attrs
import pyotp
import pytest

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.identity import CodePurpose
from portalkit.domain.tenants import MfaPolicy
from portalkit.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
    SecondFactorRequired,
    ThrottledError,
)
from portalkit.ports import Storage

SECRET = "second-factor-test-secret-key-0123456789"
PASSWORD = "harbour-lantern-violet-42"
ANN = "ann@city.example"
BOB = "bob@city.example"
STAFF = "sam@acme.example"
CLIENT = "203.0.113.9"
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
T0 = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.timezone.utc)


@attrs.define
class World:
    """A portal whose tenant "acme" has Ann and Bob (customers) and Sam (staff)."""

    portal: portalkit.Portal
    storage: Storage
    clock: ManualClock
    mailer: MemoryMailer
    secret_keys: list[str]

    def policy(self, mfa: MfaPolicy, slug: str = "acme") -> None:
        with self.portal.admin(slug) as admin:
            admin.update_settings(mfa=mfa)

    def sign_in(self, email: str = ANN) -> str:
        """A full session (the user must not be asked for a second factor)."""
        with self.portal.request("acme", client=CLIENT) as req:
            req.sign_in(email, PASSWORD)
            assert req.new_session is not None
            return req.new_session

    def pending(self, email: str = ANN) -> SecondFactorRequired:
        """The pending sign-in of a right password (which must ask for a second factor)."""
        with self.portal.request("acme", client=CLIENT) as req:
            with pytest.raises(SecondFactorRequired) as asked:
                req.sign_in(email, PASSWORD)
            assert req.new_session is None
            assert req.user is None
        return asked.value

    def enrol(self, email: str = ANN) -> tuple[pyotp.TOTP, tuple[str, ...]]:
        """Enrol an authenticator app for *email*; its TOTP and recovery codes."""
        cookie = self.sign_in(email)
        with self.portal.request("acme", session=cookie, client=CLIENT) as req:
            enrolment = req.second_factors.begin_totp()
            totp = pyotp.TOTP(enrolment.secret)
            enabled = req.second_factors.confirm_totp(totp.at(self.clock.now()))
        self.clock.advance(seconds=60)  # past the enrolment code's step, which is used
        return totp, enabled.recovery_codes.codes

    def complete(self, pending: str, code: str) -> str:
        """Finish a sign-in; an error is caught inside the request, as a page does,
        so what the request wrote about the failure (audit, counts) commits."""
        failure: PortalkitError | None = None
        with self.portal.request("acme", client=CLIENT) as req:
            try:
                req.second_factors.complete_sign_in(pending, code)
            except PortalkitError as exc:
                failure = exc
            else:
                assert req.user is not None
                assert req.new_session is not None
                return req.new_session
        raise failure

    def user_id(self, email: str = ANN) -> int:
        with self.storage.unit_of_work(read_only=True) as uow:
            user = uow.users.get_by_email(self.portal.tenant("acme").id, email)
        assert user is not None
        return user.id

    def audit(self, action: str) -> list[str]:
        """The outcomes of *action* in acme's audit trail, oldest first."""
        tenant = self.portal.tenant("acme")
        return [e.outcome for e in reversed(self.portal.audit.entries(tenant.id))
                if e.action == action]

    def subjects(self, email: str = ANN) -> list[str]:
        return [str(m["Subject"]) for m in self.mailer.to(email)]

    def signed_in(self, cookie: str) -> bool:
        with self.portal.request("acme", session=cookie) as req:
            return req.signed_in


def _portal(world_storage: Storage, clock: ManualClock, mailer: MemoryMailer,
            keys: list[str]) -> portalkit.Portal:
    return portalkit.Portal(
        world_storage, secret_key=keys, clock=clock,
        config=portalkit.PortalConfig(hasher=FAST_HASHER, mailer=mailer),
    )


STORAGES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORAGES)
def world(request: pytest.FixtureRequest) -> World:
    """The world on each storage adapter, MFA optional."""
    return make_world(request)


def make_world(request: pytest.FixtureRequest) -> World:
    """The world on the storage named by ``request.param``."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    clock, mailer = ManualClock(T0), MemoryMailer()
    portal = _portal(storage, clock, mailer, [SECRET])
    portal.create_tenant("acme", "Acme")
    portal.create_tenant("other", "Other")
    with portal.admin("acme") as admin:
        for email, name, staff in ((ANN, "Ann Lee", False), (BOB, "Bob Roe", False),
                                   (STAFF, "Sam Poe", True)):
            user = admin.create_user(email, name, is_staff=staff)
            admin.set_password(user, PASSWORD)
        admin.update_settings(mfa=MfaPolicy.OPTIONAL)
    return World(portal=portal, storage=storage, clock=clock, mailer=mailer,
                 secret_keys=[SECRET])


# Enrolment ------------------------------------------------------------------------
def test_enrolment_shows_secret_uri_and_svg_and_is_confirmed_by_a_code(world: World) -> None:
    """Text secret, otpauth URI, inline SVG; a wrong code confirms nothing, a right one does."""
    cookie = world.sign_in()
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        enrolment = req.second_factors.begin_totp()
        assert enrolment.uri.startswith("otpauth://totp/Acme:ann%40city.example?")
        assert f"secret={enrolment.secret}" in enrolment.uri
        assert enrolment.qr_svg.startswith("<svg")
        assert "<?xml" not in enrolment.qr_svg
        assert enrolment.secret not in repr(enrolment)
        totp = pyotp.TOTP(enrolment.secret)
        wrong = f"{(int(totp.at(world.clock.now())) + 1) % 10**6:06d}"
        with pytest.raises(InvalidInputError) as refused:
            req.second_factors.confirm_totp(wrong)
        assert set(refused.value.fields) == {"code"}
        assert not req.second_factors.status().totp
        enabled = req.second_factors.confirm_totp(totp.at(world.clock.now()))
        assert req.second_factors.status().totp
        assert req.new_session == enabled.sign_in.session
    codes = enabled.recovery_codes.codes
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 29 and code.count("-") == 4 for code in codes)
    assert enabled.recovery_codes.as_text().splitlines() == list(codes)
    assert world.audit("mfa.enrol") == ["failed", "success"]
    assert world.subjects() == ["Customer Portal: authenticator app added"]


def test_enrolling_ends_the_other_sessions(world: World) -> None:
    """Another browser's session ends; this browser goes on with a new session."""
    other_browser = world.sign_in()
    this_browser = world.sign_in()
    with world.portal.request("acme", session=this_browser, client=CLIENT) as req:
        totp = pyotp.TOTP(req.second_factors.begin_totp().secret)
        req.second_factors.confirm_totp(totp.at(world.clock.now()))
        fresh = req.new_session
    assert fresh is not None
    assert not world.signed_in(other_browser)
    assert not world.signed_in(this_browser)
    assert world.signed_in(fresh)


def test_the_secret_is_sealed_at_rest_and_survives_key_rotation(world: World) -> None:
    """The stored secret is AES-GCM ciphertext; a portal with a new key first still reads it."""
    totp, _ = world.enrol()
    with world.storage.unit_of_work(read_only=True) as uow:
        factor = uow.second_factors.totp(world.portal.tenant("acme").id, world.user_id())
    assert factor is not None
    assert factor.secret.startswith("v1:")
    assert totp.secret not in factor.secret
    rotated = _portal(world.storage, world.clock, world.mailer, ["new-key-" * 5, SECRET])
    with rotated.request("acme", client=CLIENT) as req:
        with pytest.raises(SecondFactorRequired) as asked:
            req.sign_in(ANN, PASSWORD)
        req.second_factors.complete_sign_in(asked.value.pending, totp.at(world.clock.now()))
        assert req.signed_in


def test_enrolment_refused_when_off_not_started_or_signed_out(world: World) -> None:
    """Confirm before begin: NotFound; policy off: PermissionDenied; nobody: AuthenticationError."""
    cookie = world.sign_in(BOB)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req, pytest.raises(
        NotFoundError
    ):
        req.second_factors.confirm_totp("123456")
    world.policy(MfaPolicy.OFF)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req, pytest.raises(
        PermissionDeniedError
    ):
        req.second_factors.begin_totp()
    with world.portal.request("acme", client=CLIENT) as req, pytest.raises(AuthenticationError):
        req.second_factors.begin_totp()


def test_a_second_app_is_a_conflict(world: World) -> None:
    """A user with a confirmed app cannot begin another without removing it."""
    totp, _ = world.enrol()
    cookie = world.complete(world.pending().pending, totp.at(world.clock.now()))
    with world.portal.request("acme", session=cookie, client=CLIENT) as req, pytest.raises(
        ConflictError
    ):
        req.second_factors.begin_totp()


# Signing in ---------------------------------------------------------------------
def test_sign_in_asks_for_the_second_factor_and_creates_no_session(world: World) -> None:
    """A right password gives a pending state, not a session; the code finishes it."""
    totp, _ = world.enrol()
    asked = world.pending()
    assert not asked.enrol_only
    assert asked.expires_at == world.clock.now() + dt.timedelta(minutes=5)
    tenant = world.portal.tenant("acme")
    assert world.portal.identity.sessions(tenant, world.user_id()) != []  # enrolment's own
    before = len(world.portal.identity.sessions(tenant, world.user_id()))
    assert not world.signed_in(asked.pending)
    cookie = world.complete(asked.pending, totp.at(world.clock.now()))
    assert world.signed_in(cookie)
    assert len(world.portal.identity.sessions(tenant, world.user_id())) == before + 1
    assert world.audit("login")[-1] == "second_factor"
    assert world.audit("mfa.verify") == ["success"]


def test_users_without_a_factor_sign_in_with_the_password_alone(world: World) -> None:
    """Optional policy: Bob, who never enrolled, gets a session at once."""
    world.enrol()
    assert world.signed_in(world.sign_in(BOB))


@pytest.mark.parametrize("steps", [-1, 1])
def test_one_step_either_side_is_accepted(world: World, steps: int) -> None:
    """Clock drift of one 30-second step either way is tolerated."""
    totp, _ = world.enrol()
    code = totp.at(world.clock.now() + dt.timedelta(seconds=30 * steps))
    assert world.signed_in(world.complete(world.pending().pending, code))


@pytest.mark.parametrize("steps", [-2, 2])
def test_two_steps_away_is_refused(world: World, steps: int) -> None:
    """A code two steps old or ahead is wrong."""
    totp, _ = world.enrol()
    world.clock.advance(minutes=2)
    code = totp.at(world.clock.now() + dt.timedelta(seconds=30 * steps))
    with pytest.raises(InvalidInputError):
        world.complete(world.pending().pending, code)


def test_a_code_is_accepted_once(world: World) -> None:
    """Replay: the same code in its window is refused on the next sign-in, and counted."""
    totp, _ = world.enrol()
    code = totp.at(world.clock.now())
    world.complete(world.pending().pending, code)
    second = world.pending()
    with pytest.raises(InvalidInputError):
        world.complete(second.pending, code)
    assert world.audit("mfa.verify") == ["success", "failed"]
    # An earlier step than the one used is refused as well.
    with pytest.raises(InvalidInputError):
        world.complete(second.pending, totp.at(world.clock.now() - dt.timedelta(seconds=30)))
    world.clock.advance(seconds=30)
    world.complete(second.pending, totp.at(world.clock.now()))


FULLWIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", FULLWIDTH_DIGITS, "x" * 500])
def test_malformed_codes_are_a_typed_error_and_counted(world: World, code: str) -> None:
    """Malformed input: InvalidInputError on ``code``; nothing changes; the failure counts."""
    world.enrol()
    asked = world.pending()
    with pytest.raises(InvalidInputError) as refused:
        world.complete(asked.pending, code)
    assert set(refused.value.fields) == {"code"}
    assert world.audit("mfa.verify") == ["failed"]
    with world.storage.unit_of_work(read_only=True) as uow:
        pending = uow.codes.get_for(world.portal.tenant("acme").id, CodePurpose.SECOND_FACTOR,
                                    world.user_id())
    assert pending is not None
    assert pending.failed_attempts == 1
    assert pending.used_at is None


def test_a_code_that_is_not_text_is_a_typed_error(world: World) -> None:
    """Hostile: a code of the wrong type never reaches the service as such."""
    world.enrol()
    asked = world.pending()
    with world.portal.request("acme", client=CLIENT) as req, pytest.raises(InvalidInputError):
        req.second_factors.complete_sign_in(asked.pending, 123456)  # type: ignore[arg-type]


def test_the_pending_state_expires_after_five_minutes(world: World) -> None:
    """An expired pending state: InvalidTokenError, even with a right code; nothing used."""
    totp, _ = world.enrol()
    asked = world.pending()
    world.clock.advance(minutes=5, seconds=1)
    with pytest.raises(InvalidTokenError):
        world.complete(asked.pending, totp.at(world.clock.now()))
    with world.storage.unit_of_work(read_only=True) as uow:
        factor = uow.second_factors.totp(world.portal.tenant("acme").id, world.user_id())
    assert factor is not None
    # The code's step was not used: a fresh sign-in accepts it.
    world.complete(world.pending().pending, totp.at(world.clock.now()))


def test_the_pending_state_is_single_use(world: World) -> None:
    """A finished pending state cannot finish another sign-in."""
    totp, _ = world.enrol()
    asked = world.pending()
    world.complete(asked.pending, totp.at(world.clock.now()))
    world.clock.advance(seconds=30)
    with pytest.raises(InvalidTokenError):
        world.complete(asked.pending, totp.at(world.clock.now()))


def test_another_users_pending_state_is_refused(world: World) -> None:
    """Hostile: Bob's pending proof under Ann's id, or Ann's code on Bob's state, is refused."""
    ann_totp, _ = world.enrol()
    world.enrol(BOB)
    ann, bob = world.pending(), world.pending(BOB)
    forged = f"{world.user_id()}.{bob.pending.partition('.')[2]}"
    with pytest.raises(InvalidTokenError):
        world.complete(forged, ann_totp.at(world.clock.now()))
    with pytest.raises(InvalidInputError):
        world.complete(bob.pending, ann_totp.at(world.clock.now()))
    with world.portal.request("other", client=CLIENT) as req, pytest.raises(InvalidTokenError):
        req.second_factors.complete_sign_in(ann.pending, ann_totp.at(world.clock.now()))
    for garbage in ("", "x", "1.", ".abc", "99999999.abc", "1" * 200):
        with pytest.raises(InvalidTokenError):
            world.complete(garbage, ann_totp.at(world.clock.now()))
    world.complete(ann.pending, ann_totp.at(world.clock.now()))


def test_the_pending_state_is_bound_to_the_security_stamp(world: World) -> None:
    """"Sign out everywhere" (a stamp rotation) voids a pending sign-in."""
    totp, _ = world.enrol()
    asked = world.pending()
    tenant = world.portal.tenant("acme")
    world.portal.identity.sign_out_everywhere(tenant, world.user_id())
    with pytest.raises(InvalidTokenError):
        world.complete(asked.pending, totp.at(world.clock.now()))


def test_wrong_codes_lock_the_pending_state(world: World) -> None:
    """After five wrong codes the pending state ends: the password must be given again."""
    totp, _ = world.enrol()
    asked = world.pending()
    for _ in range(5):
        with pytest.raises(InvalidInputError):
            world.complete(asked.pending, "000000")
    with pytest.raises(InvalidTokenError):
        world.complete(asked.pending, totp.at(world.clock.now()))
    world.complete(world.pending().pending, totp.at(world.clock.now()))


def test_second_factor_checks_are_throttled_per_user_and_client(world: World) -> None:
    """Ten wrong codes from one client block the next check, right or not."""
    totp, _ = world.enrol()
    for _ in range(2):
        asked = world.pending()
        for _ in range(5):
            with pytest.raises(InvalidInputError):
                world.complete(asked.pending, "000000")
    asked = world.pending()
    with pytest.raises(ThrottledError):
        world.complete(asked.pending, totp.at(world.clock.now()))
    assert world.audit("mfa.verify")[-1] == "throttled"
    with world.portal.request("acme", client="198.51.100.7") as req:
        req.second_factors.complete_sign_in(asked.pending, totp.at(world.clock.now()))
        assert req.signed_in


# Recovery codes ------------------------------------------------------------------
def test_a_recovery_code_signs_in_once_is_audited_and_mailed(world: World) -> None:
    """Any spelling of a recovery code works once; the user is told; a second use fails."""
    _, codes = world.enrol()
    world.complete(world.pending().pending, f"  {codes[3].upper().replace('-', ' ')} ")
    assert world.audit("mfa.recovery_code") == ["success"]
    assert world.subjects()[-1].endswith("a recovery code was used")
    body = world.mailer.to(ANN)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "9 recovery codes are left" in body
    asked = world.pending()
    with pytest.raises(InvalidInputError):
        world.complete(asked.pending, codes[3])
    cookie = world.complete(asked.pending, codes[4])
    with world.portal.request("acme", session=cookie) as req:
        assert req.second_factors.status().recovery_codes_left == 8


def test_regenerating_voids_the_old_set(world: World) -> None:
    """A new set works; every code of the old set stops working."""
    totp, old = world.enrol()
    cookie = world.complete(world.pending().pending, totp.at(world.clock.now()))
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        new = req.second_factors.regenerate_recovery_codes().codes
    assert not set(new) & set(old)
    assert world.audit("mfa.recovery_codes") == ["success"]
    asked = world.pending()
    with pytest.raises(InvalidInputError):
        world.complete(asked.pending, old[0])
    world.complete(asked.pending, new[0])


def test_regenerating_without_an_app_is_not_found(world: World) -> None:
    """Bob has no app, so no recovery codes to make."""
    cookie = world.sign_in(BOB)
    with world.portal.request("acme", session=cookie) as req, pytest.raises(NotFoundError):
        req.second_factors.regenerate_recovery_codes()


# Removing ------------------------------------------------------------------------
def test_removing_needs_a_code_ends_other_sessions_and_mails(world: World) -> None:
    """A wrong code removes nothing; a right one removes the app and the recovery codes."""
    totp, codes = world.enrol()
    cookie = world.complete(world.pending().pending, totp.at(world.clock.now()))
    world.clock.advance(seconds=30)
    other = world.complete(world.pending().pending, totp.at(world.clock.now()))
    world.clock.advance(seconds=30)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        with pytest.raises(InvalidInputError):
            req.second_factors.remove_totp("000000")
        assert req.second_factors.status().totp
        req.second_factors.remove_totp(totp.at(world.clock.now()))
        assert not req.second_factors.status().totp
        assert req.second_factors.status().recovery_codes_left == 0
    assert not world.signed_in(other)
    assert world.audit("mfa.remove") == ["failed", "success"]
    assert world.subjects()[-1].endswith("authenticator app removed")
    assert world.signed_in(world.sign_in())  # the password alone again
    del codes


# Policy ---------------------------------------------------------------------------
def test_policy_off_ignores_an_enrolled_app(world: World) -> None:
    """With MFA off a user who enrolled signs in with the password alone."""
    world.enrol()
    world.policy(MfaPolicy.OFF)
    assert world.signed_in(world.sign_in())


def test_required_for_staff_sends_staff_through_enrolment(world: World) -> None:
    """Staff without an app get an enrol-only state; customers sign in as before."""
    world.policy(MfaPolicy.STAFF)
    assert world.signed_in(world.sign_in(ANN))
    asked = world.pending(STAFF)
    assert asked.enrol_only
    # An enrol-only state cannot sign in.
    with world.portal.request("acme", client=CLIENT) as req, pytest.raises(InvalidTokenError):
        req.second_factors.complete_sign_in(asked.pending, "123456")
    with world.portal.request("acme", client=CLIENT) as req:
        enrolment = req.second_factors.begin_enrolment(asked.pending)
        totp = pyotp.TOTP(enrolment.secret)
        with pytest.raises(InvalidInputError):
            req.second_factors.confirm_enrolment(asked.pending, "000000")
        enabled = req.second_factors.confirm_enrolment(asked.pending, totp.at(world.clock.now()))
        assert req.signed_in
        assert len(enabled.recovery_codes.codes) == 10
    with world.portal.request("acme", client=CLIENT) as req, pytest.raises(InvalidTokenError):
        req.second_factors.begin_enrolment(asked.pending)  # used
    world.clock.advance(seconds=30)
    again = world.pending(STAFF)
    assert not again.enrol_only
    world.complete(again.pending, totp.at(world.clock.now()))


def test_required_for_everyone(world: World) -> None:
    """Everyone without an app must enrol; the enrol-only state expires like the other."""
    world.policy(MfaPolicy.EVERYONE)
    asked = world.pending(BOB)
    assert asked.enrol_only
    world.clock.advance(minutes=6)
    with world.portal.request("acme", client=CLIENT) as req, pytest.raises(InvalidTokenError):
        req.second_factors.begin_enrolment(asked.pending)


def test_a_signed_in_request_may_not_use_another_users_state(world: World) -> None:
    """Signed in as Bob, Ann's pending state still only signs in Ann (never mixes users)."""
    totp, _ = world.enrol()
    asked = world.pending()
    bob = world.sign_in(BOB)
    with world.portal.request("acme", session=bob, client=CLIENT) as req:
        req.second_factors.complete_sign_in(asked.pending, totp.at(world.clock.now()))
        assert req.user is not None
        assert req.user.email == ANN
    assert not world.signed_in(bob)  # the browser's old session ended on the server


def test_a_password_reset_does_not_bypass_the_second_factor(world: World) -> None:
    """After a reset by emailed code, the new password still needs the second factor."""
    totp, _ = world.enrol()
    with world.portal.request("acme", client=CLIENT) as req:
        req.password_reset.request(ANN)
    mail = world.mailer.to(ANN)[-1].get_body(("plain",))
    assert mail is not None
    code = re.search(r"\b(\d{6})\b", mail.get_content())
    assert code is not None
    new_password = PASSWORD + "-renewed"
    with world.portal.request("acme", client=CLIENT) as req:
        req.password_reset.complete(ANN, code.group(1), new_password, new_password)
    with world.portal.request("acme", client=CLIENT) as req:
        with pytest.raises(SecondFactorRequired) as asked:
            req.sign_in(ANN, new_password)
        assert not req.signed_in
        req.second_factors.complete_sign_in(asked.value.pending, totp.at(world.clock.now()))
        assert req.signed_in


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_threads_with_one_code_sign_in_once(postgres_storage: Storage) -> None:
    """One pending sign-in and one code, ten requests at once: exactly one session."""
    clock, mailer = ManualClock(T0), MemoryMailer()
    portal = _portal(postgres_storage, clock, mailer, [SECRET])
    portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        admin.set_password(admin.create_user(ANN, "Ann Lee"), PASSWORD)
        admin.update_settings(mfa=MfaPolicy.OPTIONAL)
    world = World(portal=portal, storage=postgres_storage, clock=clock, mailer=mailer,
                  secret_keys=[SECRET])
    totp, _ = world.enrol()
    asked = world.pending()
    code = totp.at(clock.now())
    tenant = portal.tenant("acme")
    barrier = threading.Barrier(10)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = portal.second_factors.complete_sign_in(
                tenant, asked.pending, code, client_key=CLIENT
            )
        except Exception as exc:  # every outcome is collected
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, (InvalidInputError, InvalidTokenError)) for r in results
               if r not in winners), results
    before = len(portal.identity.sessions(tenant, world.user_id()))
    assert before == 2  # the enrolment's and the one winner's


def test_staff_reset_for_a_user_who_lost_every_factor(world: World) -> None:
    """Staff remove the factors with a reason: audited, mailed, sessions end, password alone."""
    world.enrol()
    cookie = world.sign_in(BOB)
    tenant = world.portal.tenant("acme")
    staff = world.user_id(STAFF)
    with pytest.raises(InvalidInputError):
        world.portal.second_factors.staff_reset(tenant, world.user_id(), staff_user_id=staff,
                                                reason="  ")
    pending = world.pending()
    world.portal.second_factors.staff_reset(
        tenant, world.user_id(), staff_user_id=staff, reason="Called back on the number on file"
    )
    [entry] = [e for e in world.portal.audit.entries(tenant.id) if e.action == "mfa.reset"]
    assert entry.actor_user_id == staff
    assert entry.detail["reason"] == "Called back on the number on file"
    assert world.subjects()[-1].endswith("authenticator app removed")
    with pytest.raises(InvalidTokenError):  # the pending sign-in ended with the stamp
        world.complete(pending.pending, "123456")
    assert world.signed_in(world.sign_in())
    assert world.signed_in(cookie)  # Bob is untouched


def test_registration_under_everyone_enrols_before_any_session(argon_fast: Argon2idHasher) -> None:
    """A customer who registers by proof on an "everyone" tenant gets an enrol-only state."""
    from tests.services import test_identity as identity  # noqa: PLC0415

    world = identity.make_world(MemoryStorage(), argon_fast)
    tenant = attrs.evolve(world.tenant, settings=attrs.evolve(world.tenant.settings,
                                                              mfa=MfaPolicy.EVERYONE))
    ticket = world.registration.claim(tenant, client_key="ip:9.9.9.9", phone="(202) 555-0199",
                                      email="bob@builder.EXAMPLE", postal_code="12345-6789")
    code = world.last_code("bob@builder.example")
    with pytest.raises(SecondFactorRequired) as asked:
        world.registration.complete_claim(tenant, ticket.ticket, code=code,
                                          password=identity.NEW_PASSWORD,
                                          confirmation=identity.NEW_PASSWORD)
    assert asked.value.enrol_only
    with world.storage.unit_of_work(read_only=True) as uow:
        user = uow.users.get_by_email(tenant.id, "bob@builder.example")
        assert user is not None
        assert uow.sessions.for_user(tenant.id, user.id) == []


@pytest.fixture(scope="module")
def argon_fast() -> Argon2idHasher:
    """A fast hasher for the identity world."""
    return FAST_HASHER
