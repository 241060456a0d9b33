"""Account views (seed 004), the asset list and defects (seed 002), KPI tiles (seed 001)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

import portalkit
from portalkit._services.accounts import AccountService
from portalkit._services.policy import load_policy
from portalkit.domain.fields import ASSET, FieldOverride
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.errors import InvalidInputError, NotFoundError
from portalkit.perms import ASSET_IDENTIFICATION_VIEW
from tests.services.documents_world import SECRET, World, build_world, count_statements

DAY = dt.date(2026, 1, 1)


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The documents world (with ledger, assets, defects) on each storage adapter."""
    return build_world(portal)


def test_summary_shows_balance_and_last_payment(world: World) -> None:
    """Ann sees City Fleet's balance and last payment; Hal sees Harbour's."""
    summary = world.accounts.summary(world.who("ann"))
    assert summary.organization_id == world.orgs["city"].id
    assert (summary.balance_cents, summary.currency) == (125_000, "USD")
    assert (summary.last_payment_cents, summary.last_payment_on) == (5000, DAY)
    assert world.accounts.summary(world.who("hal")).balance_cents == 990


def test_summary_of_another_organization_is_not_found(world: World) -> None:
    """Asking for another customer's account is NotFound, like a missing one."""
    with pytest.raises(NotFoundError):
        world.accounts.summary(world.who("ann"), organization=world.orgs["harbour"].id)
    with pytest.raises(NotFoundError):
        world.accounts.summary(world.who("ann"), organization=987654)
    with pytest.raises(NotFoundError):
        world.accounts.summary(world.who("sam"), organization=world.orgs["city"].id)


def test_summary_needs_the_account_permission_at_the_organization(world: World) -> None:
    """Dan's grant is at a division, so the organization's summary is not his."""
    with pytest.raises(NotFoundError):
        world.accounts.summary(world.who("dan"))


def test_user_of_several_organizations_must_choose(world: World) -> None:
    """A user with two organizations names one (or narrows the principal)."""
    with world.portal.admin() as admin:
        admin.grant(world.users["ann"], "customer", scope=world.orgs["harbour"])
    ann = world.who("ann")
    with pytest.raises(InvalidInputError) as caught:
        world.accounts.summary(ann)
    assert "organization" in caught.value.fields
    chosen = world.accounts.summary(ann, organization=world.orgs["harbour"].id)
    assert chosen.balance_cents == 990


def test_statements_by_date(world: World) -> None:
    """Statements are documents: listed by date range and picked for a chosen date."""
    ann = world.who("ann")
    statements = world.accounts.statements(ann)
    assert {d.kind for d in statements} == {"statement"}
    assert len(statements) == 2
    latest = max(statements, key=lambda d: (d.issued_on, d.id))
    assert latest.issued_on is not None
    assert world.accounts.statement_for(ann, latest.issued_on + dt.timedelta(days=30)) == latest
    with pytest.raises(NotFoundError):
        world.accounts.statement_for(ann, dt.date(2000, 1, 1))


def test_contracts_and_items_out_follow_scope(world: World) -> None:
    """Ann sees both City Fleet contracts; Dan only North's; items out likewise."""
    ann_contracts = world.accounts.contracts(world.who("ann"))
    assert [(c.number, c.status, c.items_out) for c in ann_contracts] == [
        ("C-0", "open", 2), ("C-1", "open", 2),
    ]
    dan = Principal(
        tenant_id=world.tenant_id, kind=PrincipalKind.USER, user_id=world.users["dan"],
    )
    assert [c.number for c in world.accounts.contracts(dan)] == ["C-0"]
    items = world.accounts.items_out(world.who("ann"), contract_number="C-1")
    assert [(i.item_number, i.quantity_out) for i in items] == [("IT-1", 2)]
    assert [i.contract_number for i in world.accounts.items_out(dan)] == ["C-0"]


