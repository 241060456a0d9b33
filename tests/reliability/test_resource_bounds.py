"""Resource bounds: oversized input is refused before the expensive work.

Each bound is documented (docs/security.md) and checked here through the
public API: the refusal is a typed error, and it comes before the SQL query
(counted on the engine), before Argon2, before anything is stored or sent.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

import portalkit
from portalkit._services.identity import IdentityService
from portalkit._services.invitations import InvitationService, SkipReason
from portalkit._services.sync import MAX_BATCH_SIZE
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.pagination import MAX_PAGE_SIZE
from portalkit.domain.passwords import MAX_PASSWORD_CHARS, PasswordPolicy
from portalkit.domain.resolver import MAX_LOOKUP_LENGTH
from portalkit.domain.templates import MAX_BODY_LENGTH, MAX_VALUE_LENGTH, EmailTemplate
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import AuthenticationError, InvalidInputError, InvalidRowError
from tests.services.action_world import World, build_world

SECRET = "resource-bounds-secret-key-0123456789-abcdef"
MEGABYTE = 1024 * 1024


class Statements:
    """Counts the SQL statements an engine runs (a real engine, a plain listener)."""

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        self.count = 0
        self._engine = storage.engine

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def none_expected(self) -> Iterator[None]:
        """Fail if the block runs any SQL statement."""
        event.listen(self._engine, "before_cursor_execute", self._seen)
        try:
            before = self.count
            yield
            assert self.count == before, f"{self.count - before} SQL statements ran"
        finally:
            event.remove(self._engine, "before_cursor_execute", self._seen)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> SqlAlchemyStorage:
    """A migrated SQL storage (SQLite, PostgreSQL)."""
    result: SqlAlchemyStorage = request.getfixturevalue(f"{request.param}_storage")
    return result


@pytest.fixture
def world(storage: SqlAlchemyStorage) -> World:
    """The customer world: Ann may see City Fleet's assets, documents and jobs."""
    return build_world(portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock()))


@pytest.fixture
def sql(storage: SqlAlchemyStorage) -> Statements:
    """The statement counter of the storage's engine."""
    return Statements(storage)


# Search strings and page sizes -------------------------------------------------------

@pytest.mark.parametrize("size", [MAX_LOOKUP_LENGTH + 1, MEGABYTE])
def test_lookup_text_is_bounded_before_sql(world: World, sql: Statements, size: int) -> None:
    """An asset lookup longer than MAX_LOOKUP_LENGTH (64) is refused without a query."""
    with sql.none_expected(), pytest.raises(InvalidInputError) as caught:
        world.portal.assets.resolve(world.ann, "A" * size)
    assert set(caught.value.fields) == {"query"}


@pytest.mark.parametrize("size", [0, MAX_PAGE_SIZE + 1, 10**9])
def test_page_size_is_bounded_before_sql(world: World, sql: Statements, size: int) -> None:
    """Document and job pages are 1 to MAX_PAGE_SIZE (200) records; more is refused
    without a query."""
    with sql.none_expected():
        with pytest.raises(InvalidInputError):
            world.portal.documents.list(world.ann, size=size)
        with pytest.raises(InvalidInputError):
            world.portal.jobs.list(world.ann, size=size)


def test_search_text_is_bounded_before_sql(world: World, sql: Statements) -> None:
    """A document or job number searched for is at most 100 characters; a megabyte
    is refused without a query."""
    with sql.none_expected():
        with pytest.raises(InvalidInputError) as caught:
            world.portal.documents.list(world.ann, number="7" * MEGABYTE)
        assert set(caught.value.fields) == {"number"}
        with pytest.raises(InvalidInputError) as caught:
            world.portal.jobs.list(world.ann, number="7" * 101)
        assert set(caught.value.fields) == {"number"}
    assert world.portal.jobs.list(world.ann, number="7" * 100).items == ()


