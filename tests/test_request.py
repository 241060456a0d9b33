"""``portal.request(...)``: one tenant, one session check, one unit of work per request."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import event

import portalkit
from portalkit import perms
from portalkit.adapters.clock import ManualClock, SystemClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.domain.principals import PrincipalKind
from portalkit.domain.records import Asset
from portalkit.errors import AuthenticationError, InvalidInputError, NotFoundError, StorageError
from portalkit.ports import Clock, Storage

SECRET = "request-test-secret-key-long-enough-0123456789"
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)
PASSWORD = "harbour-lantern-violet-42"


@attrs.define
class World:
    portal: portalkit.Portal
    asset: Asset
    other_asset: Asset


def _build(storage: Storage, clock: Clock | None = None) -> World:
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=clock or ManualClock(),
                              config=portalkit.PortalConfig(hasher=FAST_HASHER))
    portal.create_tenant("acme", "Acme")
    portal.create_tenant("other", "Other")
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        site = admin.add_scope(org, kind="site", name="Depot 4")
        elsewhere = admin.add_organization("Elsewhere")
        admin.define_role(
            "fleet",
            [perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW,
             perms.SERVICE_REQUEST_EDIT, perms.INVOICE_VIEW, perms.JOB_VIEW],
        )
        ann = admin.create_user("ann@city.example", "Ann Lee")
        admin.grant(ann, "fleet", scope=org)
        asset = admin.upsert_asset(number="A-100", plate="ABC 123", scope=site)
        other = admin.upsert_asset(number="B-200", plate="XYZ 999", scope=elsewhere)
        admin.add_document(kind="invoice", status="issued", number="INV-1", scope=site)
        admin.set_password(ann, PASSWORD)
    with portal.admin("other") as admin:
        bob = admin.create_user("bob@other.example", "Bob Roe")
        admin.set_password(bob, PASSWORD)
    return World(portal=portal, asset=asset, other_asset=other)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(request: pytest.FixtureRequest) -> World:
    """A portal with two tenants and one customer user, on each storage adapter."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    return _build(storage)


def _sign_in(portal: portalkit.Portal, tenant: str = "acme",
             email: str = "ann@city.example") -> str:
    with portal.request(tenant, client="203.0.113.9") as req:
        req.sign_in(email, PASSWORD)
        assert req.new_session is not None
        return req.new_session


def _service_requests(world: World, token: str) -> int:
    with world.portal.request("acme", session=token) as req:
        return len(req.requests.list())


class _Transactions:
    """Counts transactions and statements on a SQLAlchemy storage's engine."""

    def __init__(self, storage: Storage) -> None:
        self.begins = 0
        self.statements: list[str] = []
        if isinstance(storage, SqlAlchemyStorage):
            event.listen(storage.engine, "begin", self._begin)
            event.listen(storage.engine, "before_cursor_execute", self._statement)

    def _begin(self, _connection: object) -> None:
        self.begins += 1

    def _statement(self, _c: object, _cur: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)


# Who the request runs as ------------------------------------------------------
def test_signed_in_request_knows_its_user_tenant_and_client(world: World) -> None:
    """The session value gives the user; the client address gives the client key."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token, client="203.0.113.9", locale="es") as req:
        assert req.signed_in
        assert req.user is not None
        assert req.user.email == "ann@city.example"
        assert req.principal.kind is PrincipalKind.USER
        assert req.tenant.slug == "acme"
        assert req.client_key == "ip:203.0.113.9"
        assert req.locale == "es"
        assert not req.clear_session


def test_no_session_is_the_guest(world: World) -> None:
    """Without a session value the request runs as the tenant's guest."""
    with world.portal.request("acme") as req:
        assert not req.signed_in
        assert req.principal.kind is PrincipalKind.GUEST
        assert not req.clear_session
        assert req.assets.resolve("A-100") == portalkit.NOT_FOUND


@pytest.mark.parametrize("value", ["forged", "x" * 5000, "", "\x00"])
def test_bad_session_values_give_the_guest_and_clear_the_cookie(world: World, value: str) -> None:
    """A forged or garbage session value is the guest, and the cookie is to be cleared."""
    with world.portal.request("acme", session=value) as req:
        assert req.principal.kind is PrincipalKind.GUEST
        assert req.clear_session is bool(value)


def test_a_session_of_another_tenant_is_the_guest(world: World) -> None:
    """Bob's session of tenant "other" is nobody at "acme"."""
    token = _sign_in(world.portal, "other", "bob@other.example")
    with world.portal.request("acme", session=token) as req:
        assert req.principal.kind is PrincipalKind.GUEST
        assert req.clear_session
    with world.portal.request("other", session=token) as req:
        assert req.signed_in


