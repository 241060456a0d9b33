"""Tests for server-side sessions in portalkit._services.identity.

Every test runs on memory, SQLite and (marked ``postgres``) PostgreSQL storage,
on the seeded world of ``test_identity``: sign-out of one session, idle and
absolute timeouts, the touch interval, listing and ending one's own sessions,
every stamp rotation ending all of them, and hostile tokens (forged, another
tenant's, malformed) refused with one message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

import attrs
import pytest
from sqlalchemy import select

from portalkit import Portal
from portalkit._services.identity import SESSION_ENDED, IdentityConfig, set_password
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import Base
from portalkit.cli import main
from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
)
from portalkit.ports import Storage
from tests.services.test_identity import FAST, NEW_PASSWORD, PASSWORD, World, make_world

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.fixture(scope="module")
def argon() -> Argon2idHasher:
    """One fast hasher per module (building one costs an Argon2 computation)."""
    return Argon2idHasher(**FAST)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, argon: Argon2idHasher) -> World:
    """The seeded world of ``test_identity`` on each storage adapter."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    return make_world(storage, argon)


def _refused(world: World, token: str, tenant: Tenant | None = None) -> None:
    with pytest.raises(InvalidTokenError) as refused:
        world.service.authenticate(tenant or world.tenant, token)
    assert str(refused.value) == SESSION_ENDED


def _user_with_password(world: World, tenant: Tenant, email: str) -> User:
    with world.storage.unit_of_work() as uow:
        user = uow.users.get_by_email(tenant.id, email) or uow.users.add(
            User(id=0, tenant_id=tenant.id, email=email, name="Other", security_stamp="o")
        )
        user = set_password(uow, tenant, user, PASSWORD, None, hasher=world.hasher,
                            policy=world.service.password_policy)
        uow.commit()
    return user


def _other_tenant(world: World) -> Tenant:
    with world.storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="other", name="Other Co"))
        uow.commit()
    return tenant


# Sign-out -------------------------------------------------------------------------
def test_sign_out_ends_exactly_that_session(world: World) -> None:
    """After sign-out a copy of the token is refused; the user's other sessions go on."""
    laptop = world.service.login(world.tenant, "ann", PASSWORD)
    phone = world.service.login(world.tenant, "ann", PASSWORD)
    copy = str(laptop.session)
    world.service.sign_out(world.tenant, laptop.session)
    _refused(world, copy)
    assert world.service.authenticate(world.tenant, phone.session).session_id == phone.session_id
    world.service.sign_out(world.tenant, laptop.session)  # again: nothing, no error
    world.service.sign_out(world.tenant, "not a token at all")


def test_sign_in_gives_an_opaque_token_and_a_live_session(world: World) -> None:
    """The token is token_urlsafe(32); authenticate gives the user, session and expiry."""
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    assert len(signed.session) == 43
    assert "." not in signed.session  # nothing signed in it, nothing to read out
    info = world.service.authenticate(world.tenant, signed.session)
    assert (info.user.id, info.session_id, info.issued_at) == (
        world.ann.id, signed.session_id, world.clock.now()
    )
    assert info.expires_at == world.clock.now() + dt.timedelta(minutes=30)
    assert signed.expires_at == world.clock.now() + dt.timedelta(days=14)
    assert not info.touch_due


# Timeouts -------------------------------------------------------------------------
def test_idle_timeout_ends_a_quiet_session(world: World) -> None:
    """30 quiet minutes end a session; activity recorded by touch keeps it alive."""
    quiet = world.service.login(world.tenant, "ann", PASSWORD)
    busy = world.service.login(world.tenant, "ann", PASSWORD)
    for _ in range(3):
        world.clock.advance(minutes=20)
        info = world.service.authenticate(world.tenant, busy.session)
        assert info.touch_due
        assert world.service.touch(world.tenant, info.session_id)
    _refused(world, quiet.session)
    world.clock.advance(minutes=29)
    assert world.service.authenticate(world.tenant, busy.session)
    world.clock.advance(minutes=1)
    _refused(world, busy.session)
    assert not world.service.touch(world.tenant, busy.session_id)  # no revival


