"""The storage contract: what every adapter of :mod:`portalkit.ports` must do.

One class per port. An adapter's test module subclasses each class and
provides only a ``storage`` fixture (a fresh, migrated, empty storage); see
``test_memory.py``, ``test_sqlite.py`` and ``test_postgres.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, And, Eq, In, Not, Or, Range, ScopeUnder
from portalkit.domain.messages import BroadcastMessage, MessageRead, applies_to, is_live
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.sessions import Session
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConflictError,
    DuplicateKeyError,
    InvalidInputError,
    NotFoundError,
    PortalkitError,
)
from portalkit.ports import HeldAccess, Storage, UnitOfWork, UpsertCounts

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


# Helpers --------------------------------------------------------------------
def new_tenant(uow: UnitOfWork, slug: str = "acme") -> Tenant:
    """Add a tenant."""
    return uow.tenants.add(Tenant(id=0, slug=slug, name=slug.title()))


def org(uow: UnitOfWork, tenant: Tenant, name: str = "Org", key: str | None = None) -> ScopeNode:
    """Add an organization."""
    return uow.scopes.create(
        tenant_id=tenant.id, kind=ScopeKind.ORGANIZATION, name=name, parent=None, external_key=key
    )


def site(uow: UnitOfWork, parent: ScopeNode, name: str = "Site") -> ScopeNode:
    """Add a site below *parent*."""
    return uow.scopes.create(
        tenant_id=parent.tenant_id, kind=ScopeKind.SITE, name=name, parent=parent
    )


def make_asset(scope: ScopeNode, n: int, **kw: Any) -> Asset:
    """An asset at *scope* numbered *n*."""
    fields: dict[str, Any] = {
        "id": 0,
        "tenant_id": scope.tenant_id,
        "scope_id": scope.id,
        "scope_path": scope.path,
        "number": f"A-{n}",
        "number_key": f"a{n}",
        "external_key": f"asset-{n}",
    }
    fields.update(kw)
    return Asset(**fields)


def make_document(scope: ScopeNode, n: int, **kw: Any) -> Document:
    """A document at *scope* numbered *n*."""
    fields: dict[str, Any] = {
        "id": 0,
        "tenant_id": scope.tenant_id,
        "scope_id": scope.id,
        "scope_path": scope.path,
        "kind": "invoice",
        "status": "open",
        "number": f"D-{n}",
        "external_key": f"doc-{n}",
    }
    fields.update(kw)
    return Document(**fields)


def make_job(scope: ScopeNode, n: int, **kw: Any) -> Job:
    """A job at *scope* numbered *n*."""
    fields: dict[str, Any] = {
        "id": 0,
        "tenant_id": scope.tenant_id,
        "scope_id": scope.id,
        "scope_path": scope.path,
        "number": f"J-{n}",
        "status": "open",
        "external_key": f"job-{n}",
    }
    fields.update(kw)
    return Job(**fields)


def make_customer(organization: ScopeNode, n: int, **kw: Any) -> CustomerRecord:
    """A customer record behind *organization*."""
    fields: dict[str, Any] = {
        "id": 0,
        "tenant_id": organization.tenant_id,
        "organization_id": organization.id,
        "external_key": f"cust-{n}",
        "name": f"Customer {n}",
    }
    fields.update(kw)
    return CustomerRecord(**fields)


def make_user(tenant_id: int, n: int, **kw: Any) -> User:
    """A user numbered *n*."""
    fields: dict[str, Any] = {
        "id": 0,
        "tenant_id": tenant_id,
        "email": f"user{n}@example.com",
        "name": f"User {n}",
        "external_key": f"user-{n}",
    }
    fields.update(kw)
    return User(**fields)


#: Per repository: how to make its n-th record for a tenant (given an org and a site),
#: and a field to change in an update.
Factory = Callable[[UnitOfWork, ScopeNode, ScopeNode, int], Any]
FACTORIES: dict[str, tuple[Factory, str, Any]] = {
    "users": (lambda u, o, s, n: make_user(o.tenant_id, n), "name", "Renamed"),
    "roles": (
        lambda u, o, s, n: Role(id=0, tenant_id=o.tenant_id, name=f"role{n}",
                                permissions=frozenset({"a.view", "b.edit"})),
        "permissions",
        frozenset({"c.view"}),
    ),
    "groups": (
        lambda u, o, s, n: Group(id=0, tenant_id=o.tenant_id, name=f"group{n}",
                                 kpi_keys=frozenset({"k1"})),
        "kpi_keys",
        frozenset(),
    ),
    "memberships": (
        lambda u, o, s, n: Membership(id=0, tenant_id=o.tenant_id, group_id=n, user_id=n),
        "user_id",
        999,
    ),
    "grants": (
        lambda u, o, s, n: Grant(id=0, tenant_id=o.tenant_id, role_id=n, scope_id=s.id,
                                 scope_path=s.path, user_id=n),
        "role_id",
        999,
    ),
    "assets": (lambda u, o, s, n: make_asset(s, n), "plate", "XYZ 1"),
    "documents": (lambda u, o, s, n: make_document(s, n, created_at=T0), "status", "paid"),
    "jobs": (lambda u, o, s, n: make_job(s, n), "notes", "call first"),
    "customers": (lambda u, o, s, n: make_customer(o, n), "portal_enabled", True),
    "audit": (
        lambda u, o, s, n: AuditEntry(id=0, tenant_id=o.tenant_id, at=T0, action=f"act{n}",
                                      outcome="ok", scope_path=s.path, detail={"k": "v"}),
        "outcome",
        "denied",
    ),
    "outbox": (
        lambda u, o, s, n: OutboxEvent(id=0, tenant_id=o.tenant_id, topic=f"t{n}",
                                       payload={"n": n, "nested": {"a": [1, 2]}}, created_at=T0),
        "delivered_at",
        T0 + dt.timedelta(hours=1),
    ),
}
REPOSITORIES = sorted(FACTORIES)
KEYED = ["assets", "customers", "documents", "jobs", "users"]
SCOPED = ["assets", "documents", "grants", "jobs"]


def repo(uow: UnitOfWork, name: str) -> Any:
    """The repository called *name* on *uow*."""
    return getattr(uow, name)


def setup_tenant(storage: Storage, slug: str = "acme") -> tuple[Tenant, ScopeNode, ScopeNode]:
    """Commit a tenant with one organization and one site below it."""
    with storage.unit_of_work() as uow:
        tenant = new_tenant(uow, slug)
        organization = org(uow, tenant, key=f"{slug}-org")
        depot = site(uow, organization, "Depot")
        uow.commit()
    return tenant, organization, depot


# Unit of work ----------------------------------------------------------------
class UnitOfWorkContract:
    """Atomicity: commit keeps everything, anything else keeps nothing."""

    def test_commit_persists(self, storage: Storage) -> None:
        """Writes committed in one unit are visible in the next."""
        tenant, _, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            uow.assets.add(make_asset(depot, 1))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.assets.count(tenant.id) == 1

    def test_leaving_without_commit_rolls_back(self, storage: Storage) -> None:
        """A unit left without commit leaves nothing behind."""
        tenant, _, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            uow.assets.add(make_asset(depot, 1))
            new_tenant(uow, "other")
        with storage.unit_of_work() as uow:
            assert uow.assets.count(tenant.id) == 0
            assert uow.tenants.get_by_slug("other") is None

    def test_exception_rolls_back(self, storage: Storage) -> None:
        """An exception inside the block discards every write of the unit."""
        tenant, _, depot = setup_tenant(storage)


        def fail_midway() -> None:
            with storage.unit_of_work() as uow:
                uow.assets.add(make_asset(depot, 1))
                uow.documents.add(make_document(depot, 1))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            fail_midway()
        with storage.unit_of_work() as uow:
            assert uow.assets.count(tenant.id) == 0
            assert uow.documents.count(tenant.id) == 0

    def test_rollback_discards_and_unit_goes_on(self, storage: Storage) -> None:
        """rollback() discards uncommitted writes; the unit can write and commit after."""
        tenant, _, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            uow.assets.add(make_asset(depot, 1))
            uow.rollback()
            assert uow.assets.count(tenant.id) == 0
            uow.assets.add(make_asset(depot, 2))
            uow.commit()
            uow.assets.add(make_asset(depot, 3))
        with storage.unit_of_work() as uow:
            assert [a.number for a in uow.assets.find(tenant.id)] == ["A-2"]

    def test_conflict_leaves_unit_usable(self, storage: Storage) -> None:
        """After a ConflictError the unit keeps its earlier writes and can commit."""
        tenant, _, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            uow.assets.add(make_asset(depot, 1))
            with pytest.raises(ConflictError):
                uow.assets.add(make_asset(depot, 2, external_key="asset-1"))
            uow.assets.add(make_asset(depot, 3))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert sorted(a.number for a in uow.assets.find(tenant.id)) == ["A-1", "A-3"]

    def test_check_and_upgrade_on_current_schema(self, storage: Storage) -> None:
        """check() passes and upgrade() is a no-op on a current storage."""
        storage.check()
        storage.upgrade()
        storage.check()


# Tenants ---------------------------------------------------------------------
class TenantContract:
    """The tenants repository."""

    def test_add_get_and_settings_round_trip(self, storage: Storage) -> None:
        """A tenant comes back equal, settings (frozensets, None) included."""
        settings = TenantSettings(
            login_required=False,
            guest_user_id=7,
            served_organization_ids=frozenset({3, 1}),
            disabled_features=frozenset({"invoice", "report"}),
            base_url="https://portal.example",
        )
        with storage.unit_of_work() as uow:
            tenant = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme", settings=settings))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.tenants.get(tenant.id) == tenant
            assert uow.tenants.get_by_slug("acme") == tenant
            assert uow.tenants.get(tenant.id + 1000) is None
            assert uow.tenants.get_by_slug("nope") is None

    def test_slug_conflict(self, storage: Storage) -> None:
        """A second tenant with a taken slug raises ConflictError."""
        with storage.unit_of_work() as uow:
            new_tenant(uow, "acme")
            with pytest.raises(ConflictError):
                new_tenant(uow, "acme")

    def test_update_and_list(self, storage: Storage) -> None:
        """update() replaces name and settings; list() gives every tenant by id."""
        with storage.unit_of_work() as uow:
            a = new_tenant(uow, "a")
            b = new_tenant(uow, "b")
            changed = attrs.evolve(a, name="A2", settings=TenantSettings(portal_enabled=False))
            uow.tenants.update(changed)
            assert uow.tenants.list() == [changed, b]

    def test_update_missing_raises(self, storage: Storage) -> None:
        """Updating a tenant that does not exist raises NotFoundError."""
        with storage.unit_of_work() as uow, pytest.raises(NotFoundError):
            uow.tenants.update(Tenant(id=424242, slug="x", name="X"))


# Every record repository -------------------------------------------------------
class RepositoryContract:
    """add/get/update/delete/find/count, the same for every record type."""

    @pytest.mark.parametrize("name", REPOSITORIES)
    def test_add_get_update_delete(self, storage: Storage, name: str) -> None:
        """A record round-trips unchanged, updates replace it, delete removes it."""
        factory, field, new_value = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            stored = repo(uow, name).add(factory(uow, organization, depot, 1))
            assert stored.id > 0
            assert repo(uow, name).get(tenant.id, stored.id) == stored
            uow.commit()
        with storage.unit_of_work() as uow:
            assert repo(uow, name).get(tenant.id, stored.id) == stored
            changed = attrs.evolve(stored, **{field: new_value})
            repo(uow, name).update(changed)
            assert repo(uow, name).get(tenant.id, stored.id) == changed
            assert repo(uow, name).delete(tenant.id, stored.id) is True
            assert repo(uow, name).delete(tenant.id, stored.id) is False
            assert repo(uow, name).get(tenant.id, stored.id) is None

    @pytest.mark.parametrize("name", REPOSITORIES)
    def test_update_missing_raises(self, storage: Storage, name: str) -> None:
        """Updating a record that does not exist raises NotFoundError."""
        factory, _, _ = FACTORIES[name]
        _, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow, pytest.raises(NotFoundError):
            repo(uow, name).update(attrs.evolve(factory(uow, organization, depot, 1), id=98765))

    @pytest.mark.parametrize("name", REPOSITORIES)
    def test_tenant_isolation(self, storage: Storage, name: str) -> None:
        """Records of tenant A never come back, change or vanish through tenant B."""
        factory, field, new_value = FACTORIES[name]
        tenant_a, org_a, site_a = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            stored = repo(uow, name).add(factory(uow, org_a, site_a, 1))
            uow.commit()
        with storage.unit_of_work() as uow:
            r = repo(uow, name)
            assert r.get(tenant_b.id, stored.id) is None
            assert r.find(tenant_b.id) == []
            assert r.count(tenant_b.id) == 0
            assert r.delete(tenant_b.id, stored.id) is False
            with pytest.raises(NotFoundError):
                r.update(attrs.evolve(stored, tenant_id=tenant_b.id, **{field: new_value}))
            if name in KEYED:
                assert r.get_by_external_key(tenant_b.id, stored.external_key) is None
            if name in SCOPED:
                assert r.rewrite_scope_prefix(tenant_b.id, org_a.path, "/org:999/") == 0
            assert r.get(tenant_a.id, stored.id) == stored
            assert r.find(tenant_a.id) == [stored]

    @pytest.mark.parametrize("name", REPOSITORIES)
    def test_unknown_field_raises(self, storage: Storage, name: str) -> None:
        """A filter or sort on a field the record lacks raises InvalidInputError."""
        factory, _, _ = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            repo(uow, name).add(factory(uow, organization, depot, 1))
            with pytest.raises(InvalidInputError):
                repo(uow, name).find(tenant.id, Eq("no_such_field", 1))
            with pytest.raises(InvalidInputError):
                repo(uow, name).count(tenant.id, Not(In("no_such_field", (1,))))
            with pytest.raises(InvalidInputError):
                repo(uow, name).find(tenant.id, order_by=("-no_such_field",))


# Keyed records --------------------------------------------------------------------
class KeyedContract:
    """get_by_external_key and upsert_many, for every keyed record type."""

    @pytest.mark.parametrize("name", KEYED)
    def test_upsert_counts_and_idempotency(self, storage: Storage, name: str) -> None:
        """New keys insert, known keys update; repeating a batch only updates."""
        factory, field, new_value = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            r = repo(uow, name)
            first = [factory(uow, organization, depot, n) for n in range(3)]
            assert r.upsert_many(tenant.id, first) == UpsertCounts(inserted=3, updated=0)
            uow.commit()
        with storage.unit_of_work() as uow:
            r = repo(uow, name)
            second = [
                attrs.evolve(factory(uow, organization, depot, n), **{field: new_value})
                for n in range(1, 5)
            ]
            assert r.upsert_many(tenant.id, second) == UpsertCounts(inserted=2, updated=2)
            assert r.upsert_many(tenant.id, second) == UpsertCounts(inserted=0, updated=4)
            assert r.count(tenant.id) == 5
            uow.commit()
        with storage.unit_of_work() as uow:
            r = repo(uow, name)
            key0 = first[0].external_key
            assert getattr(r.get_by_external_key(tenant.id, key0), field) == getattr(
                first[0], field
            )
            for record in second:
                got = r.get_by_external_key(tenant.id, record.external_key)
                assert got is not None
                assert got == attrs.evolve(record, id=got.id)
            assert r.get_by_external_key(tenant.id, "missing") is None
            assert r.upsert_many(tenant.id, []) == UpsertCounts()

    @pytest.mark.parametrize("name", KEYED)
    def test_upsert_keeps_ids(self, storage: Storage, name: str) -> None:
        """An update by external key keeps the record's id."""
        factory, field, new_value = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            r = repo(uow, name)
            r.upsert_many(tenant.id, [factory(uow, organization, depot, 1)])
            before = r.get_by_external_key(tenant.id, factory(uow, organization, depot, 1)
                                           .external_key)
            changed = attrs.evolve(factory(uow, organization, depot, 1), **{field: new_value})
            r.upsert_many(tenant.id, [changed])
            after = r.get(tenant.id, before.id)
            assert after == attrs.evolve(changed, id=before.id)

    @pytest.mark.parametrize("name", KEYED)
    def test_duplicate_keys_in_batch_write_nothing(self, storage: Storage, name: str) -> None:
        """A batch repeating a key raises DuplicateKeyError naming it; nothing is written."""
        factory, _, _ = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            batch = [factory(uow, organization, depot, n) for n in (1, 2)]
            batch.append(attrs.evolve(factory(uow, organization, depot, 3),
                                      external_key=batch[0].external_key))
            with pytest.raises(DuplicateKeyError) as info:
                repo(uow, name).upsert_many(tenant.id, batch)
            assert info.value.keys == [batch[0].external_key]
            assert repo(uow, name).count(tenant.id) == 0

    @pytest.mark.parametrize("name", KEYED)
    def test_external_key_conflict_on_add(self, storage: Storage, name: str) -> None:
        """Adding a second record with a taken external key raises ConflictError."""
        factory, _, _ = FACTORIES[name]
        _, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            repo(uow, name).add(factory(uow, organization, depot, 1))
            twin = attrs.evolve(
                factory(uow, organization, depot, 2),
                external_key=factory(uow, organization, depot, 1).external_key,
            )
            with pytest.raises(ConflictError):
                repo(uow, name).add(twin)

    @pytest.mark.parametrize("name", KEYED)
    def test_same_key_in_two_tenants(self, storage: Storage, name: str) -> None:
        """External keys are unique per tenant, not across tenants."""
        factory, _, _ = FACTORIES[name]
        tenant_a, org_a, site_a = setup_tenant(storage, "a")
        tenant_b, org_b, site_b = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            a = repo(uow, name).add(factory(uow, org_a, site_a, 1))
            b = repo(uow, name).add(factory(uow, org_b, site_b, 1))
            assert repo(uow, name).get_by_external_key(tenant_a.id, a.external_key) == a
            assert repo(uow, name).get_by_external_key(tenant_b.id, a.external_key) == b