class Figures:
    """A host's KPI source: fixed numbers, remembering what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[frozenset[str], Sequence[str]]] = []

    def values(
        self, tenant_id: int, keys: frozenset[str], scope_paths: Sequence[str]
    ) -> dict[str, int | float | str | None]:
        """Every key is worth 7."""
        self.asked.append((keys, scope_paths))
        return dict.fromkeys(keys, 7)


def test_kpi_tiles_are_the_groups_keys(world: World) -> None:
    """A group sees only the KPI keys granted to it, with values from the host port."""
    with world.portal.admin() as admin:
        managers = admin.add_group(
            "Managers", kpi_keys=["first_time_fix_calls", "equipment_in_service"]
        )
        admin.add_to_group(managers, world.users["dan"])
    figures = Figures()
    accounts = AccountService(
        world.portal.storage, policies=load_policy, documents=world.documents,
        secret_keys=[SECRET.encode()], kpis=figures,
    )
    tiles = accounts.kpi_tiles(world.who("dan"))
    assert [(t.key, t.label, t.value) for t in tiles] == [
        ("equipment_in_service", "Equipment In Service", 7),
        ("first_time_fix_calls", "First Time Fix Calls", 7),
    ]
    assert figures.asked[0][1] == [world.divisions["north"].path]
    assert accounts.kpi_tiles(world.who("ann")) == []


def test_asset_list_with_renamed_and_hidden_fields(world: World) -> None:
    """Assets are projected with the tenant's field settings (stored in its settings JSON)."""
    with world.portal.admin() as admin:
        admin.define_role("identify", [ASSET_IDENTIFICATION_VIEW])
        admin.grant(world.users["ann"], "identify", scope=world.orgs["city"])
        admin.update_settings(
            field_overrides=(
                FieldOverride(entity=ASSET, field="number", label="Fleet No."),
                FieldOverride(entity=ASSET, field="serial", visible=False),
            )
        )
    tenant = world.portal.tenant()
    assert tenant.settings.field_overrides[0].label == "Fleet No."
    ann = world.who("ann")
    page = world.accounts.assets(ann)
    assert [a.number for a in page] == ["A-100", "A-200"]
    rows = world.accounts.project_assets(ann, page)
    assert rows[0]["customer"] == "City Fleet"
    assert "serial" not in rows[0]
    assert rows[0]["number"] == "A-100"
    assert [a.number for a in world.accounts.assets(ann, number="a 100")] == ["A-100"]
    assert world.accounts.assets(world.who("dan"), number="A-200").items == ()


def test_defects_are_searchable_by_asset(world: World) -> None:
    """Defects are listed per asset within the principal's scope."""
    ann = world.who("ann")
    north_asset = world.assets["Depot North"]
    defects = world.accounts.defects(ann, asset=north_asset.id, with_total=True)
    assert {d.asset_id for d in defects} == {north_asset.id}
    assert defects.total == 2
    assert [d.number for d in world.accounts.defects(ann, status="open", sort="number")] == [
        "D-00", "D-10",
    ]
    quay_asset = world.assets["Quay"]
    assert world.accounts.defects(ann, asset=quay_asset.id).items == ()
    with pytest.raises(InvalidInputError):
        world.accounts.defects(ann, asset=-1)


def test_asset_and_defect_pages_are_one_statement(world: World) -> None:
    """With the request's policy, an asset or defect page is ONE SQL statement."""
    if not hasattr(world.portal.storage, "engine"):
        pytest.skip("statement counts apply to SQL storage")
    ann = world.who("ann")
    with world.portal.storage.unit_of_work() as uow:
        policy = load_policy(uow, ann)
    for call in (
        lambda: world.accounts.assets(ann, policy=policy),
        lambda: world.accounts.defects(ann, asset=world.assets["Depot North"].id, policy=policy),
    ):
        with count_statements(world.portal) as statements:
            call()
        assert len(statements) == 1
