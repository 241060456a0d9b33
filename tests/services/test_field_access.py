"""One rule for the fields a principal sees (issue 20, finding 6).

A user who may list assets but not view their identification used to get the
asset page's "no access", yet the asset list, ``assets.fields()`` and the
example's asset page showed model, serial, customer ref and test history.
Every path now asks :func:`portalkit.domain.field_access.fields_for`, and the
identification fields appear exactly when the Identification section does.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit.domain.fields import ASSET, ENTITY_FIELDS, FieldOverride
from portalkit.domain.policy import NoAccess
from portalkit.errors import NotFoundError
from portalkit.perms import ASSET_IDENTIFICATION_VIEW
from tests.services.documents_world import World, build_world

#: The asset fields that belong to seed 000's Identification section.
IDENTIFICATION = frozenset(
    f.name for f in ENTITY_FIELDS[ASSET] if f.permission == ASSET_IDENTIFICATION_VIEW
)


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The documents world on each storage adapter (memory, SQLite, PostgreSQL)."""
    return build_world(portal)


def _show_everything(world: World) -> None:
    with world.portal.admin() as admin:
        admin.update_settings(
            field_overrides=tuple(
                FieldOverride(entity=ASSET, field=f.name, visible=True)
                for f in ENTITY_FIELDS[ASSET]
            )
        )


def test_identification_fields_need_the_identification_permission(world: World) -> None:
    """Without identification view: number and type only, on every path."""
    _show_everything(world)
    ann = world.who("ann")
    asset = world.assets["Depot North"]
    assert isinstance(world.portal.assets.sections(ann, asset), NoAccess)
    labels = [label for label, _ in world.portal.assets.fields(ann, asset)]
    assert labels == ["Asset ID", "Asset type"]
    rows = world.accounts.project_assets(ann, world.accounts.assets(ann))
    assert rows
    for row in rows:
        assert set(row) == {"id", "number", "asset_type"}
        assert "S-0" not in row.values()


def test_identification_fields_follow_the_grant_scope(world: World) -> None:
    """Identification held at one division shows the fields there and nowhere else."""
    _show_everything(world)
    with world.portal.admin() as admin:
        admin.define_role("identify", [ASSET_IDENTIFICATION_VIEW])
        admin.grant(world.users["ann"], "identify", scope=world.divisions["north"])
    ann = world.who("ann")
    rows = {r["number"]: r for r in world.accounts.project_assets(ann, world.accounts.assets(ann))}
    north = rows[world.assets["Depot North"].number]
    south = rows[world.assets["Depot South"].number]
    assert north["serial"] == "S-0"
    assert north["customer"] == "City Fleet"
    assert IDENTIFICATION.isdisjoint(south)


def test_jobs_projection_goes_through_the_same_rule(world: World) -> None:
    """Job fields need no extra permission: the tenant's settings decide, as before."""
    ann = world.who("ann")
    page = world.jobs.list(ann, size=3)
    rows = world.jobs.project(ann, page.items)
    assert [r["number"] for r in rows] == [j.number for j in page.items]
    assert all("job_type" not in r for r in rows)


@settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(identify=st.sampled_from([None, "city", "north", "south", "harbour"]))
def test_fields_agree_with_the_identification_section(world: World, identify: str | None) -> None:
    """Property: identification fields show for an asset iff its Identification section does."""
    grant = None
    with world.portal.admin() as admin:
        admin.define_role("identify", [ASSET_IDENTIFICATION_VIEW])
        if identify is not None:
            scope = world.orgs.get(identify) or world.divisions[identify]
            grant = admin.grant(world.users["ann"], "identify", scope=scope)
    ann = world.who("ann")
    for asset in world.assets.values():
        sections = world.portal.assets.sections(ann, asset)
        has_section = not isinstance(sections, NoAccess) and "identification" in sections.keys
        names = {label for label, _ in world.portal.assets.fields(ann, asset)}
        assert ("Serial #" in names or "Model number" in names) == has_section
    if grant is not None:
        with world.portal.admin() as admin:
            admin.revoke(grant)


def test_explain_agrees_with_what_the_principal_gets_for_documents(world: World) -> None:
    """explain() says Allowed exactly for the documents the principal can open."""
    for name in ("ann", "dan", "hal"):
        who = world.who(name)
        for document in world.docs:
            kind = world.portal.documents.kinds.get(document.kind)
            text = world.portal.policy.explain(who, kind.permission, document)
            try:
                world.documents.get(who, document.id)
            except NotFoundError:
                assert text.startswith("Denied"), (name, document.kind, document.status, text)
            else:
                assert text.startswith("Allowed"), (name, document.kind, document.status, text)


def test_explain_names_the_document_rule(world: World) -> None:
    """A draft invoice is explained by the draft rule, not by Ann's grants."""
    draft = next(d for d in world.docs if d.kind == "invoice" and d.status == "draft")
    text = world.portal.policy.explain(world.who("ann"), "invoice.view", draft)
    assert text == (
        "Denied (document not shown): Invoices in status 'draft' are never shown to customers."
    )