# Scoped records --------------------------------------------------------------------
class ScopedContract:
    """rewrite_scope_prefix on every record bound to a scope."""

    @pytest.mark.parametrize("name", SCOPED)
    def test_rewrite_scope_prefix(self, storage: Storage, name: str) -> None:
        """Only records at or below the old prefix move; look-alike prefixes stay."""
        factory, _, _ = FACTORIES[name]
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            org_path = organization.path
            lookalike = attrs.evolve(depot, path=org_path[:-1] + "0/")  # "/org:10/" vs "/org:1/"
            deeper = attrs.evolve(depot, path=depot.path + "site:77/")
            for n, node in enumerate((organization, depot, deeper, lookalike)):
                record = attrs.evolve(factory(uow, organization, node, n), scope_path=node.path)
                repo(uow, name).add(record)
            moved = repo(uow, name).rewrite_scope_prefix(tenant.id, org_path, "/org:5/grp:9/")
            assert moved == 3
            paths = sorted(r.scope_path for r in repo(uow, name).find(tenant.id))
            tail = depot.path[len(org_path):]
            assert paths == sorted([
                "/org:5/grp:9/",
                "/org:5/grp:9/" + tail,
                "/org:5/grp:9/" + tail + "site:77/",
                lookalike.path,
            ])


