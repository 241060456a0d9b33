"""Asset lookup through the portal: scoping, ambiguity, no leaks, throttling, the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit import perms
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.policy import NoAccess, Sections
from portalkit.domain.resolver import NOT_FOUND, Ambiguous, Found
from portalkit.errors import InvalidInputError, NotFoundError, ThrottledError

SECRET = "test-secret-key-that-is-long-enough-0123456789"
VIEWER = [perms.ASSET_VIEW, perms.ASSET_IDENTIFICATION_VIEW, perms.SERVICE_REQUEST_VIEW]


@attrs.frozen
class World:
    """Two served organizations, one unserved, another tenant, and their assets."""

    ann: portalkit.Principal
    dave: portalkit.Principal
    bare: portalkit.Principal
    city: portalkit.ScopeNode
    green: portalkit.ScopeNode
    unserved: portalkit.ScopeNode
    other_tenant_asset: portalkit.Asset


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """Ann sees City Fleet; Dave sees City's North division and Green Acres."""
    portal.create_tenant("rival", "Rival Co")
    with portal.admin("rival") as rival:
        rival_org = rival.add_organization("Rival Customer")
        rival_asset = rival.upsert_asset(number="RIVAL-1", plate="RIV 001", scope=rival_org)
    with portal.admin() as admin:
        admin.define_role("viewer", VIEWER)
        admin.define_role("finder", [perms.ASSET_VIEW])
        city = admin.add_organization("City Fleet")
        north = admin.add_scope(city, kind="division", name="North")
        south = admin.add_scope(city, kind="division", name="South")
        green = admin.add_organization("Green Acres")
        unserved = admin.add_organization("Not Served")
        admin.upsert_asset(number="T-100", plate="ABC 123", scope=north, external_key="c1")
        admin.upsert_asset(number="Z-1", scope=south, external_key="c2")
        admin.upsert_asset(number="A%B", plate="OI 100", scope=north, external_key="c3")
        admin.upsert_asset(number="T-100", scope=green, external_key="g1")
        admin.upsert_asset(number="HIDDEN-9", scope=unserved, external_key="u1")
        admin.upsert_asset(number="RIVAL-1", scope=green, external_key="g2", description="ours")
        ann = admin.create_user("ann@city.example", "Ann")
        dave = admin.create_user("dave@consult.example", "Dave")
        bare = admin.create_user("bare@city.example", "Bare")
        admin.grant(ann, "viewer", scope=city)
        admin.grant(ann, "viewer", scope=unserved)
        admin.grant(dave, "viewer", scope=north)
        admin.grant(dave, "viewer", scope=green)
        admin.grant(bare, "finder", scope=city)
        admin.update_settings(served_organization_ids=[city, green])
    return World(
        ann=portal.principal_for(ann),
        dave=portal.principal_for(dave),
        bare=portal.principal_for(bare),
        city=city,
        green=green,
        unserved=unserved,
        other_tenant_asset=rival_asset,
    )


def test_found_in_the_principals_organization(portal: portalkit.Portal, world: World) -> None:
    """Any spelling of a number or plate finds the one visible asset."""
    for text in ("T-100", "t 100", "abc-123", "ABC123", "\uff21\uff22\uff23 123"):
        result = portal.assets.resolve(world.ann, text)
        assert isinstance(result, Found), text
        assert result.asset.scope_path.startswith(world.city.path)


def test_ambiguous_lists_only_visible_organizations(portal: portalkit.Portal, world: World) -> None:
    """A number in two of the principal's organizations asks which; choosing resolves."""
    result = portal.assets.resolve(world.dave, "T100")
    assert isinstance(result, Ambiguous)
    assert [(c.organization_id, c.name) for c in result.candidates] == [
        (world.city.id, "City Fleet"),
        (world.green.id, "Green Acres"),
    ]
    chosen = portal.assets.resolve(world.dave, "T100", organization=world.green.id)
    assert isinstance(chosen, Found)
    assert chosen.asset.scope_path == world.green.path
    by_path = portal.assets.resolve(world.dave, "T100", organization=world.city.path)
    assert isinstance(by_path, Found)
    assert by_path.asset.scope_path.startswith(world.city.path)