def test_absolute_timeout_ends_even_an_active_session(world: World) -> None:
    """However active, a session ends 14 days after sign-in."""
    world.rebuild(session_idle_timeout=dt.timedelta(days=1))  # fewer steps to 14 days
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    for _ in range(20):
        world.clock.advance(hours=16)
        info = world.service.authenticate(world.tenant, signed.session)
        assert world.service.touch(world.tenant, info.session_id)
    assert world.clock.now() == signed.expires_at - dt.timedelta(hours=16)
    world.clock.advance(hours=16)
    _refused(world, signed.session)


def test_purge_deletes_only_sessions_ended_by_time_in_every_tenant(world: World) -> None:
    """Quiet for the idle timeout or as old as the absolute one: deleted, in every
    tenant; a live session stays and still works. Explicit timeouts override."""
    quiet = world.service.login(world.tenant, "ann", PASSWORD)
    other = _other_tenant(world)
    _user_with_password(world, other, "ola@other.example")
    foreign = world.service.login(other, "ola@other.example", PASSWORD)
    world.clock.advance(minutes=20)
    busy = world.service.login(world.tenant, "ann", PASSWORD)
    assert world.service.purge_sessions() == 0
    world.clock.advance(minutes=10)  # quiet and foreign: 30 idle minutes
    assert world.service.purge_sessions() == 2
    assert world.service.authenticate(world.tenant, busy.session)
    _refused(world, quiet.session)
    _refused(world, foreign.session, other)
    with world.storage.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.for_user(world.tenant.id, world.ann.id)] == [
            busy.session_id]
    assert world.service.purge_sessions(idle=dt.timedelta(hours=1)) == 0
    assert world.service.purge_sessions(absolute=dt.timedelta(minutes=10)) == 1
    with pytest.raises(InvalidInputError) as bad:
        world.service.purge_sessions(idle=dt.timedelta(0))
    assert bad.value.fields.keys() == {"idle"}


def test_timeouts_are_configurable(world: World) -> None:
    """Shorter idle and absolute timeouts apply to existing sessions too."""
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    world.rebuild(session_idle_timeout=dt.timedelta(minutes=5),
                  session_absolute_timeout=dt.timedelta(hours=1))
    world.clock.advance(minutes=5)
    _refused(world, signed.session)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session_idle_timeout": dt.timedelta(0)}, "session_idle_timeout"),
        ({"session_absolute_timeout": dt.timedelta(minutes=-1)}, "session_absolute_timeout"),
        ({"session_touch_interval": 60}, "session_touch_interval"),
        ({"session_idle_timeout": dt.timedelta(days=15)}, "session_idle_timeout"),
        ({"session_touch_interval": dt.timedelta(minutes=30)}, "session_touch_interval"),
    ],
)
def test_session_lifetimes_are_validated(changes: dict[str, object], field: str) -> None:
    """Non-positive lifetimes, idle longer than absolute, or a touch interval not
    shorter than the idle timeout are refused, naming the field."""
    with pytest.raises(ConfigurationError, match=field):
        IdentityConfig(**changes)  # type: ignore[arg-type]


# Touch ----------------------------------------------------------------------------
def test_touch_writes_at_most_once_per_interval(world: World) -> None:
    """authenticate says when "last seen" is due; touch writes then and not again."""
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    world.clock.advance(seconds=59)
    assert not world.service.authenticate(world.tenant, signed.session).touch_due
    assert not world.service.touch(world.tenant, signed.session_id)
    world.clock.advance(seconds=1)
    info = world.service.authenticate(world.tenant, signed.session)
    assert info.touch_due
    assert world.service.touch(world.tenant, signed.session_id)
    assert not world.service.touch(world.tenant, signed.session_id)  # a concurrent request
    info = world.service.authenticate(world.tenant, signed.session)
    assert (info.touch_due, info.last_seen_at) == (False, world.clock.now())