# Scopes -------------------------------------------------------------------------
class ScopeContract:
    """The scope tree repository."""

    def test_create_computes_paths(self, storage: Storage) -> None:
        """create() gives organizations /org:<id>/ and children the parent's path + segment."""
        with storage.unit_of_work() as uow:
            tenant = new_tenant(uow)
            root = org(uow, tenant, key="c-1")
            division = uow.scopes.create(
                tenant_id=tenant.id, kind=ScopeKind.DIVISION, name="North", parent=root
            )
            leaf = site(uow, division, "Depot")
            assert root.path == f"/org:{root.id}/"
            assert root.parent_id is None
            assert division.path == f"{root.path}div:{division.id}/"
            assert leaf.path == f"{division.path}site:{leaf.id}/"
            assert leaf.parent_id == division.id
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.scopes.get(tenant.id, leaf.id) == leaf
            assert uow.scopes.get_by_external_key(tenant.id, "c-1") == root
            below = uow.scopes.find(tenant.id, ScopeUnder(root.path, field="path"))
            assert [n.id for n in below] == sorted([root.id, division.id, leaf.id])

    def test_get_many(self, storage: Storage) -> None:
        """get_many keeps the order asked, drops unknown ids and other tenants' nodes."""
        _, org_a, site_a = setup_tenant(storage, "a")
        tenant_b, org_b, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            got = uow.scopes.get_many(org_a.tenant_id, [site_a.id, 99999, org_a.id, site_a.id])
            assert got == [site_a, org_a]
            assert uow.scopes.get_many(tenant_b.id, [org_a.id]) == []
            assert uow.scopes.get_many(tenant_b.id, []) == []
            assert uow.scopes.get_many(tenant_b.id, [org_b.id]) == [org_b]

    def test_get_many_by_external_key(self, storage: Storage) -> None:
        """get_many_by_external_key finds this tenant's keyed nodes only."""
        _, org_a, _ = setup_tenant(storage, "a")
        tenant_b, org_b, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            assert uow.scopes.get_many_by_external_key(org_a.tenant_id, ["a-org", "b-org"]) == [
                org_a
            ]
            assert uow.scopes.get_many_by_external_key(tenant_b.id, ["b-org", "x"]) == [org_b]
            assert uow.scopes.get_many_by_external_key(tenant_b.id, []) == []

    def test_external_key_conflict(self, storage: Storage) -> None:
        """Two nodes of one tenant cannot share an external key."""
        with storage.unit_of_work() as uow:
            tenant = new_tenant(uow)
            org(uow, tenant, key="k")
            with pytest.raises(ConflictError):
                org(uow, tenant, name="Other", key="k")

    def test_rewrite_scope_prefix_moves_subtree(self, storage: Storage) -> None:
        """Moving a subtree rewrites the paths of the node and its descendants only."""
        with storage.unit_of_work() as uow:
            tenant = new_tenant(uow)
            one = org(uow, tenant, "One")
            two = org(uow, tenant, "Two")
            division = uow.scopes.create(
                tenant_id=tenant.id, kind=ScopeKind.DIVISION, name="D", parent=one
            )
            leaf = site(uow, division)
            sibling = site(uow, one, "Sibling")
            new_prefix = f"{two.path}div:{division.id}/"
            assert uow.scopes.rewrite_scope_prefix(tenant.id, division.path, new_prefix) == 2
            assert uow.scopes.get(tenant.id, leaf.id).path == f"{new_prefix}site:{leaf.id}/"
            assert uow.scopes.get(tenant.id, division.id).path == new_prefix
            assert uow.scopes.get(tenant.id, sibling.id) == sibling
            assert uow.scopes.get(tenant.id, two.id) == two