def test_an_ended_session_is_the_guest(world: World) -> None:
    """After "sign out everywhere" the old session value is the guest."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        req.sign_out_everywhere()
        assert req.principal.kind is PrincipalKind.GUEST
        assert req.clear_session
    with world.portal.request("acme", session=token) as req:
        assert not req.signed_in
        assert req.clear_session


def test_unknown_tenant_is_not_found(world: World) -> None:
    """An unknown tenant fails at the start of the block, never as an empty portal."""
    with pytest.raises(NotFoundError), world.portal.request("nobody"):
        pytest.fail("the block must not run")  # pragma: no cover
    with world.portal.request("acme") as req:  # the portal is usable afterwards
        assert req.tenant.slug == "acme"


def test_request_is_unusable_after_its_block(world: World) -> None:
    """Every use of the request object after its block is a RuntimeError."""
    with world.portal.request("acme") as req:
        assets = req.assets
    with pytest.raises(RuntimeError, match="ended"):
        _ = req.principal
    with pytest.raises(RuntimeError, match="ended"):
        assets.resolve("A-100")
    with pytest.raises(RuntimeError, match="one `with` block"), req:
        pass  # pragma: no cover


def test_requests_do_not_nest(world: World) -> None:
    """A second request of the same portal inside the first one is refused."""
    with (
        world.portal.request("acme"),
        pytest.raises(RuntimeError, match="already active"),
        world.portal.request("acme"),
    ):
        pass  # pragma: no cover


# Signing in and out -----------------------------------------------------------
def test_sign_in_changes_who_the_request_runs_as(world: World) -> None:
    """After sign_in the same request acts as the user and sees their assets."""
    with world.portal.request("acme", client="203.0.113.9") as req:
        assert req.assets.resolve("A-100") == portalkit.NOT_FOUND
        req.sign_in("ann@city.example", PASSWORD)
        found = req.assets.resolve("A-100")
        assert isinstance(found, portalkit.Found)
        assert found.asset.id == world.asset.id


def test_signing_in_again_ends_the_browsers_previous_session(world: World) -> None:
    """ASVS V7.2.4: a new sign-in ends the session the browser had, on the server;
    an expired or forged cookie costs nothing."""
    first = _sign_in(world.portal)
    with world.portal.request("acme", session=first) as req:
        second = req.sign_in("ann@city.example", PASSWORD).session
    assert second != first
    with world.portal.request("acme", session=first) as req:
        assert not req.signed_in
    with world.portal.request("acme", session=second) as req:
        assert req.signed_in
    with world.portal.request("acme", session="forged-" + "x" * 40) as req:
        req.sign_in("ann@city.example", PASSWORD)
        assert req.signed_in


def test_failed_sign_in_is_one_error_and_the_request_goes_on(world: World) -> None:
    """A wrong password is AuthenticationError; the request stays usable as the guest."""
    with world.portal.request("acme", client="203.0.113.9") as req:
        with pytest.raises(AuthenticationError):
            req.sign_in("ann@city.example", "wrong password entirely")
        assert req.principal.kind is PrincipalKind.GUEST
        assert req.new_session is None


def test_sign_out_runs_the_rest_as_guest(world: World) -> None:
    """sign_out drops the user for the rest of the request and asks to clear the cookie."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        req.sign_out()
        assert req.principal.kind is PrincipalKind.GUEST
        assert req.clear_session
        assert req.assets.resolve("A-100") == portalkit.NOT_FOUND


def test_sign_out_ends_this_session_on_the_server_only(world: World) -> None:
    """After sign_out a copy of the cookie is the guest; the user's other session goes on."""
    laptop, phone = _sign_in(world.portal), _sign_in(world.portal)
    with world.portal.request("acme", session=laptop) as req:
        req.sign_out()
    with world.portal.request("acme", session=laptop) as req:
        assert not req.signed_in
        assert req.clear_session
    with world.portal.request("acme", session=phone) as req:
        assert req.signed_in


def test_sessions_lists_and_ends_the_users_own_sessions(world: World) -> None:
    """"Where you're signed in": this session marked current; ending another signs it out."""
    laptop, phone = _sign_in(world.portal), _sign_in(world.portal)
    with world.portal.request("acme", session=phone) as req:
        listed = req.sessions()
        assert len(listed) == 2
        assert [s.current for s in listed].count(True) == 1
        other = next(s for s in listed if not s.current)
        req.end_session(other.id)
        assert req.signed_in  # ending another session leaves this one
        with pytest.raises(NotFoundError):
            req.end_session(other.id)
    with world.portal.request("acme", session=laptop) as req:
        assert not req.signed_in


