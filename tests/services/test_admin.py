"""The staff API: scope tree, users, roles, grants and records."""

from __future__ import annotations

from typing import Any

import pytest

import portalkit
from portalkit.domain.filters import ScopeUnder
from portalkit.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ScopeCycleError,
    UnknownScopeError,
)


def test_scope_tree_paths(portal: portalkit.Portal) -> None:
    """Each node's path is its parent's path plus its own segment."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        grp = admin.add_scope(org, kind="parent_group", name="Public works")
        div = admin.add_scope(grp, kind="division", name="North")
        site = admin.add_scope(div, kind="site", name="Depot 4")
        shop = admin.add_scope(org, kind=portalkit.ScopeKind.SHOP, name="Main shop")
    assert org.path == f"/org:{org.id}/"
    assert site.path == f"{div.path}site:{site.id}/"
    assert shop.path == f"{org.path}shop:{shop.id}/"
    assert org.covers(site)
    assert div.covers(site)
    assert not site.covers(div)
    assert site.organization_path == org.path
    assert (org.depth, grp.depth, div.depth, site.depth) == (1, 2, 3, 4)


def test_scope_kind_rules(portal: portalkit.Portal) -> None:
    """A node may only sit below the kinds its kind allows."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        site = admin.add_scope(org, kind="site", name="Depot")
        with pytest.raises(InvalidInputError, match="cannot be placed under a site"):
            admin.add_scope(site, kind="division", name="North")
        with pytest.raises(InvalidInputError):
            admin.add_scope(org, kind="planet", name="Mars")
        with pytest.raises(InvalidInputError):
            admin.add_scope(org, kind="organization", name="Nested")


def test_unknown_scope_is_typed(portal: portalkit.Portal) -> None:
    """Unknown ids and external keys raise UnknownScopeError, a NotFoundError."""
    with portal.admin() as admin:
        with pytest.raises(UnknownScopeError):
            admin.add_scope(987654, kind="site", name="Nowhere")
        with pytest.raises(NotFoundError):
            admin.scope_by_key("missing")


def test_scopes_of_another_tenant_are_unknown(portal: portalkit.Portal) -> None:
    """A scope of tenant A cannot be used from tenant B, not even by id."""
    portal.create_tenant("other", "Other Co")
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("viewer", [])
    with portal.admin("other") as other:
        user = other.create_user("bob@other.example", "Bob")
        other.define_role("viewer", [])
        with pytest.raises(UnknownScopeError):
            other.grant(user, "viewer", scope=org.id)
        with pytest.raises(UnknownScopeError):
            other.upsert_asset(number="A-1", scope=org.id)


def test_move_scope_rewrites_every_path(portal: portalkit.Portal) -> None:
    """Moving a node moves its subtree, its records and the grants on it."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        north = admin.add_scope(org, kind="division", name="North")
        south = admin.add_scope(org, kind="division", name="South")
        depot = admin.add_scope(north, kind="site", name="Depot")
        asset = admin.upsert_asset(number="A-1", scope=depot)
        user = admin.create_user("ann@city.example", "Ann")
        admin.define_role("viewer", [])
        grant = admin.grant(user, "viewer", scope=depot)
        moved = admin.move_scope(depot, south)
        uow = admin.uow
        tid = admin.tenant.id
        assert moved.path == f"{south.path}site:{depot.id}/"
        assert moved.parent_id == south.id
        stored_asset = uow.assets.get(tid, asset.id)
        stored_grant = uow.grants.get(tid, grant.id)
        assert stored_asset is not None
        assert stored_asset.scope_path == moved.path
        assert stored_grant is not None
        assert stored_grant.scope_path == moved.path
        assert uow.assets.count(tid, ScopeUnder(north.path)) == 0
        assert uow.assets.count(tid, ScopeUnder(south.path)) == 1


def test_move_scope_below_itself_is_refused(portal: portalkit.Portal) -> None:
    """Moving a node below itself or a descendant raises ScopeCycleError, changing nothing."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        north = admin.add_scope(org, kind="parent_group", name="North")
        inner = admin.add_scope(north, kind="division", name="Inner")
    with portal.admin() as admin:
        with pytest.raises(ScopeCycleError):
            admin.move_scope(north, north)
        with pytest.raises(InvalidInputError):
            admin.move_scope(north, inner)
        assert admin.scope(north).path == north.path


def test_failed_admin_block_writes_nothing(portal: portalkit.Portal) -> None:
    """An exception inside ``portal.admin()`` rolls back every write of the block."""
    with portal.admin() as admin:
        admin.add_organization("Kept")
    with pytest.raises(UnknownScopeError), portal.admin() as admin:  # noqa: PT012
        admin.add_organization("Lost")
        admin.create_user("lost@example.com", "Lost")
        admin.add_scope(424242, kind="site", name="Nowhere")
    with portal.admin() as admin:
        names = [n.name for n in admin.uow.scopes.find(admin.tenant.id)]
        assert names == ["Kept"]
        assert admin.uow.users.get_by_email(admin.tenant.id, "lost@example.com") is None


def test_users_are_unique_by_email(portal: portalkit.Portal) -> None:
    """Emails are compared case-insensitively; a second user with one is a conflict."""
    with portal.admin() as admin:
        user = admin.create_user("  Ann@City.Example ", "Ann Lee")
        assert user.email == "ann@city.example"
        assert user.security_stamp
        with pytest.raises(ConflictError):
            admin.create_user("ANN@city.example", "Another Ann")
        with pytest.raises(InvalidInputError) as info:
            admin.create_user("not-an-email", "X")
        assert "email" in info.value.fields