# Users, roles, groups, memberships ----------------------------------------------
class UserContract:
    """Users: by email, unique email and username per tenant."""

    def test_get_by_email(self, storage: Storage) -> None:
        """get_by_email finds this tenant's user only."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant_a.id, 1, email="ann@example.com",
                                          created_at=T0, phone="+15551234567"))
            assert uow.users.get_by_email(tenant_a.id, "ann@example.com") == ann
            assert uow.users.get_by_email(tenant_b.id, "ann@example.com") is None
            assert uow.users.get_by_email(tenant_a.id, "bob@example.com") is None

    def test_lock_reads_this_tenants_users_by_id(self, storage: Storage) -> None:
        """lock() returns the current rows of this tenant's users, by id, unknown ids left out."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant_a.id, 1))
            bob = uow.users.add(make_user(tenant_a.id, 2))
            other = uow.users.add(make_user(tenant_b.id, 1))
            uow.users.update(attrs.evolve(ann, name="Ann Again"))
            got = uow.users.lock(tenant_a.id, [bob.id, ann.id, other.id, 999_999, bob.id])
            assert [u.id for u in got] == sorted([ann.id, bob.id])
            assert got[0 if ann.id < bob.id else 1].name == "Ann Again"
            assert uow.users.lock(tenant_a.id, []) == []

    def test_unique_email_and_username(self, storage: Storage) -> None:
        """Email and username are unique per tenant; missing usernames never clash."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            uow.users.add(make_user(tenant_a.id, 1, username="ann"))
            uow.users.add(make_user(tenant_a.id, 2))
            uow.users.add(make_user(tenant_a.id, 3))
            uow.users.add(make_user(tenant_b.id, 1, username="ann"))
            with pytest.raises(ConflictError):
                uow.users.add(make_user(tenant_a.id, 4, email="user1@example.com"))
            with pytest.raises(ConflictError):
                uow.users.add(make_user(tenant_a.id, 5, username="ann"))
            second = uow.users.get_by_email(tenant_a.id, "user2@example.com")
            with pytest.raises(ConflictError):
                uow.users.update(attrs.evolve(second, email="user1@example.com"))
            assert uow.users.count(tenant_a.id) == 3

    def test_add_or_activate_creates_or_gives_the_first_password(
        self, storage: Storage
    ) -> None:
        """A new address: the user is created. The passwordless user named: only its
        password and stamp change. Another tenant's same address is not touched."""
        tenant, _, _ = setup_tenant(storage, "a")
        other, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            staff_made = uow.users.add(make_user(tenant.id, 1, name="Staff Made",
                                                 external_key="k-1", created_at=T0))
            twin = uow.users.add(make_user(other.id, 1))
            uow.commit()
        with storage.unit_of_work() as uow:
            fresh = uow.users.add_or_activate(
                make_user(tenant.id, 2, password_hash="h2", security_stamp="s2"), None
            )
            assert fresh is not None
            assert fresh == uow.users.get(tenant.id, fresh.id)
            assert (fresh.email, fresh.password_hash, fresh.security_stamp) == (
                "user2@example.com", "h2", "s2")
            offer = make_user(tenant.id, 1, name="Invited Name", external_key=None,
                              password_hash="h1", security_stamp="s1")
            activated = uow.users.add_or_activate(offer, staff_made.id)
            assert activated == attrs.evolve(staff_made, password_hash="h1",
                                             security_stamp="s1")
            assert uow.users.get(tenant.id, staff_made.id) == activated
            assert uow.users.get(other.id, twin.id) == twin
            assert uow.users.count(tenant.id) == 2
            uow.commit()

    def test_add_or_activate_refuses_what_changed_since_it_was_read(
        self, storage: Storage
    ) -> None:
        """None, and nothing written, when the address has a user that is not the one
        named (one appeared since the read) or has a password by now."""
        tenant, _, _ = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            bare = uow.users.add(make_user(tenant.id, 1))
            done = uow.users.add(make_user(tenant.id, 2, password_hash="old"))
            uow.commit()
        with storage.unit_of_work() as uow:
            users = uow.users
            assert users.add_or_activate(make_user(tenant.id, 1, password_hash="h"), None) is None
            assert users.add_or_activate(make_user(tenant.id, 1, password_hash="h"),
                                         done.id) is None
            assert users.add_or_activate(make_user(tenant.id, 2, password_hash="h"),
                                         done.id) is None
            assert users.get(tenant.id, bare.id) == bare
            assert users.get(tenant.id, done.id) == done
            assert users.count(tenant.id) == 2

    def test_datetimes_are_aware_utc(self, storage: Storage) -> None:
        """Datetimes come back timezone-aware and the same instant, whatever zone went in."""
        tenant, _, _ = setup_tenant(storage)
        berlin = dt.timezone(dt.timedelta(hours=2))
        with storage.unit_of_work() as uow:
            user = uow.users.add(make_user(tenant.id, 1, created_at=T0.astimezone(berlin)))
            got = uow.users.get(tenant.id, user.id)
            assert got is not None
            assert got.created_at == T0
            assert got.created_at.tzinfo is not None