def test_search_choices_are_bounded_before_sql(world: World, sql: Statements) -> None:
    """A status filter names at most 20 values of at most 100 characters each; a
    longer list (even an endless iterator) is refused without a query."""
    with sql.none_expected():
        for statuses in (["sent"] * 21, itertools.repeat("sent"), ["x" * 101]):
            with pytest.raises(InvalidInputError) as caught:
                world.portal.documents.list(world.ann, status=statuses)
            assert set(caught.value.fields) == {"status"}
        with pytest.raises(InvalidInputError):
            world.portal.jobs.list(world.ann, status=itertools.repeat("open"))
    assert world.portal.documents.list(world.ann, status=["sent"] * 20).items


def test_cursor_is_bounded(world: World) -> None:
    """A page cursor longer than 1,024 characters is refused as invalid at once."""
    with pytest.raises(InvalidInputError) as caught:
        world.portal.documents.list(world.ann, cursor="A" * MEGABYTE)
    assert set(caught.value.fields) == {"cursor"}


# Customer actions ---------------------------------------------------------------------

def test_request_text_is_bounded_and_nothing_is_stored(world: World) -> None:
    """A service request description over the tenant's limit is refused, and
    neither a request nor its event is stored."""
    with pytest.raises(InvalidInputError) as caught:
        world.portal.requests.request_service(
            world.ann, asset=world.asset.id, description="x" * MEGABYTE
        )
    assert set(caught.value.fields) == {"description"}
    with world.portal.storage.unit_of_work() as uow:
        assert uow.actions.requests.count(world.tenant_id) == 0
        assert uow.outbox.count(world.tenant_id) == 0


# Passwords and Argon2 ---------------------------------------------------------------

class RecordingHasher(Argon2idHasher):
    """The real Argon2id hasher (at the OWASP floor), noting the longest input it got."""

    def __init__(self) -> None:
        super().__init__(time_cost=2, memory_kib=19 * 1024, parallelism=1)
        self.longest = 0

    def _note(self, password: str) -> None:
        self.longest = max(self.longest, len(password))

    def hash(self, password: str) -> str:
        """Hash, noting the input's length."""
        self._note(password)
        return super().hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Verify, noting the input's length."""
        self._note(password)
        return super().verify(encoded, password)

    def verify_dummy(self, password: str) -> bool:
        """Burn the same time as a verify, noting the input's length."""
        self._note(password)
        return super().verify_dummy(password)


def test_oversized_password_never_reaches_argon2(storage: SqlAlchemyStorage) -> None:
    """Signing in with a 10 MB password is an AuthenticationError, and Argon2 is
    never given more than MAX_PASSWORD_CHARS (1,024) characters."""
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    tenant = portal.create_tenant("acme", "Acme")
    with portal.admin("acme") as admin:
        admin.create_user("ann@city.example", "Ann Lee")
    hasher = RecordingHasher()
    identity = IdentityService(
        storage,
        hasher=hasher,
        throttle=storage.throttle(),
        mailer=MemoryMailer(),
        clock=portal.clock,
        secret_keys=[SECRET.encode()],
    )
    with pytest.raises(AuthenticationError):
        identity.login(tenant, "ann@city.example", "p" * (10 * MEGABYTE))
    with pytest.raises(AuthenticationError):
        identity.login(tenant, "a" * MEGABYTE, "password")
    assert hasher.longest <= MAX_PASSWORD_CHARS


# Templates and bulk invitations -------------------------------------------------------

def test_template_and_token_values_are_bounded(storage: SqlAlchemyStorage) -> None:
    """A template body over MAX_BODY_LENGTH is refused when it is made; a contact
    whose token value is over MAX_VALUE_LENGTH is skipped before anything is
    stored or sent."""
    with pytest.raises(InvalidInputError):
        EmailTemplate(subject="Hi", body="x" * (MAX_BODY_LENGTH + 1))
    portal = portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock())
    tenant = portal.create_tenant(
        "acme",
        "Acme",
        settings=TenantSettings(
            base_url="https://portal.acme.example", sender_email="portal@acme.example"
        ),
    )
    with portal.admin("acme") as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("inviter", ["invitation.send"])
        kim = admin.create_user("kim@acme.example", "Kim Staff", is_staff=True)
        admin.grant(kim, "inviter", scope=org)
    mailer = MemoryMailer()
    service = InvitationService(
        storage,
        signer=ItsdangerousTokenSigner(SECRET, clock=portal.clock),
        mailer=mailer,
        clock=portal.clock,
        password_policy=PasswordPolicy(),
        hasher=RecordingHasher(),
    )
    staff = portal.principal_for(kim)
    report = service.send(
        staff, [{"email": "pat@example.com", "name": "P" * (MAX_VALUE_LENGTH + 1)}]
    )
    assert report.skipped_by_reason == {SkipReason.INVALID_CONTACT: 1}
    assert mailer.outbox == []
    with storage.unit_of_work() as uow:
        assert uow.invitations.count(tenant.id) == 0