def test_a_user_cannot_end_someone_elses_session(world: World) -> None:
    """Another user's session id is NotFoundError, and that session goes on."""
    bob_token = _sign_in(world.portal, "other", "bob@other.example")
    with world.portal.request("other", session=bob_token) as req:
        bobs = req.sessions()[0].id
    ann = _sign_in(world.portal)
    with world.portal.request("acme", session=ann) as req, pytest.raises(NotFoundError):
        req.end_session(bobs)
    with world.portal.request("other", session=bob_token) as req:
        assert req.signed_in


def test_last_seen_is_written_at_most_once_per_interval(world: World) -> None:
    """Read-only requests refresh "last seen" once a minute, which keeps the idle timeout away."""
    clock = world.portal.clock
    assert isinstance(clock, ManualClock)
    token = _sign_in(world.portal)

    def last_seen() -> object:
        with world.portal.request("acme", session=token) as req:
            return req.sessions()[0].last_seen_at

    first = last_seen()
    clock.advance(seconds=30)
    assert last_seen() == first  # within the interval: no write
    clock.advance(seconds=31)
    assert last_seen() == first  # this request finds it due and writes it after its reads
    assert last_seen() != first
    for _ in range(3):  # active for 75 minutes, in steps under the 30-minute idle timeout
        clock.advance(minutes=25)
        assert last_seen() is not None
    with world.portal.request("acme", session=token) as req:
        assert req.signed_in
    clock.advance(minutes=31)  # idle longer than the timeout
    with world.portal.request("acme", session=token) as req:
        assert not req.signed_in


def test_profile_needs_a_signed_in_user(world: World) -> None:
    """Profile calls of a guest are AuthenticationError, not someone else's profile."""
    new = "another-long-passphrase-77"
    with world.portal.request("acme") as req, pytest.raises(AuthenticationError):
        req.profile.change_password(PASSWORD, new, new)


# Capabilities take nothing but the customer's input ---------------------------
def test_capabilities_use_the_requests_principal(world: World) -> None:
    """Assets, documents and jobs answer for the signed-in user; never another customer's."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token, client="203.0.113.9") as req:
        found = req.assets.resolve("abc-123")
        assert isinstance(found, portalkit.Found)
        assert req.assets.resolve("B-200") == portalkit.NOT_FOUND  # another organization's
        with pytest.raises(NotFoundError):
            req.assets.get(world.other_asset.id)
        assert [d.number for d in req.documents.list(kind="invoice").items] == ["INV-1"]
        assert list(req.jobs.list().items) == []
        sections = req.assets.sections(found.asset)
        assert isinstance(sections, portalkit.Sections)


# One unit of work ---------------------------------------------------------------
def test_a_read_page_is_one_transaction(world: World) -> None:
    """Session, policy and three reads: one transaction, tenant and user read once."""
    storage = world.portal.storage
    if not isinstance(storage, SqlAlchemyStorage):
        pytest.skip("transactions are counted on the SQL engine")
    token = _sign_in(world.portal)
    seen = _Transactions(storage)
    with world.portal.request("acme", session=token) as req:
        asset = req.assets.get(world.asset.id)
        req.assets.sections(asset)
        req.documents.list(kind="invoice")
        req.jobs.list()
    assert seen.begins == 1
    tenant_reads = [s for s in seen.statements if "FROM portalkit_tenants" in s]
    assert len(tenant_reads) == 1


def test_writes_commit_when_the_block_ends(world: World) -> None:
    """A request's write is stored once its block ends without an exception."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        req.requests.request_service(asset=world.asset.id, description="Brakes squeal")
        assert len(req.requests.list()) == 1  # the request sees its own write
    assert _service_requests(world, token) == 1


def test_an_exception_rolls_back_every_write_of_the_request(world: World) -> None:
    """Nothing the request wrote is kept when its block raises."""
    token = _sign_in(world.portal)

    def failing_page() -> None:
        with world.portal.request("acme", session=token) as req:
            req.requests.request_service(asset=world.asset.id, description="Brakes squeal")
            req.requests.request_service(asset=world.asset.id, description="And the lights")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_page()
    assert _service_requests(world, token) == 0


def test_a_failed_call_leaves_no_trace_and_the_request_goes_on(world: World) -> None:
    """A refused write inside the request is undone alone; the others commit."""
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        req.requests.request_service(asset=world.asset.id, description="Brakes squeal")
        with pytest.raises((InvalidInputError, NotFoundError)):
            req.requests.request_service(asset=world.other_asset.id, description="Not mine")
        with pytest.raises(InvalidInputError):
            req.requests.request_service(asset=world.asset.id, description="")
    assert _service_requests(world, token) == 1


def test_read_only_units_refuse_to_commit(world: World) -> None:
    """A unit opened read-only cannot commit, inside a request or not."""
    storage = world.portal.storage
    with storage.unit_of_work(read_only=True) as uow, pytest.raises(StorageError):
        uow.commit()