class NamedContract:
    """Roles and groups: found by name, unique by name per tenant."""

    @pytest.mark.parametrize("name", ["roles", "groups"])
    def test_get_by_name_and_conflict(self, storage: Storage, name: str) -> None:
        """get_by_name finds this tenant's record; a second of the same name conflicts."""
        factory, _, _ = FACTORIES[name]
        tenant_a, org_a, site_a = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            stored = repo(uow, name).add(factory(uow, org_a, site_a, 1))
            assert repo(uow, name).get_by_name(tenant_a.id, stored.name) == stored
            assert repo(uow, name).get_by_name(tenant_b.id, stored.name) is None
            assert repo(uow, name).get_by_name(tenant_a.id, "nope") is None
            with pytest.raises(ConflictError):
                repo(uow, name).add(factory(uow, org_a, site_a, 1))


class MembershipContract:
    """Memberships: one per user and group."""

    def test_duplicate_membership_conflicts(self, storage: Storage) -> None:
        """The same user cannot join the same group twice."""
        tenant, _, _ = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            uow.memberships.add(Membership(id=0, tenant_id=tenant.id, group_id=1, user_id=2))
            uow.memberships.add(Membership(id=0, tenant_id=tenant.id, group_id=1, user_id=3))
            with pytest.raises(ConflictError):
                uow.memberships.add(Membership(id=0, tenant_id=tenant.id, group_id=1, user_id=2))
            assert uow.memberships.count(tenant.id, Eq("group_id", 1)) == 2


class GrantContract:
    """Grants: held by a user or a group, found by holder and scope."""

    def test_find_by_holder_and_scope(self, storage: Storage) -> None:
        """Grants filter by user, by group (NULL-aware) and by scope subtree."""
        tenant, organization, depot = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            mk = lambda **kw: uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=1, **kw))  # noqa: E731
            g1 = mk(scope_id=organization.id, scope_path=organization.path, user_id=5)
            g2 = mk(scope_id=depot.id, scope_path=depot.path, group_id=6)
            g3 = mk(scope_id=depot.id, scope_path=depot.path, user_id=7)
            assert uow.grants.find(tenant.id, Or((Eq("user_id", 5), Eq("group_id", 6)))) == [
                g1, g2
            ]
            assert uow.grants.find(tenant.id, Not(Eq("user_id", 5))) == [g2, g3]
            assert uow.grants.find(tenant.id, Eq("group_id", None)) == [g1, g3]
            assert uow.grants.find(tenant.id, ScopeUnder(depot.path)) == [g2, g3]


class HeldContract:
    """What users hold, read at once: their groups, and grants direct or through a group."""

    def test_groups_and_held_grants_of_users(self, storage: Storage) -> None:
        """Direct and group grants come with their roles; others' and other tenants' never."""
        tenant, organization, depot = setup_tenant(storage)
        other, other_org, _ = setup_tenant(storage, "other")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant.id, 1))
            bob = uow.users.add(make_user(tenant.id, 2))
            eve = uow.users.add(make_user(other.id, 3))
            fleet = uow.roles.add(Role(id=0, tenant_id=tenant.id, name="fleet",
                                       permissions=frozenset({"asset.view"})))
            jobs = uow.roles.add(Role(id=0, tenant_id=tenant.id, name="jobs",
                                      permissions=frozenset({"job.view"})))
            theirs = uow.roles.add(Role(id=0, tenant_id=other.id, name="fleet",
                                        permissions=frozenset({"asset.view"})))
            managers = uow.groups.add(Group(id=0, tenant_id=tenant.id, name="managers"))
            outsiders = uow.groups.add(Group(id=0, tenant_id=other.id, name="managers"))
            in_managers = uow.memberships.add(
                Membership(id=0, tenant_id=tenant.id, group_id=managers.id, user_id=ann.id)
            )
            uow.memberships.add(
                Membership(id=0, tenant_id=other.id, group_id=outsiders.id, user_id=eve.id)
            )
            direct = uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=fleet.id,
                                          scope_id=depot.id, scope_path=depot.path,
                                          user_id=ann.id))
            via_group = uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=jobs.id,
                                             scope_id=organization.id,
                                             scope_path=organization.path,
                                             group_id=managers.id))
            uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=fleet.id,
                                 scope_id=depot.id, scope_path=depot.path, user_id=bob.id))
            uow.grants.add(Grant(id=0, tenant_id=other.id, role_id=theirs.id,
                                 scope_id=other_org.id, scope_path=other_org.path,
                                 group_id=outsiders.id))
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            assert uow.memberships.with_groups(tenant.id, [ann.id]) == [(in_managers, managers)]
            assert uow.memberships.with_groups(tenant.id, [bob.id]) == []
            assert uow.memberships.with_groups(tenant.id, [eve.id]) == []  # another tenant's
            assert uow.memberships.with_groups(tenant.id, []) == []
            held = sorted(uow.grants.held_by(tenant.id, [ann.id]), key=lambda p: p[0].id)
            assert held == [(direct, fleet), (via_group, jobs)]
            assert [g.user_id for g, _ in uow.grants.held_by(tenant.id, [bob.id])] == [bob.id]
            assert uow.grants.held_by(tenant.id, [eve.id]) == []
            assert uow.grants.held_by(other.id, [ann.id]) == []
            assert uow.grants.held_by(tenant.id, []) == []

    def test_access_of_users_in_one_read(self, storage: Storage) -> None:
        """access_of: the same memberships and grants as the two reads, with each grant's
        organization node once; another tenant's rows and its organizations never."""
        tenant, organization, depot = setup_tenant(storage)
        other, other_org, _ = setup_tenant(storage, "other")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant.id, 1))
            eve = uow.users.add(make_user(other.id, 3))
            fleet = uow.roles.add(Role(id=0, tenant_id=tenant.id, name="fleet",
                                       permissions=frozenset({"asset.view"})))
            managers = uow.groups.add(Group(id=0, tenant_id=tenant.id, name="managers",
                                            kpi_keys=frozenset({"spend"})))
            uow.memberships.add(
                Membership(id=0, tenant_id=tenant.id, group_id=managers.id, user_id=ann.id)
            )
            for node in (depot, organization):
                uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=fleet.id,
                                     scope_id=node.id, scope_path=node.path, user_id=ann.id))
            uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=fleet.id,
                                 scope_id=depot.id, scope_path=depot.path,
                                 group_id=managers.id))
            # A grant whose organization is gone (a malformed path): no node for it.
            uow.grants.add(Grant(id=0, tenant_id=tenant.id, role_id=fleet.id,
                                 scope_id=depot.id, scope_path="/org:999999/", user_id=ann.id))
            theirs = uow.roles.add(Role(id=0, tenant_id=other.id, name="fleet"))
            uow.grants.add(Grant(id=0, tenant_id=other.id, role_id=theirs.id,
                                 scope_id=other_org.id, scope_path=other_org.path,
                                 user_id=eve.id))
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            access = uow.grants.access_of(tenant.id, [ann.id])
            assert list(access.memberships) == uow.memberships.with_groups(tenant.id, [ann.id])
            assert list(access.held) == sorted(
                uow.grants.held_by(tenant.id, [ann.id]), key=lambda p: p[0].id
            )
            assert len(access.held) == 4
            assert access.organizations == (organization,)
            assert uow.grants.access_of(tenant.id, [eve.id]) == HeldAccess()
            # Several users (a share link and its creator) in the same one read.
            assert uow.grants.access_of(tenant.id, [eve.id, ann.id, ann.id]) == access
            assert uow.grants.access_of(other.id, [ann.id]) == HeldAccess()
            assert uow.grants.access_of(tenant.id, []) == HeldAccess()
            assert uow.grants.access_of(other.id, [eve.id]).organizations == (other_org,)


