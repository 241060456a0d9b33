"""The staff side: build a tenant's scope tree, users, roles, grants and records.

An :class:`AdminSession` works inside one unit of work; ``Portal.admin()``
commits it when the ``with`` block ends without an error and rolls everything
back otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from portalkit._boundary import check_record_fields, guard_inputs
from portalkit._services.account_flow import (
    account_details,
    add_grant,
    open_account,
)
from portalkit._services.actions import rewrite_scope_prefix as rewrite_action_paths
from portalkit._services.audit import record
from portalkit._services.policy import validate_permissions, validate_settings
from portalkit._services.stamps import rotate_security_stamp, set_user_active
from portalkit.domain.assets import fold_similar, normalize_identifier
from portalkit.domain.contact import PhoneNormalizer
from portalkit.domain.fields import validate_overrides
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, Document, Job
from portalkit.domain.scopes import ScopeKind, ScopeNode
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    UnknownScopeError,
)
from portalkit.perms import PermissionRegistry, default_registry
from portalkit.ports import Clock, ScopedRepository, UnitOfWork

__all__ = ["AdminSession", "ScopeRef"]

#: A scope node given by value or by id.
ScopeRef = ScopeNode | int

#: Sets a user's password inside a unit of work (the identity rules, bound by the portal).
PasswordSetter = Callable[[UnitOfWork, Tenant, User, str], User]


def _text(field: str, value: object, *, max_length: int = 200, required: bool = True) -> str:
    """Strip and check a short text field."""
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{_label(field)} must be text.")
    text = value.strip()
    if required and not text:
        raise InvalidInputError.for_field(field, f"{_label(field)} is required.")
    if len(text) > max_length:
        raise InvalidInputError.for_field(
            field, f"{_label(field)} is longer than {max_length} characters."
        )
    if "\x00" in text:
        raise InvalidInputError.for_field(field, _NUL_MESSAGE.format(field=_label(field)))
    return text


_NUL_MESSAGE = "{field} must not contain a NUL character."


def _label(field: str) -> str:
    """A field name as the start of a message: ``external_key`` -> ``External key``."""
    return field.replace("_", " ").capitalize()


def _record_fields(
    record: type, fields: dict[str, Any], *, fixed: Iterable[str]
) -> dict[str, Any]:
    """The extra keyword *fields* of a new *record*, checked (see check_record_fields).

    Text with NUL is refused here too: PostgreSQL cannot store it and SQLite
    would keep it; refusing it gives one answer on every database.
    """
    check_record_fields(record, fields, fixed=(*_ALWAYS_SET, *fixed))
    return fields


#: Fields every staff-added record gets from the session, never from the caller.
_ALWAYS_SET = ("id", "tenant_id", "scope_id", "scope_path", "created_at")


def _optional_text(field: str, value: object, *, max_length: int = 200) -> str | None:
    if value is None:
        return None
    text = _text(field, value, max_length=max_length, required=False)
    return text or None


def asset_keys(number: str, plate: str | None) -> tuple[str, str | None, str | None]:
    """Validate an asset number and plate; return the number key, plate key and folded plate."""
    number_key = normalize_identifier(number)
    if not number_key:
        raise InvalidInputError.for_field("number", "Asset number is required.")
    plate_key = normalize_identifier(plate) if plate else None
    if not plate_key:
        return number_key, None, None
    return number_key, plate_key, fold_similar(plate_key)


#: The staff changes recorded in the audit trail, by method (issue 20, finding 10).
#: ``create_user`` is recorded by the account flow itself (``account.create``).
_STAFF_CHANGES: dict[str, str] = {
    "update_settings": "staff.settings.update",
    "add_organization": "staff.scope.add",
    "add_scope": "staff.scope.add",
    "move_scope": "staff.scope.move",
    "set_password": "staff.user.set_password",
    "end_sessions": "staff.user.end_sessions",
    "set_user_active": "staff.user.set_active",
    "define_role": "staff.role.define",
    "add_group": "staff.group.add",
    "add_to_group": "staff.group.add_member",
    "grant": "staff.grant.add",
    "revoke": "staff.grant.revoke",
    "upsert_asset": "staff.asset.upsert",
    "add_document": "staff.document.add",
    "add_job": "staff.job.add",
}


def _target(result: object, args: tuple[Any, ...]) -> str | None:
    """``kind:id`` of what a staff change made or changed, when it says."""
    if isinstance(result, TenantSettings):
        return None
    ident = getattr(result, "id", None)
    if isinstance(ident, int):
        kind = "scope" if isinstance(result, ScopeNode) else type(result).__name__.lower()
        return f"{kind}:{ident}"
    first = args[0] if args else None  # revoke answers a bool: name its grant
    ident = getattr(first, "id", first)
    return f"grant:{ident}" if isinstance(ident, int) else None


def _audited(name: str, action: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: AdminSession, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        detail: dict[str, object] = {"via": "admin"}
        if name == "set_user_active":
            detail["active"] = str(bool(args[1] if len(args) > 1 else kwargs.get("active")))
        elif name == "update_settings":
            detail["fields"] = ",".join(sorted(kwargs))
        record(
            self._uow, self._clock, tenant_id=self._tenant.id, action=action,
            target=_target(result, args), scope_path=getattr(result, "path", None)
            or getattr(result, "scope_path", None), detail=detail,
        )
        return result

    return run


def _audit_staff_changes(cls: type[AdminSession]) -> type[AdminSession]:
    """Record every staff change in the same unit of work (it commits with the change)."""
    for name, action in _STAFF_CHANGES.items():
        setattr(cls, name, _audited(name, action, getattr(cls, name)))
    return cls


@guard_inputs
@_audit_staff_changes
class AdminSession:
    """Staff operations on one tenant, inside one unit of work.

    Obtain one from ``Portal.admin()``; do not build it directly.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        clock: Clock,
        registry: PermissionRegistry | None = None,
        phones: PhoneNormalizer | None = None,
        *,
        passwords: PasswordSetter | None = None,
    ) -> None:
        self._passwords = passwords
        self._phones = phones
        self._uow = uow
        self._tenant = tenant
        self._clock = clock
        self._registry = registry or default_registry

    @property
    def tenant(self) -> Tenant:
        """The tenant this session works on."""
        return self._tenant

    @property
    def uow(self) -> UnitOfWork:
        """The unit of work (for services that join this transaction)."""
        return self._uow

    # Tenant settings -------------------------------------------------------
    def update_settings(self, **changes: Any) -> TenantSettings:
        """Change tenant settings by name, e.g. ``update_settings(login_required=False)``."""
        known = {f.name for f in attrs.fields(TenantSettings)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise InvalidInputError(f"Unknown settings: {', '.join(unknown)}.")
        if "served_organization_ids" in changes and changes["served_organization_ids"] is not None:
            ids = frozenset(self.scope(i).id for i in changes["served_organization_ids"])
            changes["served_organization_ids"] = ids
        if "disabled_features" in changes:
            changes["disabled_features"] = frozenset(changes["disabled_features"])
        if "field_overrides" in changes:
            changes["field_overrides"] = validate_overrides(changes["field_overrides"])
        settings = attrs.evolve(self._tenant.settings, **changes)
        validate_settings(self._uow, self._tenant.id, settings, self._registry)
        self._tenant = attrs.evolve(self._tenant, settings=settings)
        self._uow.tenants.update(self._tenant)
        return settings

    # Scope tree ------------------------------------------------------------
    def scope(self, ref: ScopeRef) -> ScopeNode:
        """The current node for *ref* (a node or an id) in this tenant."""
        node_id = ref.id if isinstance(ref, ScopeNode) else ref
        if not isinstance(node_id, int) or isinstance(node_id, bool):
            raise UnknownScopeError()
        node = self._uow.scopes.get(self._tenant.id, node_id)
        if node is None:
            raise UnknownScopeError()
        return node

    def scope_by_key(self, external_key: str) -> ScopeNode:
        """The node with the host's *external_key*."""
        node = self._uow.scopes.get_by_external_key(self._tenant.id, external_key)
        if node is None:
            raise UnknownScopeError()
        return node

    def add_organization(self, name: str, *, external_key: str | None = None) -> ScopeNode:
        """Add a customer organization (a root of the scope tree)."""
        return self._uow.scopes.create(
            tenant_id=self._tenant.id,
            kind=ScopeKind.ORGANIZATION,
            name=_text("name", name),
            parent=None,
            external_key=_optional_text("external_key", external_key),
        )

    def add_scope(
        self,
        parent: ScopeRef,
        *,
        kind: ScopeKind | str,
        name: str,
        external_key: str | None = None,
    ) -> ScopeNode:
        """Add a parent group, division, site or shop below *parent*."""
        try:
            kind = ScopeKind(kind)
        except ValueError:
            raise InvalidInputError.for_field("kind", "Unknown scope kind.") from None
        if kind is ScopeKind.ORGANIZATION:
            raise InvalidInputError.for_field("kind", "Use add_organization for organizations.")
        parent_node = self.scope(parent)
        parent_node.check_can_parent(kind)
        return self._uow.scopes.create(
            tenant_id=self._tenant.id,
            kind=kind,
            name=_text("name", name),
            parent=parent_node,
            external_key=_optional_text("external_key", external_key),
        )

    def move_scope(self, node: ScopeRef, new_parent: ScopeRef) -> ScopeNode:
        """Move *node* and its subtree below *new_parent*; every path follows.

        Raises ScopeCycleError when *new_parent* is the node or below it.
        """
        moving = self.scope(node)
        target = self.scope(new_parent)
        if moving.kind is ScopeKind.ORGANIZATION:
            raise InvalidInputError.for_field("node", "An organization cannot be moved.")
        moving.check_can_move_under(target)
        old = moving.path
        new = f"{target.path}{old.rstrip('/').rsplit('/', 1)[1]}/"
        tid = self._tenant.id
        self._uow.scopes.update(attrs.evolve(moving, parent_id=target.id))
        uow = self._uow
        scoped: tuple[ScopedRepository[Any], ...] = (
            uow.scopes,
            uow.grants,
            uow.assets,
            uow.documents,
            uow.jobs,
            uow.contracts,
            uow.defects,
        )
        for repo in scoped:
            repo.rewrite_scope_prefix(tid, old, new)
        rewrite_action_paths(uow, tid, old, new)
        return self.scope(moving.id)

    # Users, roles, groups, grants -------------------------------------------
    def create_user(
        self,
        email: str,
        name: str,
        *,
        username: str | None = None,
        phone: str | None = None,
        is_staff: bool = False,
        external_key: str | None = None,
    ) -> User:
        """Create a portal user (no password yet: they set one through an invitation).

        Goes through the one account flow
        (:func:`~portalkit._services.account_flow.open_account`): the same
        checks of email, name and phone as invitations and registration.

        Raises:
            InvalidInputError: A field is not valid (``fields`` names it).
            ConflictError: A user of this portal has this email address.
        """
        details = account_details(
            self._tenant, email=email, name=name, phone=phone, username=username,
            external_key=external_key, phones=self._phones,
        )
        return open_account(
            self._uow, self._clock, self._tenant, details, via="admin", is_staff=is_staff
        )

    def user(self, ref: User | int) -> User:
        """The current record of a user of this tenant."""
        user = self._uow.users.get(self._tenant.id, ref.id if isinstance(ref, User) else ref)
        if user is None:
            raise NotFoundError()
        return user

    def set_password(self, user: User | int, password: str) -> User:
        """Give a user a password they can sign in with (the portal's password rules apply).

        Every session the user had ends. For accounts people set up
        themselves, prefer an invitation: the password then never passes
        through staff hands.

        Raises:
            InvalidInputError: The password breaks a rule (``fields`` says which).
        """
        if self._passwords is None:
            raise ConfigurationError("Passwords can be set only through Portal.admin().")
        return self._passwords(self._uow, self._tenant, self.user(user), password)

    def end_sessions(self, user: User | int) -> User:
        """End every session of a user ("sign out everywhere") and void their outstanding
        reset codes and set-password links, by rotating the security stamp."""
        return rotate_security_stamp(self._uow, self.user(user))

    def set_user_active(self, user: User | int, active: bool) -> User:
        """Enable or disable a user; disabling ends every session at once and voids
        the user's outstanding reset codes and set-password links."""
        return set_user_active(self._uow, self.user(user), active)

    def define_role(self, name: str, permissions: Iterable[str]) -> Role:
        """Create a role, or replace the permissions of the role with this name."""
        perms = validate_permissions(permissions, self._registry)
        name = _text("name", name, max_length=100)
        existing = self._uow.roles.get_by_name(self._tenant.id, name)
        if existing is not None:
            role = attrs.evolve(existing, permissions=perms)
            self._uow.roles.update(role)
            return role
        return self._uow.roles.add(
            Role(id=0, tenant_id=self._tenant.id, name=name, permissions=perms)
        )

    def role(self, ref: Role | str) -> Role:
        """A role by value or name."""
        name = ref.name if isinstance(ref, Role) else ref
        role = self._uow.roles.get_by_name(self._tenant.id, name)
        if role is None:
            raise NotFoundError(f"Unknown role {name!r}.")
        return role

    def roles(self) -> list[Role]:
        """The tenant's roles by name: what an invitation or grant form offers."""
        return list(self._uow.roles.find(self._tenant.id, order_by=("name",)))

    def add_group(self, name: str, *, kpi_keys: Iterable[str] = ()) -> Group:
        """Create a user group (seed 001) that may see the given KPI tiles."""
        return self._uow.groups.add(
            Group(
                id=0,
                tenant_id=self._tenant.id,
                name=_text("name", name, max_length=100),
                kpi_keys=frozenset(kpi_keys),
            )
        )

    def add_to_group(self, group: Group, user: User | int) -> Membership:
        """Make *user* a member of *group*."""
        member = self.user(user)
        if self._uow.groups.get(self._tenant.id, group.id) is None:
            raise NotFoundError()
        return self._uow.memberships.add(
            Membership(id=0, tenant_id=self._tenant.id, group_id=group.id, user_id=member.id)
        )

    def grant(self, holder: User | Group | int, role: Role | str, *, scope: ScopeRef) -> Grant:
        """Give a user (or group) *role* at *scope*; it covers the node's whole subtree."""
        node = self.scope(scope)
        the_role = self.role(role)
        if isinstance(holder, Group):
            if self._uow.groups.get(self._tenant.id, holder.id) is None:
                raise NotFoundError()
            user_id, group_id = None, holder.id
        else:
            user_id, group_id = self.user(holder).id, None
        return add_grant(
            self._uow, self._tenant.id, the_role, node, user_id=user_id, group_id=group_id
        )

    def revoke(self, grant: Grant | int) -> bool:
        """Remove a grant; it stops applying on the very next decision."""
        return self._uow.grants.delete(
            self._tenant.id, grant.id if isinstance(grant, Grant) else grant
        )

    # Records ---------------------------------------------------------------
    def upsert_asset(
        self,
        *,
        number: str,
        scope: ScopeRef,
        plate: str | None = None,
        external_key: str | None = None,
        **fields: Any,
    ) -> Asset:
        """Create an asset, or update the one with the same external key."""
        node = self.scope(scope)
        number = _text("number", number, max_length=64)
        plate = _optional_text("plate", plate, max_length=64)
        number_key, plate_key, plate_fold = asset_keys(number, plate)
        asset = Asset(
            id=0,
            tenant_id=self._tenant.id,
            scope_id=node.id,
            scope_path=node.path,
            number=number,
            number_key=number_key,
            plate=plate,
            plate_key=plate_key,
            plate_fold=plate_fold,
            external_key=_optional_text("external_key", external_key),
            **_record_fields(
                Asset, fields, fixed=("number", "number_key", "plate", "plate_key", "plate_fold",
                                      "external_key"),
            ),
        )
        if asset.external_key is not None:
            existing = self._uow.assets.get_by_external_key(self._tenant.id, asset.external_key)
            if existing is not None:
                asset = attrs.evolve(asset, id=existing.id)
                self._uow.assets.update(asset)
                return asset
        return self._uow.assets.add(asset)

    def add_document(
        self,
        *,
        kind: str,
        status: str,
        number: str,
        scope: ScopeRef,
        issued_on: dt.date | None = None,
        **fields: Any,
    ) -> Document:
        """Record a document the host holds (the file itself stays with the host)."""
        node = self.scope(scope)
        return self._uow.documents.add(
            Document(
                id=0,
                tenant_id=self._tenant.id,
                scope_id=node.id,
                scope_path=node.path,
                kind=_text("kind", kind, max_length=40).lower(),
                status=_text("status", status, max_length=40).lower(),
                number=_text("number", number, max_length=64),
                issued_on=issued_on,
                created_at=self._clock.now(),
                **_record_fields(Document, fields, fixed=("kind", "status", "number", "issued_on")),
            )
        )

    def add_job(self, *, number: str, status: str, scope: ScopeRef, **fields: Any) -> Job:
        """Record a job at a site of a customer."""
        node = self.scope(scope)
        return self._uow.jobs.add(
            Job(
                id=0,
                tenant_id=self._tenant.id,
                scope_id=node.id,
                scope_path=node.path,
                number=_text("number", number, max_length=64),
                status=_text("status", status, max_length=40).lower(),
                created_at=self._clock.now(),
                **_record_fields(Job, fields, fixed=("number", "status")),
            )
        )