def test_out_of_scope_is_not_found(portal: portalkit.Portal, world: World) -> None:
    """Outside the principal's scope, in an unserved organization or another tenant: NotFound."""
    assert portal.assets.resolve(world.dave, "Z-1") is NOT_FOUND  # South division
    assert portal.assets.resolve(world.ann, "HIDDEN-9") is NOT_FOUND  # unserved, though granted
    assert portal.assets.resolve(world.ann, "no-such-asset") is NOT_FOUND
    # The rival tenant's RIVAL-1 never shows; our own RIVAL-1 (Green Acres) does for Dave.
    assert portal.assets.resolve(world.ann, "RIVAL-1") is NOT_FOUND
    found = portal.assets.resolve(world.dave, "RIVAL-1")
    assert isinstance(found, Found)
    assert found.asset.id != world.other_tenant_asset.id
    assert found.asset.description == "ours"
    # Choosing an organization the principal cannot see is also just NotFound.
    assert portal.assets.resolve(world.ann, "T100", organization=world.green.id) is NOT_FOUND


def test_wildcards_match_literally(portal: portalkit.Portal, world: World) -> None:
    """``%``, ``_`` and ``*`` are ordinary characters, never patterns."""
    assert isinstance(portal.assets.resolve(world.ann, "a%b"), Found)
    for pattern in ("A_B", "a*b", "%", "_%_", "A%"):
        assert portal.assets.resolve(world.ann, pattern) is NOT_FOUND


def test_similar_characters_are_opt_in(portal: portalkit.Portal, world: World) -> None:
    """O/0 and I/1 on plates match only when the tenant switches it on."""
    assert portal.assets.resolve(world.ann, "01 1OO") is NOT_FOUND
    with portal.admin() as admin:
        admin.update_settings(lookup_fold_similar=True)
    assert isinstance(portal.assets.resolve(world.ann, "01 1OO"), Found)
    with portal.admin() as admin:
        admin.update_settings(lookup_plates=False)
    assert portal.assets.resolve(world.ann, "ABC 123") is NOT_FOUND


@pytest.mark.parametrize("text", ["", "   ", "x" * 65, "ab\x07c"])
def test_bad_input(portal: portalkit.Portal, world: World, text: str) -> None:
    """Bad input is a field error, before any query."""
    with pytest.raises(InvalidInputError):
        portal.assets.resolve(world.ann, text)


def test_lookups_are_throttled(portal: portalkit.Portal, world: World) -> None:
    """Hits and misses count; past the rate ThrottledError says how long to wait."""
    with portal.admin() as admin:
        admin.update_settings(lookup_rate=3)
    portal.assets.resolve(world.ann, "T-100")
    portal.assets.resolve(world.ann, "nope")
    portal.assets.resolve(world.ann, "T-100", client_key="203.0.113.9")
    with pytest.raises(ThrottledError) as info:
        portal.assets.resolve(world.ann, "T-100")
    assert info.value.retry_after > 0
    # Another principal from the same client address is limited by the client key.
    portal.assets.resolve(world.dave, "T-100", client_key="203.0.113.9")
    portal.assets.resolve(world.dave, "T-100", client_key="203.0.113.9")
    with pytest.raises(ThrottledError):
        portal.assets.resolve(world.dave, "T-100", client_key="203.0.113.9")
    assert isinstance(portal.clock, ManualClock)
    portal.clock.advance(minutes=5)
    assert isinstance(portal.assets.resolve(world.ann, "T-100"), Found)


def test_asset_page_sections(portal: portalkit.Portal, world: World) -> None:
    """After a hit, the page shows the allowed sections, or the no-access page."""
    found = portal.assets.resolve(world.ann, "T-100")
    assert isinstance(found, Found)
    sections = portal.assets.sections(world.ann, found.asset)
    assert isinstance(sections, Sections)
    assert sections.keys == ("identification", "outstanding_service_requests")
    bare = portal.assets.resolve(world.bare, "T-100")
    assert isinstance(bare, Found)
    assert isinstance(portal.assets.sections(world.bare, bare.asset), NoAccess)