def test_define_role_replaces_permissions(portal: portalkit.Portal) -> None:
    """Defining a role twice updates it instead of duplicating it."""
    with portal.admin() as admin:
        first = admin.define_role("fleet", [])
        second = admin.define_role("fleet", [])
        assert first.id == second.id
        assert len(admin.uow.roles.find(admin.tenant.id)) == 1


def test_roles_are_listed_by_name(portal: portalkit.Portal) -> None:
    """``roles()`` lists the tenant's roles by name, once each, and no other tenant's."""
    portal.create_tenant("other", "Other")
    with portal.admin("other") as admin:
        admin.define_role("elsewhere", [])
    with portal.admin() as admin:
        assert admin.roles() == []
        for name in ("zeta", "alpha", "middle", "alpha"):
            admin.define_role(name, [])
        assert [role.name for role in admin.roles()] == ["alpha", "middle", "zeta"]


def test_disable_user_changes_security_stamp(portal: portalkit.Portal) -> None:
    """Disabling a user rotates the stamp, so every session bound to it ends."""
    with portal.admin() as admin:
        user = admin.create_user("ann@city.example", "Ann")
        disabled = admin.set_user_active(user, False)
    assert not disabled.is_active
    assert disabled.security_stamp != user.security_stamp


def test_upsert_asset_by_external_key(portal: portalkit.Portal) -> None:
    """An asset with a known external key is updated in place, keys normalized."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        first = admin.upsert_asset(number="A-100", plate="ABC 123", scope=org, external_key="X1")
        second = admin.upsert_asset(number="A-100", plate="XYZ-9", scope=org, external_key="X1")
        assert first.id == second.id
        assert (second.number_key, second.plate_key) == ("a100", "xyz9")
        assert admin.uow.assets.count(admin.tenant.id) == 1
        with pytest.raises(InvalidInputError):
            admin.upsert_asset(number=" - ", scope=org)


def test_update_settings(portal: portalkit.Portal) -> None:
    """Settings change by name, are validated, and persist."""
    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        guest = admin.create_user("guest@portal.example", "Guest")
        with pytest.raises(ConfigurationError, match="guest user"):
            admin.update_settings(login_required=False)
        admin.update_settings(
            login_required=False, guest_user_id=guest.id, served_organization_ids=[org]
        )
        with pytest.raises(InvalidInputError, match="Unknown settings"):
            admin.update_settings(colour="red")
    settings = portal.tenant().settings
    assert settings.login_required is False
    assert settings.guest_user_id == guest.id
    assert settings.served_organization_ids == frozenset({org.id})


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("name", lambda a, org: a.add_organization("Acme\x00 Ltd")),
        ("name", lambda a, org: a.add_scope(org, kind="site", name="Depot\x00")),
        ("name", lambda a, org: a.create_user("nul@example.com", "Ann\x00")),
        ("name", lambda a, org: a.define_role("viewer\x00", [])),
        ("name", lambda a, org: a.add_group("Drivers\x00")),
        ("number", lambda a, org: a.upsert_asset(number="T\x001", scope=org)),
        ("description", lambda a, org: a.upsert_asset(number="T1", scope=org,
                                                      description="Tipper\x00")),
        ("title", lambda a, org: a.add_document(kind="invoice", status="sent", number="I1",
                                                scope=org, title="Q3\x00")),
        ("number", lambda a, org: a.add_job(number="J\x001", status="open", scope=org)),
    ],
)
def test_nul_in_any_text_is_refused_on_every_database(
    portal: portalkit.Portal, field: str, call: Any
) -> None:
    """NUL is an input error naming its field (PostgreSQL cannot store it, SQLite
    would); nothing of the block is written."""
    with portal.admin() as admin:
        org = admin.add_organization("Org")
    with pytest.raises(InvalidInputError) as caught, portal.admin() as admin:  # noqa: PT012
        admin.add_organization("Lost")
        call(admin, org)
    assert list(caught.value.fields) == [field]
    assert "NUL" in str(caught.value.fields[field])
    with portal.admin() as admin:
        assert [n.name for n in admin.uow.scopes.find(admin.tenant.id)] == ["Org"]


def test_staff_changes_are_audited_with_the_change(portal: portalkit.Portal) -> None:
    """Every change through portal.admin() leaves an entry, committed with it (issue 20, 10);
    a block that fails leaves neither the change nor its entry."""
    from portalkit._services.audit import AuditTrail  # noqa: PLC0415

    with portal.admin() as admin:
        org = admin.add_organization("City Fleet")
        admin.define_role("viewer", ["asset.view"])
        ann = admin.create_user("ann@city.example", "Ann Lee")
        grant = admin.grant(ann, "viewer", scope=org)
        admin.revoke(grant)
        admin.set_user_active(ann, False)
        admin.update_settings(portal_name="Acme portal")
        tenant_id = admin.tenant.id
    def failing_block() -> None:
        with portal.admin() as admin:
            admin.add_organization("Never Ltd")
            raise RuntimeError("the block fails")

    with pytest.raises(RuntimeError):
        failing_block()
    entries = list(reversed(AuditTrail(portal.storage).entries(tenant_id)))
    assert [(e.action, e.target) for e in entries] == [
        ("staff.scope.add", f"scope:{org.id}"),
        ("staff.role.define", entries[1].target),
        ("account.create", f"user:{ann.id}"),
        ("staff.grant.add", f"grant:{grant.id}"),
        ("staff.grant.revoke", f"grant:{grant.id}"),
        ("staff.user.set_active", f"user:{ann.id}"),
        ("staff.settings.update", None),
    ]
    assert entries[5].detail["active"] == "False"  # details are stored as text
    assert entries[6].detail == {"via": "admin", "fields": "portal_name"}
