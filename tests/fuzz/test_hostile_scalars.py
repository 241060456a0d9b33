"""Hostile scalars through every public method, on SQLite and PostgreSQL.

Every public method of the customer side (the request's capabilities and the
request's own methods) and of the staff side (``portal.admin()``) is found by
introspection, so a new method is driven as soon as it exists. Each example
puts one hostile value (an id beyond 64 bits, NUL, a lone surrogate, a 1 MB
string, a date near the ends of the calendar, NaN or infinity, a bool where a
number belongs, a negative number) into one parameter; the other parameters
get ordinary values. Whatever comes out must be one of portalkit's typed
errors, and the database must be exactly as before, even though the request
or staff block that saw the error commits.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import inspect
import math
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import portalkit
from portalkit._capabilities_base import _Bound
from portalkit._request import PortalRequest
from portalkit._services.admin import AdminSession
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.tables import Base
from portalkit.domain.principals import Group, User
from portalkit.domain.records import Asset, Document
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import AuthenticationError, PortalkitError, ThrottledError
from tests.fuzz.hostile import FUZZ
from tests.services.action_world import NOW, World, build_world

SECRET = "fuzz-hostile-scalars-secret-key-long-enough-0123"
PASSWORD = "harbour-lantern-violet-42"
UTC = dt.timezone.utc

#: Per method: a few examples each, the same ones on every run (CI-stable).
HOSTILE = settings(FUZZ, max_examples=25, derandomize=True, database=None)

#: Values no database column may take: every parameter must refuse them.
NEVER_STORABLE: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=2**63),
    st.integers(max_value=-(2**63) - 1),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**40]),
    st.text(max_size=20).map(lambda s: s + "\x00"),
    st.tuples(st.text(max_size=10), st.characters(categories=["Cs"])).map("".join),
    st.sampled_from(["x" * 1_000_001, "é" * 1_000_001, "\ud800", "\udfff", "\x00"]),
    st.sampled_from(
        [
            dt.date.min,
            dt.date.max,
            dt.datetime.min,
            dt.datetime.max,
            dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=14))),
            dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-12))),
            dt.datetime.max.replace(tzinfo=UTC),
            dt.timedelta.max,
            dt.timedelta.min,
        ]
    ),
    st.datetimes(max_value=dt.datetime(999, 12, 31)),
    st.datetimes(min_value=dt.datetime(9000, 1, 1), timezones=st.just(UTC)),
    st.dates(max_value=dt.date(999, 12, 31)),
    st.sampled_from(
        [math.nan, math.inf, -math.inf, decimal.Decimal("NaN"), decimal.Decimal("-Infinity")]
    ),
)

#: Values a parameter may legitimately take (a bool where a flag is due, -1 as a
#: limit): a typed error or a result, and still nothing written by a refusal.
ODD: st.SearchStrategy[Any] = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=0)
)

#: The audit trail's table.
AUDIT = "portalkit_audit"
#: The rate limits' counters.
THROTTLE = "portalkit_throttle"

#: Field names a method takes as ``**fields`` (the first is the default).
FIELDS: dict[str, list[str]] = {
    "request_service": ["asset", "description", "job_type"],
    "request_job": ["site", "asset", "job_type", "description"],
    "book": ["asset", "starts_at", "location", "notes"],
    "reschedule": ["starts_at", "location", "notes"],
    "record": ["meter", "value", "read_at", "unit", "is_replacement"],
    "call_off": ["items", "pickup_on", "notes"],
    "update_settings": ["login_required", "default_region", "time_zone"],
    "upsert_asset": ["description", "serial", "last_test_date", "region"],
    "add_document": ["title", "total_cents", "currency", "external_key", "no_such_field"],
    "add_job": ["notes", "scheduled_on", "asset_id", "tenant_id"],
}


class Method(NamedTuple):
    """One public method: where it lives and what it is."""

    side: str  # "request", a capability's attribute name, or "admin"
    name: str
    func: Callable[..., Any]

    def __str__(self) -> str:
        return f"{self.side}.{self.name}"


def _public_functions(cls: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, attribute in sorted(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(attribute):
            yield name, attribute


def _capabilities() -> dict[str, type[_Bound[Any]]]:
    """The request's capability attributes and their classes, from PortalRequest itself."""
    out: dict[str, type[_Bound[Any]]] = {}
    for name, attribute in vars(PortalRequest).items():
        if isinstance(attribute, functools.cached_property):
            cls = typing.get_type_hints(attribute.func)["return"]
            if isinstance(cls, type) and issubclass(cls, _Bound):
                out[name] = cls
    return out


