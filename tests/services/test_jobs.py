"""Jobs for customers (seed 002): search by date range, site and asset; keyset pages."""

from __future__ import annotations

import datetime as dt

import pytest

import portalkit
from portalkit._services.policy import load_policy
from portalkit.domain.fields import JOB, FieldOverride
from portalkit.errors import InvalidInputError, NotFoundError
from tests.services.documents_world import World, build_world, count_statements

DAY = dt.date(2026, 1, 1)


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The documents world (with jobs) on each storage adapter."""
    return build_world(portal)


def _in(world: World, *sites: str) -> set[int]:
    paths = [world.sites[s].path for s in sites]
    return {j.id for j in world.jobs_list if any(j.scope_path.startswith(p) for p in paths)}


def test_each_user_sees_the_jobs_of_their_scope(world: World) -> None:
    """Ann sees City Fleet's jobs, Dan North's, Hal Harbour's, Sam none."""
    for name, sites in (("ann", ("north", "south")), ("dan", ("north",)), ("hal", ("quay",))):
        page = world.jobs.list(world.who(name), size=200, with_total=True)
        assert {j.id for j in page} == _in(world, *sites)
        assert page.total == len(page.items)
    assert world.jobs.list(world.who("sam")).items == ()


def test_search_by_dates_site_asset_and_status(world: World) -> None:
    """Date range (both ends included), site, asset and status narrow the list."""
    ann = world.who("ann")
    dated = world.jobs.list(ann, scheduled_from=DAY, scheduled_to=DAY + dt.timedelta(days=3))
    assert {j.scheduled_on for j in dated} == {DAY, DAY + dt.timedelta(days=3)}
    at_south = world.jobs.list(ann, site=world.sites["south"].id, size=200)
    assert {j.id for j in at_south} == _in(world, "south")
    asset = world.assets["Depot North"]
    on_asset = world.jobs.list(ann, asset=asset.id, size=200)
    assert {j.asset_id for j in on_asset} == {asset.id}
    assert len(on_asset) == 2
    assert {j.status for j in world.jobs.list(ann, status="Scheduled", size=200)} == {"scheduled"}
    assert [j.number for j in world.jobs.list(ann, number="J-01")] == ["J-01"]
    assert world.jobs.list(ann, site=world.sites["quay"].id).items == ()


def test_jobs_page_in_a_stable_order(world: World) -> None:
    """Pages of 3 by scheduled date cover the list once, in the one-page order."""
    ann = world.who("ann")
    whole = [j.id for j in world.jobs.list(ann, size=200)]
    walked: list[int] = []
    cursor = None
    while True:
        page = world.jobs.list(ann, size=3, cursor=cursor)
        walked.extend(j.id for j in page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == whole


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": 201}, "size"),
        ({"sort": "notes"}, "sort"),
        ({"cursor": "x.y"}, "cursor"),
        ({"site": "north"}, "site"),
        ({"asset": 0}, "asset"),
        ({"scheduled_from": DAY, "scheduled_to": DAY - dt.timedelta(days=1)}, "scheduled_to"),
        ({"scheduled_from": "2026-01-01"}, "scheduled_from"),
        ({"status": []}, "status"),
    ],
)
def test_bad_job_search_is_invalid_input(
    world: World, kwargs: dict[str, object], field: str
) -> None:
    """Bad search input raises InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError) as caught:
        world.jobs.list(world.who("ann"), **kwargs)  # type: ignore[arg-type]
    assert field in caught.value.fields


def test_job_cursor_is_bound_to_its_principal(world: World) -> None:
    """Ann's cursor does not work for Dan."""
    page = world.jobs.list(world.who("ann"), size=2)
    with pytest.raises(InvalidInputError):
        world.jobs.list(world.who("dan"), size=2, cursor=page.next_cursor)


def test_job_detail_is_visible_exactly_when_listed(world: World) -> None:
    """get() finds exactly the listed jobs; others' jobs are NotFound like missing ones."""
    dan = world.who("dan")
    listed = {j.id for j in world.jobs.list(dan, size=200)}
    for job in world.jobs_list:
        if job.id in listed:
            assert world.jobs.get(dan, job.id) == job
        else:
            with pytest.raises(NotFoundError):
                world.jobs.get(dan, job.id)
    with pytest.raises(NotFoundError):
        world.jobs.get(dan, 10**9)


def test_jobs_feature_switched_off(world: World) -> None:
    """disabled_features={"job"} hides every job."""
    with world.portal.admin() as admin:
        admin.update_settings(disabled_features={"job"})
    assert world.jobs.list(world.who("ann")).items == ()


def test_job_projection_follows_field_settings(world: World) -> None:
    """Projected jobs hold only the fields the tenant shows, under their names."""
    with world.portal.admin() as admin:
        admin.update_settings(
            field_overrides=(FieldOverride(entity=JOB, field="notes", visible=False),)
        )
    ann = world.who("ann")
    with world.portal.storage.unit_of_work() as uow:
        policy = load_policy(uow, ann)
    rows = world.jobs.project(ann, world.jobs.list(ann, size=2, policy=policy), policy=policy)
    assert rows
    assert all("notes" not in row for row in rows)
    assert set(rows[0]) == {
        "id", "number", "status", "scheduled_on", "site_address", "po_number"
    }


def test_a_job_page_is_one_statement(world: World) -> None:
    """With the request's policy, a job page is ONE SQL statement (two with a total)."""
    if not hasattr(world.portal.storage, "engine"):
        pytest.skip("statement counts apply to SQL storage")
    ann = world.who("ann")
    with world.portal.storage.unit_of_work() as uow:
        policy = load_policy(uow, ann)
    with count_statements(world.portal) as statements:
        world.jobs.list(ann, site=world.sites["north"].id, policy=policy)
    assert len(statements) == 1
    with count_statements(world.portal) as statements:
        world.jobs.list(ann, with_total=True, policy=policy)
    assert len(statements) == 2