# SQLite: readers never wait ---------------------------------------------------
@pytest.fixture
def sqlite_file_world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    storage.upgrade()
    yield _build(storage, SystemClock()), url  # worker processes cannot share a manual clock
    storage.close()


@contextlib.contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holds the SQLite file's write lock for the block."""
    writer = SqlAlchemyStorage.from_url(url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer.unit_of_work() as uow:
            uow.tenants.get(1)  # BEGIN IMMEDIATE: the write lock is taken
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        thread.join()
        writer.close()


def test_sqlite_read_page_does_not_wait_for_a_writer(sqlite_file_world: tuple[World, str]) -> None:
    """While another connection holds the write lock, a read-only page answers at once."""
    world, url = sqlite_file_world
    token = _sign_in(world.portal)
    with write_lock_held(url):
        started = time.perf_counter()
        with world.portal.request("acme", session=token) as req:
            req.documents.list(kind="invoice")
            req.assets.get(world.asset.id)
        took = time.perf_counter() - started
    assert took < 1.0  # a writer's lock would hold it for the 5 s busy timeout


def test_sqlite_a_due_last_seen_never_makes_a_read_page_wait(tmp_path: Path) -> None:
    """"Last seen" is due, another process writes: the page answers at once, and a later
    request writes "last seen" instead."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    storage.upgrade()
    world = _build(storage)
    clock = world.portal.clock
    assert isinstance(clock, ManualClock)
    token = _sign_in(world.portal)
    with world.portal.request("acme", session=token) as req:
        signed_in_at = req.sessions()[0].last_seen_at
    clock.advance(minutes=2)  # "last seen" is due
    with write_lock_held(url):
        started = time.perf_counter()
        with world.portal.request("acme", session=token) as req:
            req.documents.list(kind="invoice")
        took = time.perf_counter() - started
    assert took < 1.0  # not the 5 s busy timeout
    with world.portal.request("acme", session=token) as req:
        assert req.sessions()[0].last_seen_at == signed_in_at  # skipped, not waited for
    with world.portal.request("acme", session=token) as req:
        assert req.sessions()[0].last_seen_at > signed_in_at  # the next request wrote it
    storage.close()


def test_sqlite_concurrent_writing_requests_all_commit(
    sqlite_file_world: tuple[World, str],
) -> None:
    """Requests that read and then write, in parallel, never fail with "database is locked"."""
    world, url = sqlite_file_world
    token = _sign_in(world.portal)
    errors: list[BaseException] = []

    def customer(n: int) -> None:
        portal = portalkit.Portal(
            SqlAlchemyStorage.from_url(url), secret_key=SECRET,
            config=portalkit.PortalConfig(hasher=FAST_HASHER),
            clock=world.portal.clock,
        )
        try:
            for i in range(5):
                with portal.request("acme", session=token) as req:
                    req.documents.list(kind="invoice")  # a read first: the upgrade case
                    req.requests.request_service(
                        asset=world.asset.id, description=f"worker {n} request {i}"
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            portal.close()

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _service_requests(world, token) == 30


def _process_customer(url: str, token: str, asset_id: int, writes: int, reads: int) -> str:
    """One worker process: its own portal on the shared SQLite file; "" or the error."""
    portal = portalkit.Portal(
        SqlAlchemyStorage.from_url(url), secret_key=SECRET,
        config=portalkit.PortalConfig(hasher=FAST_HASHER),
    )
    try:
        for _ in range(writes):
            with portal.request("acme", client="203.0.113.9") as req:
                req.documents.list(kind="invoice")  # a read first: the upgrade case
                req.sign_in("ann@city.example", PASSWORD)
                req.requests.request_service(asset=asset_id, description="from a process")
        for _ in range(reads):
            with portal.request("acme", session=token) as req:
                req.documents.list(kind="invoice")
                req.assets.get(asset_id)
    except Exception as exc:  # reported to the parent
        return f"{type(exc).__name__}: {exc}"
    finally:
        portal.close()
    return ""


def test_sqlite_sign_ins_writes_and_reads_across_processes(
    sqlite_file_world: tuple[World, str],
) -> None:
    """Worker processes signing in, writing and reading at once: no "database is locked"."""
    world, url = sqlite_file_world
    token = _sign_in(world.portal)
    context = multiprocessing.get_context("spawn")
    jobs = [(url, token, world.asset.id, 4, 0)] * 3 + [(url, token, world.asset.id, 0, 20)] * 2
    with context.Pool(len(jobs)) as pool:
        outcomes = pool.starmap(_process_customer, jobs)
    assert outcomes == [""] * len(jobs)
    # Every sign-in made a session of Ann's; every request of theirs was stored.
    assert _service_requests(world, token) == 12