# The host's bulk import ----------------------------------------------------------------

def test_bulk_batch_size_is_bounded_before_reading(world: World) -> None:
    """A batch larger than MAX_BATCH_SIZE (10,000 rows) is refused before a row is read."""
    read: list[int] = []

    def rows() -> Iterator[dict[str, str]]:
        read.append(1)
        yield {"external_key": "k", "number": "A-1", "scope_key": "x"}

    with pytest.raises(InvalidInputError) as caught:
        world.portal.upsert_assets(rows(), tenant="acme", batch_size=MAX_BATCH_SIZE + 1)
    assert set(caught.value.fields) == {"batch_size"}
    assert read == []


@pytest.mark.parametrize(
    ("field", "size"),
    [
        ("number", 65),
        ("plate", 65),
        ("model", 201),
        ("description", MEGABYTE),
        ("external_key", 201),
    ],
)
def test_bulk_asset_fields_are_bounded(world: World, field: str, size: int) -> None:
    """An imported asset row with an oversized field stops the run at that row
    (InvalidRowError naming the field) and nothing of its batch is stored."""
    with world.portal.admin("acme") as admin:
        admin.add_scope(world.org.id, kind="site", name="Depot 7", external_key="site-7")
    good = {"external_key": "ok", "number": "B-0", "scope_key": "site-7"}
    bad = {"external_key": "big", "number": "B-1", "scope_key": "site-7", field: "9" * size}
    before = _asset_count(world)
    with pytest.raises(InvalidRowError) as caught:
        world.portal.upsert_assets([good, bad], tenant="acme")
    assert caught.value.row == 2
    assert set(caught.value.fields) == {field}
    assert _asset_count(world) == before


@pytest.mark.parametrize(("field", "size"), [("name", 201), ("phone", 65), ("email", 255)])
def test_bulk_customer_fields_are_bounded(world: World, field: str, size: int) -> None:
    """An imported customer row with an oversized field stops the run at that row."""
    row = {"external_key": "c-1", "name": "Big Co", field: "9" * size}
    with pytest.raises(InvalidRowError) as caught:
        world.portal.upsert_customers([row], tenant="acme")
    assert set(caught.value.fields) == {field}


def _asset_count(world: World) -> int:
    with world.portal.storage.unit_of_work() as uow:
        return uow.assets.count(world.tenant_id)


# Request bodies (the Flask integration) -------------------------------------------------

def test_request_body_is_bounded_before_the_view() -> None:
    """The Flask integration caps request bodies at 1 MiB by default: a larger
    form is answered 413 and the view never runs."""
    flask = pytest.importorskip("flask")
    from portalkit.contrib import flask as pk  # noqa: PLC0415

    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, PORTALKIT_CSRF=False)
    portal = portalkit.Portal.from_url("memory://", secret_key=SECRET)
    portal.create_tenant("default", "Default")
    pk.init_app(app, portal=portal)
    calls: list[int] = []

    @app.post("/echo")
    def echo() -> str:
        calls.append(len(flask.request.form.get("text", "")))
        return "ok"

    client = app.test_client()
    assert pk.DEFAULT_MAX_CONTENT_LENGTH == MEGABYTE
    assert client.post("/echo", data={"text": "x" * 1000}).status_code == 200
    assert client.post("/echo", data={"text": "x" * (2 * MEGABYTE)}).status_code == 413
    assert calls == [1000]