def public_methods() -> list[Method]:
    """Every public method of the customer and staff sides."""
    methods = [Method("request", n, f) for n, f in _public_functions(PortalRequest)]
    for side, cls in sorted(_capabilities().items()):
        methods += [Method(side, n, f) for n, f in _public_functions(cls)]
    methods += [Method("admin", n, f) for n, f in _public_functions(AdminSession)]
    return methods


METHODS = public_methods()


def _parameters(method: Method) -> list[inspect.Parameter]:
    return list(inspect.signature(method.func).parameters.values())[1:]


def _hints(method: Method) -> dict[str, Any]:
    try:
        return typing.get_type_hints(inspect.unwrap(method.func))
    except NameError:
        return {}


DRIVEN = [m for m in METHODS if _parameters(m)]


# The meta-tests --------------------------------------------------------------
def test_the_suite_finds_both_sides() -> None:
    """Introspection sees the capabilities, the request and the staff session."""
    sides = {m.side for m in METHODS}
    assert {"request", "admin", "assets", "documents", "appointments", "profile"} <= sides
    assert len(DRIVEN) >= 60


@pytest.mark.parametrize("method", METHODS, ids=str)
def test_every_public_method_checks_its_arguments(method: Method) -> None:
    """Every public method is wrapped by the boundary check (guard_inputs)."""
    assert inspect.unwrap(method.func) is not method.func, f"{method} is not guarded"


def test_every_keyword_fields_method_names_its_fields() -> None:
    """A method taking ``**fields`` has its field names here, so they are driven too."""
    for method in DRIVEN:
        if any(p.kind is p.VAR_KEYWORD for p in _parameters(method)):
            assert method.name in FIELDS, f"add the fields of {method} to FIELDS"


# The world -------------------------------------------------------------------
class Hostile(NamedTuple):
    """The portal under attack and the ordinary values for the other parameters."""

    def __repr__(self) -> str:
        return f"Hostile({self.storage!r})"

    portal: portalkit.Portal
    storage: SqlAlchemyStorage
    world: World
    session: str
    ann: User
    group: Group