# Records: find semantics -------------------------------------------------------
class FindContract:
    """find/count: filters, ordering with NULLs last, limits."""

    def _documents(self, storage: Storage) -> tuple[Tenant, list[Document]]:
        tenant, organization, depot = setup_tenant(storage)
        day = dt.date(2024, 1, 1)
        spec = [
            ("b", day, 300, None),
            ("a", None, 100, "EUR"),
            ("c", day + dt.timedelta(days=3), None, "USD"),
            ("a", day + dt.timedelta(days=1), 200, None),
            ("b", None, None, "EUR"),
        ]
        with storage.unit_of_work() as uow:
            docs = [
                uow.documents.add(make_document(
                    organization if n % 2 else depot, n, title=title, issued_on=issued,
                    total_cents=total, currency=currency, created_at=T0 + dt.timedelta(hours=n),
                ))
                for n, (title, issued, total, currency) in enumerate(spec)
            ]
            uow.commit()
        return tenant, docs

    @staticmethod
    def _expected(docs: list[Document], field: str, descending: bool) -> list[int]:
        present = [d for d in docs if getattr(d, field) is not None]
        missing = [d for d in docs if getattr(d, field) is None]
        present.sort(key=lambda d: d.id)
        present.sort(key=lambda d: getattr(d, field), reverse=descending)
        return [d.id for d in present + sorted(missing, key=lambda d: d.id)]

    @pytest.mark.parametrize("field", ["issued_on", "total_cents", "currency", "title"])
    @pytest.mark.parametrize("descending", [False, True])
    def test_order_nulls_last(self, storage: Storage, field: str, descending: bool) -> None:
        """Sorting puts NULLs last both ways; ties go by id."""
        tenant, docs = self._documents(storage)
        with storage.unit_of_work() as uow:
            order = ("-" if descending else "") + field
            found = uow.documents.find(tenant.id, order_by=(order,))
            assert [d.id for d in found] == self._expected(docs, field, descending)

    def test_multi_key_order_and_limit(self, storage: Storage) -> None:
        """Several keys sort left to right; limit cuts after sorting."""
        tenant, docs = self._documents(storage)
        with storage.unit_of_work() as uow:
            found = uow.documents.find(tenant.id, order_by=("title", "-total_cents"), limit=3)
            assert [d.id for d in found] == [docs[3].id, docs[1].id, docs[0].id]
            assert uow.documents.find(tenant.id, order_by=("-id",), limit=1) == [docs[-1]]
            assert uow.documents.find(tenant.id, limit=0) == []

    def test_filters(self, storage: Storage) -> None:
        """Eq, In, Range, ScopeUnder, And, Or, Not and NULLs answer as evaluate() does."""
        tenant, docs = self._documents(storage)
        depot_path = docs[0].scope_path
        cases = {
            Eq("currency", None): [0, 3],
            Not(Eq("currency", "EUR")): [0, 2, 3],
            In("title", ("a", "c", None)): [1, 2, 3],
            Not(In("currency", ("EUR",))): [0, 2, 3],
            Range("total_cents", 100, 300): [1, 3],
            Not(Range("total_cents", 150)): [1, 2, 4],
            Range("issued_on", high=dt.date(2024, 1, 2), include_high=True): [0, 3],
            Range("created_at", T0 + dt.timedelta(hours=2)): [2, 3, 4],
            ScopeUnder(depot_path): [0, 2, 4],
            Not(ScopeUnder(depot_path)): [1, 3],
            And((Eq("title", "a"), Not(Eq("total_cents", None)))): [1, 3],
            Or((Eq("title", "c"), Range("total_cents", 250))): [0, 2],
            TRUE: [0, 1, 2, 3, 4],
            Or(()): [],
        }
        with storage.unit_of_work() as uow:
            for spec, positions in cases.items():
                want = [docs[p].id for p in positions]
                assert [d.id for d in uow.documents.find(tenant.id, spec)] == want, spec
                assert uow.documents.count(tenant.id, spec) == len(want), spec


