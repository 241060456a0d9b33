"""Enumeration by timing (issue 20, finding 2): the answer's time tells nothing.

For each request path whose answer is the same for two hidden cases, the
two cases are timed interleaved (``ROUNDS`` pairs, each pair in random order,
after a warm-up) through the public API, on SQLite in memory (the thread's
CPU time: the whole request runs in it, and a shared machine's other load
does not count) and on PostgreSQL (wall-clock time), and both must hold:

* the medians differ by less than 5 %;
* a two-sided Mann-Whitney U test does not tell the samples apart
  (p > 0.01), by the normal approximation with tie correction (no scipy).

The paths: a password reset request for a known and an unknown address; a
registration claim (phone, email, postal code) of a record that has a user
(its owner is told) and of one that has none (the claimant gets the code,
or with email proof off, a notice that registration has started);
an invitation acceptance for an address that has a passwordless user (set
by staff) and for a new one. Mail is queued in the ``"worker"`` mode and
sent after the measurement, so the timings are the requests' own; a fast
password hasher keeps Argon2 from hiding any difference in the acceptance.

The measurement is sensitive: a reset request that skipped queuing the
unknown address's message (one INSERT) measured 17-22 % faster, p < 0.001.
Run with ``-s`` to see the figures. A true null fails the U test 1 % of the
time, and the machine is shared; a path that fails is measured once more
(both measurements failing is what counts), which keeps false alarms rare
without hiding a real difference: a real one fails both.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import secrets
import statistics
import time
from collections.abc import Callable, Iterator

import attrs
import pytest

from portalkit import IdentityConfig, Portal, PortalConfig, perms
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.records import CustomerRecord
from portalkit.domain.tenants import TenantSettings

pytestmark = pytest.mark.slow

SECRET = "timing-enumeration-secret-key-0123456789-abcdef"
#: Timed requests per case and path (each path: twice this, interleaved).
ROUNDS = 220
#: Untimed requests per case first (caches, compiled statements).
WARM_UP = 20
PASSWORD = "a long enough passphrase for the portal"
MEDIAN_GAP = 0.05
P_FLOOR = 0.01
GENEROUS = ThrottleRule(limit=1_000_000, window=ThrottleRule().window)


class _FastHasher:
    """A salted SHA-256 stand-in for Argon2, so hashing time does not drown a difference."""

    def hash(self, password: str) -> str:
        """A salted digest."""
        salt = secrets.token_hex(8)
        return f"q${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    def verify(self, encoded: str, password: str) -> bool:
        """Whether *password* gives *encoded*."""
        _, salt, digest = encoded.split("$")
        return secrets.compare_digest(
            hashlib.sha256((salt + password).encode()).hexdigest(), digest
        )

    def verify_dummy(self, password: str) -> bool:
        """Never matches."""
        return False

    def needs_rehash(self, encoded: str) -> bool:
        """Never."""
        return False


def mann_whitney_u(first: list[float], second: list[float]) -> float:
    """The two-sided p-value of the Mann-Whitney U test (normal approximation).

    Ranks are averaged over ties, the variance is tie-corrected and the
    statistic continuity-corrected; fine for samples of this size.
    """
    n1, n2 = len(first), len(second)
    pooled = sorted([(v, 0) for v in first] + [(v, 1) for v in second])
    n = n1 + n2
    rank_sum = 0.0
    ties = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        rank = (i + j) / 2 + 1  # ranks are 1-based
        rank_sum += rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    u = rank_sum - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance == 0:
        return 1.0
    z = max(abs(u - mean) - 0.5, 0.0) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def test_mann_whitney_u_matches_known_values() -> None:
    """The helper agrees with scipy 1.x (``mannwhitneyu(..., method="asymptotic")``)."""
    assert mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(
        0.012185780355344813, rel=1e-9
    )
    # Ties: the variance is corrected.
    assert mann_whitney_u([1, 2, 2, 3], [2, 3, 3, 4]) == pytest.approx(
        0.1720337089218229, rel=1e-9
    )
    assert mann_whitney_u([5, 5, 5], [5, 5, 5]) == 1.0


@attrs.frozen
class Verdict:
    """The two cases' median times (seconds) and the U test's p-value."""

    path: str
    known: float
    unknown: float
    p: float

    @property
    def gap(self) -> float:
        """How much the medians differ, relative to the smaller."""
        return abs(self.known - self.unknown) / min(self.known, self.unknown)

    @property
    def alike(self) -> bool:
        """Medians within 5 % and the U test cannot tell them apart."""
        return self.gap < MEDIAN_GAP and self.p > P_FLOOR

    def __str__(self) -> str:
        return (f"{self.path}: known {self.known * 1e3:.3f} ms, unknown "
                f"{self.unknown * 1e3:.3f} ms, gap {self.gap:.1%}, p={self.p:.3f}")


def _measure(
    path: str, known: Callable[[int], object], unknown: Callable[[int], object], start: int,
    clock: Callable[[], int],
) -> Verdict:
    """Time ROUNDS calls of each case after a warm-up: in pairs, each pair in random order.

    Pairs keep a change in the machine's load from landing on one case more
    than the other.
    """
    for i in range(WARM_UP):
        known(start + i)
        unknown(start + i)
    chance = random.Random(start)
    times: dict[bool, list[float]] = {True: [], False: []}
    index = start + WARM_UP
    for _ in range(ROUNDS):
        pair = [True, False]
        chance.shuffle(pair)
        for case in pair:
            call = known if case else unknown
            began = clock()
            call(index)
            times[case].append((clock() - began) / 1e9)
            index += 1
    return Verdict(path, statistics.median(times[True]), statistics.median(times[False]),
                   mann_whitney_u(times[True], times[False]))


def _alike(
    world: World,
    path: str,
    known: Callable[[int], object],
    unknown: Callable[[int], object],
    *,
    known_residual: str | None = None,
) -> None:
    """Measure; once more if the first measurement fails (see the module's docstring).

    *known_residual* names a difference that is known and not yet removed (an
    open item of issue 20): the measurement still runs and is printed, and a
    failure is reported as an expected failure with its figures, not hidden.
    """
    path = f"{path} ({world.kind})"
    first = _measure(path, known, unknown, 0, world.clock)
    print(f"\n{first}")
    if first.alike:
        return
    second = _measure(path, known, unknown, 10 * (ROUNDS + WARM_UP), world.clock)
    print(f"{second} (measured again)")
    if known_residual is not None and not second.alike:
        pytest.xfail(f"{known_residual}: {first}; {second}")
    assert second.alike, f"{first}; {second}"


@attrs.frozen
class World:
    portal: Portal
    mailer: MemoryMailer
    kind: str
    #: Nanoseconds: the thread's CPU time on SQLite in memory (all of a request's
    #: work runs in this thread, and other processes on a shared machine do not
    #: count); wall-clock time on PostgreSQL, whose work is in the server.
    clock: Callable[[], int]


STORAGES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORAGES)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """A portal whose mail waits for a worker, on in-memory SQLite and on PostgreSQL.

    SQLite in memory: a file's fsync on commit (milliseconds, varying with the
    machine's load) would drown a difference of a statement or two, which is
    what this measures. The limits are generous: every request is answered.
    """
    yield from _world(request)


@pytest.fixture(params=STORAGES)
def bare_world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The same portal with registration by the seed's bare match (no emailed proof)."""
    yield from _world(request, claim_email_proof=False)


def _world(request: pytest.FixtureRequest, **identity_settings: object) -> Iterator[World]:
    if request.param == "sqlite":
        storage = SqlAlchemyStorage.from_url("sqlite://")
        storage.upgrade()
    else:
        storage = request.getfixturevalue("postgres_storage")
    mailer = MemoryMailer()
    identity = IdentityConfig(
        reset_requests=GENEROUS, reset_requests_global=GENEROUS, reset_client=GENEROUS,
        claim_record=GENEROUS, claim_record_global=GENEROUS, claim_client=GENEROUS,
    )
    identity = attrs.evolve(identity, **identity_settings)
    config = PortalConfig(mailer=mailer, hasher=_FastHasher(), identity=identity,
                          mail_delivery="worker")
    portal = Portal(storage, secret_key=SECRET, clock=ManualClock(), config=config)
    portal.create_tenant("acme", "Acme Rentals",
                         settings=TenantSettings(base_url="https://portal.acme.example"))
    clock = time.thread_time_ns if request.param == "sqlite" else time.perf_counter_ns
    yield World(portal, mailer, request.param, clock)
    if request.param == "sqlite":
        storage.close()


def test_a_reset_request_takes_as_long_for_an_unknown_address(world: World) -> None:
    """Known address: a code stored, its mail queued. Unknown: the same work."""
    portal = world.portal
    count = ROUNDS + WARM_UP
    with portal.admin("acme") as admin:
        for i in range(2 * count):  # two measurements at most
            admin.create_user(f"user{i}@known.example", f"User {i}")
    tenant = portal.tenant("acme")
    seen: list[int] = []

    def known(i: int) -> None:
        seen.append(i)
        portal.identity.request_password_reset(tenant, f"user{len(seen) - 1}@known.example")

    def unknown(i: int) -> None:
        portal.identity.request_password_reset(tenant, f"nobody{i}@unknown.example")

    _alike(world, "password reset request", known, unknown)
    assert portal.mail_queue.deliver_pending(limit=100_000).sent == 2 * len(seen)
    assert len(world.mailer.outbox) == 2 * len(seen)


def test_a_claim_takes_as_long_for_a_record_that_has_a_user(world: World) -> None:
    """Registration by proof: the owner of a registered record is told, a new claimant
    gets a code; the same answer (a ticket) and the same time."""
    portal = world.portal
    tenant = portal.tenant("acme")
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.create_user("owner@city.example", "Olive Owner")
        for key, phone, mail in (("C1", "2025550101", "owner@city.example"),
                                 ("C2", "2025550102", "newbie@city.example")):
            admin.uow.customers.add(CustomerRecord(
                id=0, tenant_id=tenant.id, organization_id=org.id,
                external_key=key, name=f"Record {key}", phone=phone, email=mail,
                postal_code="12345", portal_enabled=True, contract_count=1,
            ))

    def registered(_: int) -> None:
        portal.registration.claim(tenant, phone="(202) 555-0101", email="owner@city.example",
                                  postal_code="12345")

    def new(_: int) -> None:
        portal.registration.claim(tenant, phone="(202) 555-0102", email="newbie@city.example",
                                  postal_code="12345")

    _alike(world, "registration claim", registered, new)
    report = portal.mail_queue.deliver_pending(limit=100_000)
    subjects = {str(m["Subject"]) for m in world.mailer.outbox}
    assert report.sent == len(world.mailer.outbox)
    assert subjects == {"Customer Portal: someone tried to register your account",
                        "Customer Portal: confirm your email address"}


def test_a_bare_match_claim_takes_as_long_for_a_record_that_has_a_user(
    bare_world: World,
) -> None:
    """With email proof off (the seed's bare match): the owner of a registered record is
    told, a new record's address is told that registration has started; the same answer
    (a ticket) and the same time."""
    world = bare_world
    portal = world.portal
    tenant = portal.tenant("acme")
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.create_user("owner@city.example", "Olive Owner")
        for key, phone, mail in (("C1", "2025550101", "owner@city.example"),
                                 ("C2", "2025550102", "newbie@city.example")):
            admin.uow.customers.add(CustomerRecord(
                id=0, tenant_id=tenant.id, organization_id=org.id,
                external_key=key, name=f"Record {key}", phone=phone, email=mail,
                postal_code="12345", portal_enabled=True, contract_count=1,
            ))

    def registered(_: int) -> None:
        ticket = portal.registration.claim(tenant, phone="(202) 555-0101",
                                           email="owner@city.example", postal_code="12345")
        assert not ticket.code_sent

    def new(_: int) -> None:
        ticket = portal.registration.claim(tenant, phone="(202) 555-0102",
                                           email="newbie@city.example", postal_code="12345")
        assert not ticket.code_sent

    _alike(world, "bare-match registration claim", registered, new)
    report = portal.mail_queue.deliver_pending(limit=100_000)
    subjects = {str(m["Subject"]) for m in world.mailer.outbox}
    assert report.sent == len(world.mailer.outbox)
    assert subjects == {"Customer Portal: someone tried to register your account",
                        "Customer Portal: your registration has started"}


def test_accepting_an_invitation_takes_as_long_for_an_address_with_a_user(
    world: World,
) -> None:
    """An invitation to an address staff made a (passwordless) user for since sending binds
    the password to that user; one to a new address creates the user. Same answer (signed
    up), same time."""
    portal = world.portal
    count = 2 * (ROUNDS + WARM_UP)
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", [perms.INVITATION_SEND])
        kim = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(kim, "inviter", scope=org)
    contacts = [{"email": f"staffmade{i}@city.example", "name": f"Staff Made {i}"}
                for i in range(count)]
    # Addresses and names of the same lengths and word counts (the password's
    # context words are built from them): the cases differ only in the user.
    contacts += [{"email": f"freshuser{i}@city.example", "name": f"Fresh User {i}"}
                 for i in range(count)]
    report = portal.invitations.send(portal.principal_for(kim), contacts)
    assert report.sent == 2 * count, report
    with portal.admin("acme") as admin:
        for i in range(count):
            admin.create_user(f"staffmade{i}@city.example", f"Staff Made {i}")
    tokens: dict[str, list[str]] = {"staffmade": [], "fresh": []}
    for message in world.mailer.outbox:
        to = message["To"].addresses[0].addr_spec
        text = message.get_body(("plain",)).get_content()
        token = re.search(r"token=([\w.\-]+)", text)
        assert token is not None
        tokens["staffmade" if to.startswith("staffmade") else "fresh"].append(token[1])
    tenant_id = portal.tenant("acme").id

    def accept(kind: str) -> Callable[[int], object]:
        return lambda _: portal.invitations.accept(tenant_id, tokens[kind].pop(), PASSWORD,
                                                   PASSWORD)

    _alike(world, "invitation acceptance", accept("staffmade"), accept("fresh"))