def _build(storage: SqlAlchemyStorage) -> Hostile:
    portal = portalkit.Portal(
        storage,
        secret_key=SECRET,
        clock=ManualClock(),
        config=portalkit.PortalConfig(
            mailer=MemoryMailer(),
            hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
        ),
    )
    world = build_world(portal)
    with portal.admin("acme") as admin:
        assert world.ann.user_id is not None
        ann = admin.set_password(world.ann.user_id, PASSWORD)
        group = admin.add_group("Drivers")
    with portal.request("acme", client="203.0.113.9") as req:
        session = req.sign_in("ann@city.example", PASSWORD).session
    return Hostile(portal, storage, world, session, ann, group)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """One world per backend for the whole module (the tests write nothing)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("hostile") / "portal.db"
        storage = SqlAlchemyStorage.from_url(f"sqlite:///{path}")
        storage.upgrade()
        yield _build(storage)
        storage.close()
        return
    storage = request.getfixturevalue("postgres_session_storage")
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with storage.engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    yield _build(storage)


def snapshot(storage: SqlAlchemyStorage) -> dict[str, Any]:
    """Every row of every portalkit table (on PostgreSQL: a count and digest, in one query)."""
    tables = Base.metadata.sorted_tables
    with storage.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in tables
            }
        quote = connection.dialect.identifier_preparer.quote
        digests = ", ".join(
            f"(SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text),"
            f" '')) FROM {quote(table.name)} t)"
            for table in tables
        )
        row = connection.exec_driver_sql(f"SELECT {digests}").one()
        return dict(zip([table.name for table in tables], row, strict=True))


def _members(hint: Any) -> tuple[Any, ...]:
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    return typing.get_args(hint) if union else (hint,)


def _ordinary(hint: Any, h: Hostile) -> Any:
    """An ordinary value for a parameter annotated *hint* (None where None is allowed)."""
    members = _members(hint)
    if type(None) in members:
        return None
    table: dict[Any, Any] = {
        Asset: h.world.asset,
        Document: h.world.quote,
        ScopeNode: h.world.org,
        User: h.ann,
        Group: h.group,
        str: "x",
        bool: False,
        int: 1,
        float: 1.0,
        dt.datetime: NOW + dt.timedelta(days=1),
        dt.date: NOW.date(),
        dt.timedelta: dt.timedelta(days=1),
    }
    for member in members:
        if member in table:
            return table[member]
        origin = typing.get_origin(member)
        if origin is not None and isinstance(origin, type):
            if issubclass(origin, dict) or origin.__name__ == "Mapping":
                return {}
            if origin.__name__ in ("Iterable", "Sequence", "list", "tuple"):
                return []
    return None


def _may_take_bool(hint: Any) -> bool:
    if hint is None or hint is Any or hint is object:
        return True
    return any(
        m is bool or m is Any or m is object or typing.get_origin(m) for m in _members(hint)
    )


class _Accepted(Exception):
    """Raised inside a block to roll back a call that legitimately succeeded."""


def _call(method: Method, h: Hostile, target: str, value: Any) -> object:
    """Call *method* with *value* in *target* (a parameter or a ``**fields`` name)."""
    hints = _hints(method)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in _parameters(method):
        name, kind = parameter.name, parameter.kind
        if kind is parameter.VAR_KEYWORD:
            if target in FIELDS.get(method.name, ()):
                kwargs[target] = value
            continue
        if name == target:
            chosen = value
        elif parameter.default is not parameter.empty:
            continue
        else:
            chosen = _ordinary(hints.get(name), h)
        if kind is parameter.POSITIONAL_ONLY:
            args.append(chosen)
        else:
            kwargs[name] = chosen

    def run(receiver: object) -> object:
        try:
            return getattr(receiver, method.name)(*args, **kwargs)
        except PortalkitError as exc:
            return exc

    if method.side == "admin":
        with h.portal.admin("acme") as admin:
            result = run(admin)
            if not isinstance(result, PortalkitError):
                raise _Accepted
            return result
    with h.portal.request("acme", session=h.session, client="203.0.113.9") as req:
        receiver = req if method.side == "request" else getattr(req, method.side)
        result = run(receiver)
        if not isinstance(result, PortalkitError):
            raise _Accepted
        return result


def _targets(method: Method) -> list[str]:
    names = [p.name for p in _parameters(method) if p.kind is not p.VAR_KEYWORD]
    if any(p.kind is p.VAR_KEYWORD for p in _parameters(method)):
        names += FIELDS.get(method.name, [])
    return names


@pytest.mark.parametrize("method", DRIVEN, ids=str)
def test_hostile_scalars_give_typed_errors_and_write_nothing(
    hostile: Hostile, method: Method
) -> None:
    """One hostile value in any parameter: a typed error, and not one row changes."""
    hints = _hints(method)

    @HOSTILE
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(_targets(method)), label="parameter")
        never = data.draw(st.booleans(), label="never storable")
        value = data.draw(NEVER_STORABLE if never else ODD, label="value")
        before = snapshot(hostile.storage)
        try:
            result = _call(method, hostile, target, value)
        except _Accepted:
            # Only a value the parameter may take can be accepted (then rolled back).
            if isinstance(value, bool):
                assert _may_take_bool(hints.get(target)), f"{method}({target}={value}) accepted"
            else:
                assert isinstance(value, int), f"{method}({target}={value!r}) accepted"
                assert -(2**63) <= value <= 0
            return
        assert isinstance(result, PortalkitError)
        after = snapshot(hostile.storage)
        if not never:
            # A well-typed value reaches the service, which may audit a denial
            # (an id that is not the caller's) and count the attempt against the
            # customer-side write limits: those are the only writes allowed.
            before.pop(AUDIT), after.pop(AUDIT)
            before.pop(THROTTLE, None), after.pop(THROTTLE, None)
        assert after == before, f"{method}({target}=…) wrote"

    attack()


def test_the_snapshot_sees_a_write(hostile: Hostile) -> None:
    """The "nothing written" check would notice a new row in any of two tables."""
    before = snapshot(hostile.storage)
    with hostile.portal.admin("acme") as admin:
        admin.add_organization("Snapshot check")
    assert snapshot(hostile.storage) != before
    before = snapshot(hostile.storage)
    with hostile.portal.admin("acme") as admin:
        admin.define_role("snapshot-check", [])
    assert snapshot(hostile.storage) != before


@HOSTILE
@given(value=NEVER_STORABLE | ODD, where=st.sampled_from(["tenant", "locale", "session", "client",
                                                           "user_agent"]))
def test_opening_a_request_with_hostile_values(hostile: Hostile, value: Any, where: str) -> None:
    """What the client sends (session cookie, address, User-Agent) is taken leniently:
    the request opens as the guest. A hostile tenant or locale is a typed error. Either
    way nothing is written."""
    before = snapshot(hostile.storage)
    kwargs = {"tenant": "acme", where: value}
    lenient = where in ("session", "client", "user_agent") and isinstance(value, str)
    try:
        with hostile.portal.request(**kwargs) as req:
            assert req.user is None
            req.sign_in("ann@city.example", "not the password")
    except (AuthenticationError, ThrottledError):
        pass  # the request opened (as the guest) and the sign-in failed, as it should
    except PortalkitError:
        assert not lenient, f"{where}={value!r} refused"
    after = snapshot(hostile.storage)
    before.pop(AUDIT), after.pop(AUDIT)  # a failed sign-in is audited
    for table in ("portalkit_throttle",):
        before.pop(table, None), after.pop(table, None)  # and counted
    assert after == before