# Listing and ending one's own sessions ---------------------------------------------
def test_list_and_end_own_sessions(world: World) -> None:
    """A user sees their live sessions (labelled, the current one marked) and ends one."""
    first = world.service.login(world.tenant, "ann", PASSWORD, user_agent=FIREFOX)
    world.clock.advance(minutes=1)
    second = world.service.login(world.tenant, "ann", PASSWORD, user_agent="\x00odd\nagent")
    listed = world.service.sessions(world.tenant, world.ann.id, current=second.session)
    assert [(s.id, s.label, s.current) for s in listed] == [
        (first.session_id, "Firefox on Linux", False),
        (second.session_id, "odd agent", True),
    ]
    assert listed[0].created_at == listed[0].last_seen_at
    world.service.end_session(world.tenant, world.ann.id, first.session_id)
    _refused(world, first.session)
    assert [s.id for s in world.service.sessions(world.tenant, world.ann.id)] == [
        second.session_id
    ]
    with pytest.raises(NotFoundError):
        world.service.end_session(world.tenant, world.ann.id, first.session_id)


def test_listing_leaves_out_ended_sessions(world: World) -> None:
    """Timed-out sessions are not listed, and the next sign-in deletes them."""
    old = world.service.login(world.tenant, "ann", PASSWORD)
    world.clock.advance(hours=1)
    assert world.service.sessions(world.tenant, world.ann.id) == []
    new = world.service.login(world.tenant, "ann", PASSWORD)
    with world.storage.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.for_user(world.tenant.id, world.ann.id)] == [
            new.session_id
        ]
    _refused(world, old.session)


def test_cannot_end_another_users_session(world: World) -> None:
    """Another user's session id is NotFound, and that session goes on."""
    mallory = _user_with_password(world, world.tenant, "mallory@evil.example")
    theirs = world.service.login(world.tenant, "mallory@evil.example", PASSWORD)
    world.service.login(world.tenant, "ann", PASSWORD)
    for session_id in (theirs.session_id, theirs.session_id + 10_000, -1, True):
        with pytest.raises(NotFoundError):
            world.service.end_session(world.tenant, world.ann.id, session_id)  # type: ignore[arg-type]
    assert world.service.authenticate(world.tenant, theirs.session).user.id == mallory.id
    assert [s.id for s in world.service.sessions(world.tenant, mallory.id)] == [
        theirs.session_id
    ]


# Every stamp rotation ends every session --------------------------------------------
def test_sign_out_everywhere_ends_and_deletes_all(world: World) -> None:
    """Sign-out everywhere rotates the stamp and deletes every session record."""
    sessions = [world.service.login(world.tenant, "ann", PASSWORD) for _ in range(3)]
    world.service.sign_out_everywhere(world.tenant, world.ann.id)
    for signed in sessions:
        _refused(world, signed.session)
    with world.storage.unit_of_work() as uow:
        assert uow.sessions.for_user(world.tenant.id, world.ann.id) == []


def test_password_change_reset_and_disable_end_every_session(world: World) -> None:
    """Each stamp rotation ends every existing session, with no other code path."""
    before = [world.service.login(world.tenant, "ann", PASSWORD) for _ in range(2)]
    fresh = world.service.change_password(world.tenant, world.ann.id, PASSWORD, NEW_PASSWORD,
                                          NEW_PASSWORD, user_agent=FIREFOX)
    for signed in before:
        _refused(world, signed.session)
    assert [s.label for s in world.service.sessions(world.tenant, world.ann.id)] == [
        "Firefox on Linux"
    ]
    world.service.request_password_reset(world.tenant, "ann@city.example")
    world.service.reset_password(world.tenant, "ann@city.example",
                                 world.last_code("ann@city.example"), PASSWORD, PASSWORD)
    _refused(world, fresh.session)
    again = world.service.login(world.tenant, "ann", PASSWORD)
    with world.storage.unit_of_work() as uow:
        user = uow.users.get(world.tenant.id, world.ann.id)
        assert user is not None
        uow.users.update(attrs.evolve(user, is_active=False))
        uow.commit()
    _refused(world, again.session)