# Outbox and audit -----------------------------------------------------------------
class OutboxContract:
    """Outbox: pending events of every tenant, oldest first; delivery is acknowledged."""

    def test_pending_and_mark_delivered(self, storage: Storage) -> None:
        """pending() lists undelivered events by age; mark_delivered counts only pending."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            events = [
                uow.outbox.add(OutboxEvent(id=0, tenant_id=t.id, topic=f"t{n}",
                                           payload={"n": n}, created_at=T0))
                for n, t in enumerate((tenant_a, tenant_b, tenant_a))
            ]
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.pending(10) == events
            assert uow.outbox.pending(2) == events[:2]
            later = T0 + dt.timedelta(minutes=5)
            assert uow.outbox.mark_delivered([events[0].id, events[2].id], later) == 2
            assert uow.outbox.mark_delivered([events[0].id], later) == 0
            assert uow.outbox.mark_delivered([], later) == 0
            assert uow.outbox.pending(10) == [events[1]]
            got = uow.outbox.get(tenant_a.id, events[0].id)
            assert got is not None
            assert got.delivered_at == later
            uow.commit()


class AuditContract:
    """Audit entries: JSON detail and optional scope paths."""

    def test_detail_and_scope_filters(self, storage: Storage) -> None:
        """Detail round-trips; a missing scope_path never matches ScopeUnder, even negated."""
        tenant, organization, _ = setup_tenant(storage)
        with storage.unit_of_work() as uow:
            scoped = uow.audit.add(AuditEntry(
                id=0, tenant_id=tenant.id, at=T0, action="login", outcome="ok",
                actor_user_id=3, scope_path=organization.path, detail={"ip": "10.0.0.1"},
            ))
            unscoped = uow.audit.add(AuditEntry(
                id=0, tenant_id=tenant.id, at=T0, action="login", outcome="failed",
            ))
            assert uow.audit.find(tenant.id, ScopeUnder(organization.path)) == [scoped]
            assert uow.audit.find(tenant.id, Not(ScopeUnder(organization.path))) == [unscoped]
            assert uow.audit.find(tenant.id, Eq("action", "login"), order_by=("-id",)) == [
                unscoped, scoped
            ]


class MessageContract:
    """Broadcast messages: the unread count of a page header, in one statement."""

    # One storage per test serves every example (each uses tenants of its own);
    # the adapters' subclasses share this one method.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        specs=st.lists(
            st.tuples(
                st.booleans(),  # to everyone
                st.frozensets(st.integers(0, 3), min_size=1, max_size=3),  # group indexes
                st.integers(-3, 3),  # start, hours from now
                st.one_of(st.none(), st.integers(-2, 4)),  # end, hours from now
                st.booleans(),  # read by the user
                st.booleans(),  # read by someone else
            ),
            max_size=8,
        ),
        member_of=st.frozensets(st.integers(0, 3), max_size=3),
    )
    def test_count_unread_counts_live_unread_messages_for_the_user(
        self,
        storage: Storage,
        specs: list[tuple[bool, frozenset[int], int, int | None, bool, bool]],
        member_of: frozenset[int],
    ) -> None:
        """count_unread == the live messages for everyone or the user's groups that
        the user has not read (start inclusive, end exclusive; others' marks ignored)."""
        tenant, _, _ = setup_tenant(storage, f"m{uuid.uuid4().hex[:10]}")
        other, _, _ = setup_tenant(storage, f"m{uuid.uuid4().hex[:10]}")
        group_ids = [1000 + n for n in range(4)]
        expected = 0
        inbox: list[tuple[BroadcastMessage, dt.datetime | None]] = []
        with storage.unit_of_work() as uow:
            for everyone, groups, start, end, read, read_by_other in specs:
                audience = frozenset() if everyone else frozenset(group_ids[g] for g in groups)
                message = uow.messages.add(BroadcastMessage(
                    id=0, tenant_id=tenant.id, title="t", body="b", to_everyone=everyone,
                    group_ids=audience, starts_at=T0 + dt.timedelta(hours=start),
                    ends_at=None if end is None else T0 + dt.timedelta(hours=start + end),
                    created_at=T0,
                ))
                # The same message in another tenant never counts.
                uow.messages.add(attrs.evolve(message, id=0, tenant_id=other.id))
                for user_id, mark in ((7, read), (8, read_by_other)):
                    if mark:
                        uow.message_reads.add(MessageRead(
                            id=0, tenant_id=tenant.id, message_id=message.id, user_id=user_id,
                            read_at=T0,
                        ))
                if not read and applies_to(message, {group_ids[g] for g in member_of}, T0):
                    expected += 1
                if is_live(message, T0):
                    inbox.append((message, T0 if read else None))
            uow.commit()
        with storage.unit_of_work() as uow:
            mine = [group_ids[g] for g in member_of]
            assert uow.messages.count_unread(tenant.id, 7, mine, T0) == expected
            # The inbox's one read: every live message (audiences are the service's
            # business), newest first, with this user's mark only.
            inbox.sort(key=lambda pair: (pair[0].starts_at, pair[0].id), reverse=True)
            assert uow.messages.live_with_reads(tenant.id, 7, T0) == inbox


# Sessions --------------------------------------------------------------------
def make_session(tenant_id: int, user_id: int, n: int, **kw: Any) -> Session:
    """The n-th session of a user (its token hash is unique per *n*, tenant and user)."""
    fields: dict[str, Any] = {
        "id": 0, "tenant_id": tenant_id, "user_id": user_id,
        "token_hash": f"{tenant_id:04d}{user_id:06d}{n:04d}".ljust(64, "f"),
        "created_at": T0 + dt.timedelta(minutes=n), "last_seen_at": T0 + dt.timedelta(minutes=n),
        "label": f"Browser {n}", "security_stamp": "stamp",
    }
    fields.update(kw)
    return Session(**fields)


class SessionContract:
    """Sessions: found with their user by token hash, listed, touched, deleted, per tenant."""

    def _two_tenants(self, storage: Storage) -> tuple[User, User, User]:
        """Ann and Bob in tenant "a", Cy in tenant "b"."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant_a.id, 1, security_stamp="s-ann"))
            bob = uow.users.add(make_user(tenant_a.id, 2))
            cy = uow.users.add(make_user(tenant_b.id, 3))
            uow.commit()
        return ann, bob, cy

    def test_add_and_find_with_user_round_trip(self, storage: Storage) -> None:
        """add() gives an id; find_with_user() returns the session and its user, every field."""
        ann, _, _ = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            stored = uow.sessions.add(make_session(ann.tenant_id, ann.id, 1))
            uow.commit()
        assert stored.id > 0
        with storage.unit_of_work() as uow:
            found = uow.sessions.find_with_user(ann.tenant_id, stored.token_hash)
            assert uow.sessions.find_with_user(ann.tenant_id, "0" * 64) is None
        assert found == (stored, ann)
        assert found[0].created_at.tzinfo is not None

    def test_find_with_tenant_is_the_requests_first_read(self, storage: Storage) -> None:
        """The tenant by slug with its session and user; another tenant's session is not found."""
        ann, _, cy = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            mine = uow.sessions.add(make_session(ann.tenant_id, ann.id, 1))
            theirs = uow.sessions.add(make_session(cy.tenant_id, cy.id, 2))
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            found = uow.sessions.find_with_tenant("a", mine.token_hash)
            assert found is not None
            tenant, session = found
            assert (tenant.slug, tenant.id) == ("a", ann.tenant_id)
            assert session == (mine, ann)
            assert uow.sessions.find_with_tenant("a", theirs.token_hash) == (tenant, None)
            assert uow.sessions.find_with_tenant("a", "0" * 64) == (tenant, None)
            assert uow.sessions.find_with_tenant("nobody", mine.token_hash) is None

    def test_token_hash_of_another_tenant_finds_nothing(self, storage: Storage) -> None:
        """Hostile: a session of tenant "b" is never found, touched or deleted from tenant "a"."""
        ann, _, cy = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            theirs = uow.sessions.add(make_session(cy.tenant_id, cy.id, 1))
            uow.commit()
        a = ann.tenant_id
        with storage.unit_of_work() as uow:
            assert uow.sessions.find_with_user(a, theirs.token_hash) is None
            assert uow.sessions.for_user(a, cy.id) == []
            assert not uow.sessions.touch(a, theirs.id, now=T0 + dt.timedelta(hours=1),
                                          seen_by=T0 + dt.timedelta(hours=1), seen_after=T0
                                          - dt.timedelta(hours=1))
            assert uow.sessions.delete(a, cy.id, [theirs.id]) == 0
            assert uow.sessions.delete_for_user(a, cy.id) == 0
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.find_with_user(cy.tenant_id, theirs.token_hash) == (theirs, cy)

    def test_a_session_without_its_user_is_not_found(self, storage: Storage) -> None:
        """The join needs the user: a session naming a user of another tenant finds nothing."""
        ann, _, cy = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            stray = uow.sessions.add(make_session(ann.tenant_id, cy.id, 1))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.find_with_user(ann.tenant_id, stray.token_hash) is None

    def test_token_hashes_are_unique(self, storage: Storage) -> None:
        """Two sessions never share a token hash, even across tenants."""
        ann, bob, cy = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            first = uow.sessions.add(make_session(ann.tenant_id, ann.id, 1))
            with pytest.raises(ConflictError):
                uow.sessions.add(make_session(ann.tenant_id, bob.id, 2,
                                              token_hash=first.token_hash))
            with pytest.raises(ConflictError):
                uow.sessions.add(make_session(cy.tenant_id, cy.id, 3,
                                              token_hash=first.token_hash))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(ann.tenant_id, ann.id) == [first]
            assert uow.sessions.for_user(ann.tenant_id, bob.id) == []

    def test_for_user_lists_oldest_first(self, storage: Storage) -> None:
        """for_user() gives exactly the user's sessions in this tenant, oldest first."""
        ann, bob, _ = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            late = uow.sessions.add(make_session(ann.tenant_id, ann.id, 5))
            early = uow.sessions.add(make_session(ann.tenant_id, ann.id, 1))
            uow.sessions.add(make_session(bob.tenant_id, bob.id, 2))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(ann.tenant_id, ann.id) == [early, late]

    def test_touch_writes_only_when_due_and_not_idle(self, storage: Storage) -> None:
        """touch() writes once when last seen is in (seen_after, seen_by]; then not again."""
        ann, _, _ = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            session = uow.sessions.add(make_session(ann.tenant_id, ann.id, 0))
            uow.commit()
        tid, now = ann.tenant_id, T0 + dt.timedelta(minutes=5)
        with storage.unit_of_work() as uow:
            assert not uow.sessions.touch(tid, session.id, now=now, seen_by=T0 - dt.timedelta(
                seconds=1), seen_after=T0 - dt.timedelta(hours=1))  # not due yet
            assert not uow.sessions.touch(tid, session.id, now=now, seen_by=now,
                                          seen_after=T0)  # idle since seen_after
            assert uow.sessions.touch(tid, session.id, now=now, seen_by=T0,
                                      seen_after=T0 - dt.timedelta(minutes=30))
            assert not uow.sessions.touch(tid, session.id, now=now, seen_by=T0,
                                          seen_after=T0 - dt.timedelta(minutes=30))
            assert not uow.sessions.touch(tid, session.id + 999, now=now, seen_by=now,
                                          seen_after=T0 - dt.timedelta(days=1))
            uow.commit()
        with storage.unit_of_work() as uow:
            [touched] = uow.sessions.for_user(tid, ann.id)
        assert touched == attrs.evolve(session, last_seen_at=now)

    def test_delete_only_the_users_own_sessions(self, storage: Storage) -> None:
        """delete() removes listed sessions of that user only; another user's id is left."""
        ann, bob, _ = self._two_tenants(storage)
        tid = ann.tenant_id
        with storage.unit_of_work() as uow:
            one = uow.sessions.add(make_session(tid, ann.id, 1))
            two = uow.sessions.add(make_session(tid, ann.id, 2))
            bobs = uow.sessions.add(make_session(tid, bob.id, 3))
            assert uow.sessions.delete(tid, ann.id, []) == 0
            assert uow.sessions.delete(tid, ann.id, [one.id, bobs.id, 12345]) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(tid, ann.id) == [two]
            assert uow.sessions.for_user(tid, bob.id) == [bobs]

    def test_delete_for_user(self, storage: Storage) -> None:
        """delete_for_user() removes every session of the user and no one else's."""
        ann, bob, _ = self._two_tenants(storage)
        tid = ann.tenant_id
        with storage.unit_of_work() as uow:
            for n in range(3):
                uow.sessions.add(make_session(tid, ann.id, n))
            bobs = uow.sessions.add(make_session(tid, bob.id, 9))
            assert uow.sessions.delete_for_user(tid, ann.id) == 3
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(tid, ann.id) == []
            assert uow.sessions.for_user(tid, bob.id) == [bobs]

    def test_delete_expired(self, storage: Storage) -> None:
        """delete_expired() removes this tenant's sessions idle since *seen_by* or created
        by *created_by* (the bounds included) and keeps the rest and other tenants'."""
        ann, bob, cy = self._two_tenants(storage)
        tid = ann.tenant_id
        minute = dt.timedelta(minutes=1)
        seen_by, created_by = T0 + 10 * minute, T0 - 60 * minute
        with storage.unit_of_work() as uow:
            add = uow.sessions.add
            idle = add(make_session(tid, ann.id, 1, created_at=T0, last_seen_at=seen_by))
            old = add(make_session(tid, ann.id, 2, created_at=created_by,
                                   last_seen_at=T0 + 30 * minute))
            live = add(make_session(tid, bob.id, 3, created_at=created_by + minute,
                                    last_seen_at=seen_by + minute))
            foreign = add(make_session(cy.tenant_id, cy.id, 4, created_at=created_by,
                                       last_seen_at=T0))
            assert uow.sessions.delete_expired(tid, seen_by=seen_by, created_by=created_by) == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(tid, ann.id) == []
            assert uow.sessions.for_user(tid, bob.id) == [live]
            assert uow.sessions.for_user(cy.tenant_id, cy.id) == [foreign]
            assert uow.sessions.delete_expired(tid, seen_by=seen_by, created_by=created_by) == 0
        assert {idle.id, old.id}.isdisjoint({live.id, foreign.id})

    def test_uncommitted_sessions_roll_back(self, storage: Storage) -> None:
        """A session added in a unit left without commit is not stored."""
        ann, _, _ = self._two_tenants(storage)
        with storage.unit_of_work() as uow:
            uow.sessions.add(make_session(ann.tenant_id, ann.id, 1))
        with storage.unit_of_work() as uow:
            assert uow.sessions.for_user(ann.tenant_id, ann.id) == []


def assert_portalkit_error(exc: BaseException) -> None:
    """Every error out of an adapter is a portalkit error."""
    assert isinstance(exc, PortalkitError)