def test_asset_fields_follow_tenant_visibility(portal: portalkit.Portal, world: World) -> None:
    """Fields come out under the tenant's labels; hidden ones are left out."""
    found = portal.assets.resolve(world.ann, "T-100")
    assert isinstance(found, Found)
    labels = dict(portal.assets.fields(world.ann, found.asset))
    assert labels["Asset ID"] == "T-100"
    assert labels["Customer"] == "City Fleet"
    assert "Licence plate" not in labels


def test_get_by_id_hides_other_customers_assets(portal: portalkit.Portal, world: World) -> None:
    """Opening an asset by id: not yours and not there are the same NotFoundError."""
    found = portal.assets.resolve(world.ann, "Z-1")
    assert isinstance(found, Found)
    assert portal.assets.get(world.ann, found.asset.id) == found.asset
    with pytest.raises(NotFoundError):
        portal.assets.get(world.dave, found.asset.id)
    with pytest.raises(NotFoundError):
        portal.assets.get(world.dave, 10**9)


@contextmanager
def _statements(portal: portalkit.Portal) -> Iterator[list[str]]:
    from sqlalchemy import event  # noqa: PLC0415

    engine = portal.storage.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    "portal", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_out_of_scope_and_missing_take_the_same_statements(
    portal: portalkit.Portal, world: World
) -> None:
    """The SQL for an asset that exists elsewhere equals the SQL for one that does not."""
    with _statements(portal) as hidden:
        assert portal.assets.resolve(world.dave, "Z-1") is NOT_FOUND
    with _statements(portal) as missing:
        assert portal.assets.resolve(world.dave, "Q-404") is NOT_FOUND
    assert hidden == missing
    assets_queries = [s for s in hidden if "FROM portalkit_assets" in s]
    assert len(assets_queries) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grants=st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=0, max_size=4),
    numbers=st.lists(st.sampled_from(["K-1", "K-2", "K 1", "k1"]), min_size=6, max_size=6),
    query=st.sampled_from(["K-1", "k 2", "K1", "nothing"]),
)
def test_resolve_never_returns_what_decide_denies(
    grants: list[tuple[int, bool]], numbers: list[str], query: str
) -> None:
    """Whatever the grants, a Found asset is one the policy allows; NotFound means none is."""
    portal = portalkit.Portal(MemoryStorage(), secret_key=SECRET, clock=ManualClock())
    with portal.admin() as admin:
        admin.define_role("finder", [perms.ASSET_VIEW])
        admin.define_role("other", [perms.JOB_VIEW])
        orgs = [admin.add_organization(f"Org {i}") for i in range(2)]
        sites = [admin.add_scope(orgs[i % 2], kind="site", name=f"S{i}") for i in range(4)]
        nodes = [*orgs, *sites]
        for i, number in enumerate(numbers):
            admin.upsert_asset(number=number, scope=nodes[i % len(nodes)])
        user = admin.create_user("u@example.com", "U")
        for node_index, useful in grants:
            admin.grant(user, "finder" if useful else "other", scope=nodes[node_index])
        every = admin.uow.assets.find(admin.tenant.id)
    principal = portal.principal_for(user)
    result = portal.assets.resolve(principal, query)
    allowed = [
        a
        for a in every
        if a.number_key == query.lower().replace("-", "").replace(" ", "")
        and portal.policy.decide(principal, perms.ASSET_VIEW, a).allowed
    ]
    if isinstance(result, Found):
        assert result.asset in allowed
    elif isinstance(result, Ambiguous):
        assert {c.organization_path for c in result.candidates} == {
            a.scope_path[: a.scope_path.index("/", 1) + 1] for a in allowed
        }
    else:
        assert allowed == []