# Hostile tokens ---------------------------------------------------------------------
def test_another_tenants_token_is_refused(world: World) -> None:
    """A genuine token of tenant B is refused by tenant A (and cannot be ended from it)."""
    other = _other_tenant(world)
    _user_with_password(world, other, "ann@city.example")
    theirs = world.service.login(other, "ann@city.example", PASSWORD)
    mine = world.service.login(world.tenant, "ann", PASSWORD)
    _refused(world, theirs.session)
    _refused(world, mine.session, tenant=other)
    world.service.sign_out(world.tenant, theirs.session)
    assert world.service.authenticate(other, theirs.session).user.tenant_id == other.id


@pytest.mark.parametrize(
    "forged",
    [
        secrets.token_urlsafe(32),
        "",
        "x" * 5000,
        "s1.WzEsMiwiYSIsMF0.c2lnbmF0dXJl",  # the shape of the old signed credential
        "../../etc/passwd",
        "0" * 64,
    ],
)
def test_forged_tokens_are_refused_alike(world: World, forged: str) -> None:
    """Unknown or malformed tokens give the one "session ended" error."""
    world.service.login(world.tenant, "ann", PASSWORD)
    _refused(world, forged)


def test_a_stored_hash_is_not_a_token(world: World) -> None:
    """Presenting the stored hash (a stolen table) signs nobody in."""
    signed = world.service.login(world.tenant, "ann", PASSWORD)
    _refused(world, hashlib.sha256(signed.session.encode()).hexdigest())


def test_the_token_is_stored_only_hashed(world: World) -> None:
    """No table holds the raw token; the session row holds its SHA-256."""
    signed = world.service.login(world.tenant, "ann", PASSWORD, user_agent=FIREFOX)
    with world.storage.unit_of_work() as uow:
        [stored] = uow.sessions.for_user(world.tenant.id, world.ann.id)
    assert stored.token_hash == hashlib.sha256(signed.session.encode()).hexdigest()
    storage = world.storage
    if isinstance(storage, MemoryStorage):
        dump = repr([[attrs.astuple(r) for r in rows.values()]
                     for rows in storage._tables.values()])
    else:
        assert isinstance(storage, SqlAlchemyStorage)
        with storage.engine.connect() as connection:
            dump = repr([connection.execute(select(table)).all()
                         for table in Base.metadata.sorted_tables])
    assert stored.token_hash in dump
    assert signed.session not in dump


def test_portalkit_sessions_purge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``portalkit sessions purge`` deletes what ended by the timeouts it is given (the
    defaults unless told): the session of a user who has not come back for 2 hours
    goes (signing in again would have deleted it), one signed in now stays."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    storage.upgrade()
    now = dt.datetime.now(dt.timezone.utc)  # the command's clock
    clock = ManualClock(now - dt.timedelta(hours=2))
    portal = Portal(storage, secret_key="sessions-purge-secret-key-0123456789-abcdef",
                    clock=clock)
    tenant = portal.create_tenant("acme", "Acme Rentals")
    with portal.admin("acme") as admin:
        admin.set_password(admin.create_user("ann@acme.example", "Ann"), PASSWORD)
        admin.set_password(admin.create_user("bob@acme.example", "Bob"), PASSWORD)
    gone = portal.identity.login(tenant, "bob@acme.example", PASSWORD)
    clock.advance(hours=2)
    live = portal.identity.login(tenant, "ann@acme.example", PASSWORD)
    storage.close()
    assert main(["sessions", "purge", "--url", url, "--idle-minutes", "180"]) == 0
    assert capsys.readouterr().out == "0 ended sessions deleted\n"
    assert main(["sessions", "purge", "--url", url]) == 0
    assert capsys.readouterr().out == "1 ended session deleted\n"
    storage = SqlAlchemyStorage.from_url(url)
    with storage.unit_of_work() as uow:
        (kept,) = uow.sessions.for_user(tenant.id, live.user.id)
        assert uow.sessions.for_user(tenant.id, gone.user.id) == []
    storage.close()
    assert kept.id == live.session_id
