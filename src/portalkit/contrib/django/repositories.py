"""Repositories over the Django ORM: one generic class for every record type.

A :class:`ModelMapping` is built once per entity class: the field names, which
fields are comparable (and nullable), and the converters for sets, enums and
datetimes. Reads use ``values_list`` (no model instances); every write runs in
a savepoint (``transaction.atomic`` nested in the unit's), so a unique
violation raises :class:`~portalkit.errors.ConflictError` and leaves the unit
usable. Every method filters by ``tenant_id``.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import attrs
from cattrs.preconf.json import make_converter
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from portalkit.contrib.django import models as m
from portalkit.contrib.django.compiler import compile_filter, compile_order_by
from portalkit.contrib.django.fields import CText
from portalkit.contrib.django.values import from_db_datetime, to_db
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, Filter, In, any_of
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import (
    ScopeKind,
    ScopeNode,
    child_path,
    organization_id,
    path_upper_bound,
    validate_path,
)
from portalkit.domain.tenants import Tenant, TenantSettings
from portalkit.errors import (
    ConflictError,
    DuplicateKeyError,
    InvalidInputError,
    NotFoundError,
)
from portalkit.ports import HeldAccess, UpsertCounts

if TYPE_CHECKING:
    from portalkit.contrib.django.storage import DjangoUnitOfWork

__all__ = [
    "MAPPINGS",
    "DjangoRepository",
    "MailQueueRepository",
    "ModelMapping",
    "NamedRepository",
    "OutboxRepository",
    "ScopeRepository",
    "TenantRepository",
    "UserRepository",
]

#: Keys looked up per query when counting which rows an upsert will update.
_KEY_CHUNK = 500


class _Record(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


E = TypeVar("E", bound=_Record)


class ModelMapping(Generic[E]):
    """How one entity class maps onto one Django model."""

    def __init__(
        self,
        entity: type[E],
        model: type[models.Model],
        *,
        path_field: str | None = None,
        enums: dict[str, type[enum.Enum]] | None = None,
    ) -> None:
        self.entity = entity
        self.model = model
        self.names: tuple[str, ...] = tuple(f.name for f in attrs.fields(cast(Any, entity)))
        self.write_names = tuple(n for n in self.names if n != "id")
        self.getter: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*self.write_names)
        self.path_field = path_field
        self.keyed = "external_key" in self.names
        self.columns: dict[str, bool] = {}
        readers: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(self.names):
            field = model._meta.get_field(name)
            if isinstance(field, models.JSONField):
                if field.default is list:  # a frozenset of strings
                    readers.append((index, _frozenset))
                continue  # JSON is stored, never compared or sorted
            self.columns[name] = bool(field.null)
            if isinstance(field, models.DateTimeField):
                readers.append((index, from_db_datetime))
            elif enums and name in enums:
                readers.append((index, enums[name]))
        self._readers = tuple(readers)
        self.update_fields = [
            n for n in self.write_names if n not in ("tenant_id", "external_key")
        ]

    def to_row(self, entity: E) -> dict[str, Any]:
        """The column values of *entity*, without its id."""
        return {
            name: to_db(value)
            for name, value in zip(self.write_names, self.getter(entity), strict=True)
        }

    def from_rows(self, rows: Iterable[Sequence[Any]]) -> list[E]:
        """Entities from ``values_list(*names)`` rows."""
        names, readers, make = self.names, self._readers, self.entity
        result = []
        for row in rows:
            values = list(row)
            for index, read in readers:
                if values[index] is not None:
                    values[index] = read(values[index])
            result.append(make(**dict(zip(names, values, strict=True))))
        return result


def _frozenset(value: Any) -> frozenset[str]:
    return frozenset(value)


MAPPINGS: dict[str, ModelMapping[Any]] = {
    "scopes": ModelMapping(ScopeNode, m.ScopeModel, path_field="path",
                           enums={"kind": ScopeKind}),
    "users": ModelMapping(User, m.UserModel),
    "roles": ModelMapping(Role, m.RoleModel),
    "groups": ModelMapping(Group, m.GroupModel),
    "memberships": ModelMapping(Membership, m.MembershipModel),
    "grants": ModelMapping(Grant, m.GrantModel, path_field="scope_path"),
    "assets": ModelMapping(Asset, m.AssetModel, path_field="scope_path"),
    "documents": ModelMapping(Document, m.DocumentModel, path_field="scope_path"),
    "jobs": ModelMapping(Job, m.JobModel, path_field="scope_path"),
    "customers": ModelMapping(CustomerRecord, m.CustomerModel),
    "audit": ModelMapping(AuditEntry, m.AuditModel),
    "outbox": ModelMapping(OutboxEvent, m.OutboxModel),
    "mail_queue": ModelMapping(QueuedMail, m.MailQueueModel),
}


def check_upsert_keys(keys: Sequence[str | None]) -> None:
    """Raise unless every key is present and unique within one batch."""
    if any(k is None for k in keys):
        raise InvalidInputError.for_field("external_key", "Every record needs an external key.")
    if len(set(keys)) != len(keys):
        dupes = sorted(str(k) for k, n in Counter(keys).items() if n > 1)
        raise DuplicateKeyError(dupes)


class DjangoRepository(Generic[E]):
    """The repository of one record type (every record port of :mod:`portalkit.ports`)."""

    def __init__(self, uow: DjangoUnitOfWork, mapping: ModelMapping[E]) -> None:
        self._uow = uow
        self._m = mapping

    def _objects(self) -> models.QuerySet[Any]:
        objects: models.QuerySet[Any] = self._m.model._base_manager.using(self._uow.alias)
        return objects

    def _tenant(self, tenant_id: int) -> models.QuerySet[Any]:
        queryset: models.QuerySet[Any] = self._objects().filter(tenant_id=tenant_id)
        return queryset

    def _read(self, queryset: models.QuerySet[Any]) -> list[E]:
        with self._uow.reading():
            return self._m.from_rows(queryset.values_list(*self._m.names))

    # Repository ------------------------------------------------------------
    def add(self, entity: E) -> E:
        """Store a new record; its ``id`` is ignored and the stored copy returned."""
        row = self._m.to_row(entity)
        with self._uow.writing():
            obj = self._objects().create(**row)
        stored: E = attrs.evolve(cast(Any, entity), id=obj.pk)
        return stored

    def get(self, tenant_id: int, id: int) -> E | None:
        """The record with *id* in this tenant, or None."""
        found = self._read(self._tenant(tenant_id).filter(id=id))
        return found[0] if found else None

    def update(self, entity: E) -> None:
        """Replace the stored record with the same tenant and id."""
        row = self._m.to_row(entity)
        del row["tenant_id"]
        with self._uow.writing():
            changed = self._tenant(entity.tenant_id).filter(id=entity.id).update(**row)
        if changed == 0:
            raise NotFoundError()

    def delete(self, tenant_id: int, id: int) -> bool:
        """Remove a record; True if it existed."""
        with self._uow.writing():
            deleted, _ = self._tenant(tenant_id).filter(id=id).delete()
        return bool(deleted)

    def _matching(self, tenant_id: int, where: Filter) -> models.QuerySet[Any]:
        queryset = self._tenant(tenant_id)
        if where != TRUE:
            queryset = queryset.filter(compile_filter(where, self._m.columns))
        return queryset

    def find(
        self,
        tenant_id: int,
        where: Filter = TRUE,
        *,
        order_by: Sequence[str] = ("id",),
        limit: int | None = None,
    ) -> list[E]:
        """Records of this tenant matching *where*, in order, at most *limit*."""
        queryset = self._matching(tenant_id, where).order_by(
            *compile_order_by(order_by, self._m.columns)
        )
        if limit is not None:
            if limit <= 0:
                return []
            queryset = queryset[:limit]
        return self._read(queryset)

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        """How many records of this tenant match *where*."""
        queryset = self._matching(tenant_id, where)
        with self._uow.reading():
            return queryset.count()

    # Keyed records ---------------------------------------------------------
    def get_by_external_key(self, tenant_id: int, external_key: str) -> E | None:
        """The record with the host's key, or None."""
        found = self._read(self._tenant(tenant_id).filter(external_key=external_key))
        return found[0] if found else None

    def upsert_many(self, tenant_id: int, entities: Sequence[E]) -> UpsertCounts:
        """Insert or update by external key (``bulk_create(update_conflicts=True)``).

        Raises :class:`~portalkit.errors.DuplicateKeyError` if a key repeats in
        *entities* and :class:`~portalkit.errors.InvalidInputError` if one is
        missing; nothing is written then.
        """
        if not entities:
            return UpsertCounts()
        rows = [self._m.to_row(e) for e in entities]
        keys: list[str] = []
        for row in rows:
            row["tenant_id"] = tenant_id
            keys.append(row["external_key"])
        check_upsert_keys(keys)
        with self._uow.reading():
            existing = sum(
                self._tenant(tenant_id).filter(external_key__in=keys[i : i + _KEY_CHUNK]).count()
                for i in range(0, len(keys), _KEY_CHUNK)
            )
        model = self._m.model
        with self._uow.writing():
            self._objects().bulk_create(
                [model(**row) for row in rows],
                update_conflicts=True,
                unique_fields=["tenant", "external_key"],
                update_fields=self._m.update_fields,
            )
        return UpsertCounts(inserted=len(rows) - existing, updated=existing)

    # Scoped records --------------------------------------------------------
    def rewrite_scope_prefix(self, tenant_id: int, old: str, new: str) -> int:
        """Replace the *old* path prefix with *new* below it: one UPDATE statement."""
        name = self._m.path_field or "scope_path"
        below = {f"{name}__gte": old, f"{name}__lt": path_upper_bound(old)}
        moved = Concat(
            Value(new, output_field=CText()),
            Substr(name, len(old) + 1),
            output_field=CText(),
        )
        with self._uow.writing():
            return int(self._tenant(tenant_id).filter(**below).update(**{name: moved}))


class ScopeRepository(DjangoRepository[ScopeNode]):
    """The scope tree."""

    def create(
        self,
        *,
        tenant_id: int,
        kind: ScopeKind,
        name: str,
        parent: ScopeNode | None,
        external_key: str | None = None,
    ) -> ScopeNode:
        """Add a node below *parent* (None for an organization) and compute its path.

        The path holds the node's own id, so it is written by a second statement.
        """
        parent_id = parent.id if parent else None
        with self._uow.writing():
            obj = self._objects().create(
                tenant_id=tenant_id,
                kind=to_db(kind),
                name=name,
                path="/",
                parent_id=parent_id,
                external_key=external_key,
            )
            path = child_path(parent.path if parent else None, kind, obj.pk)
            self._objects().filter(pk=obj.pk).update(path=path)
        return ScopeNode(
            id=obj.pk,
            tenant_id=tenant_id,
            kind=kind,
            name=name,
            path=path,
            parent_id=parent_id,
            external_key=external_key,
        )

    def get_many(self, tenant_id: int, ids: Sequence[int]) -> list[ScopeNode]:
        """The nodes with these ids that exist in this tenant, in the order asked."""
        if not ids:
            return []
        found = {n.id: n for n in self._read(self._tenant(tenant_id).filter(id__in=set(ids)))}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def get_many_by_external_key(self, tenant_id: int, keys: Sequence[str]) -> list[ScopeNode]:
        """The nodes with these host keys that exist in this tenant, by id."""
        if not keys:
            return []
        return self._read(
            self._tenant(tenant_id).filter(external_key__in=set(keys)).order_by("id")
        )


class UserRepository(DjangoRepository[User]):
    """Portal users."""

    def get_by_email(self, tenant_id: int, email: str) -> User | None:
        """The user with this (normalized) email, or None."""
        found = self._read(self._tenant(tenant_id).filter(email=email))
        return found[0] if found else None

    def add_or_activate(self, user: User, existing_id: int | None) -> User | None:
        """Store *user*, or activate the passwordless user *existing_id* with its
        email (see the port): a conditional update, else an insert."""
        row = self._m.to_row(user)
        if existing_id is not None:
            with self._uow.writing():
                changed = (
                    self._tenant(user.tenant_id)
                    .filter(id=existing_id, email=row["email"], password_hash__isnull=True)
                    .update(
                        password_hash=row["password_hash"], security_stamp=row["security_stamp"]
                    )
                )
            if changed:
                return self.get(user.tenant_id, existing_id)
        if self.get_by_email(user.tenant_id, user.email) is not None:
            return None
        return self.add(user)

    def lock(self, tenant_id: int, ids: Sequence[int]) -> list[User]:
        """The users with these ids, by id, locked until the unit ends (FOR UPDATE;
        Django ignores it on SQLite, whose writer lock serializes already)."""
        if not ids:
            return []
        return self._read(
            self._tenant(tenant_id).select_for_update().filter(id__in=set(ids)).order_by("id")
        )


class MembershipRepository(DjangoRepository[Membership]):
    """Group memberships, and a user's groups."""

    def with_groups(
        self, tenant_id: int, user_ids: Sequence[int]
    ) -> list[tuple[Membership, Group]]:
        """The users' memberships, each with its group."""
        memberships = self._read(self._tenant(tenant_id).filter(user_id__in=list(user_ids)))
        ids = sorted({m.group_id for m in memberships})
        groups = self._uow.groups.find(tenant_id, In("id", ids)) if ids else []
        by_id = {group.id: group for group in groups}
        return [(m, by_id[m.group_id]) for m in memberships if m.group_id in by_id]


class GrantRepository(DjangoRepository[Grant]):
    """Grants, and what users hold directly or through a group."""

    def held_by(self, tenant_id: int, user_ids: Sequence[int]) -> list[tuple[Grant, Role]]:
        """The grants of the users and of their groups, each with its role."""
        users = list(user_ids)
        memberships = self._uow.memberships.find(tenant_id, In("user_id", users))
        groups = sorted({m.group_id for m in memberships})
        held: Filter = In("user_id", users)
        if groups:
            held = any_of(held, In("group_id", groups))
        grants = self.find(tenant_id, held)
        roles = self._uow.roles.find(tenant_id, In("id", sorted({g.role_id for g in grants})))
        by_id = {role.id: role for role in roles}
        return [(g, by_id[g.role_id]) for g in grants if g.role_id in by_id]

    def access_of(self, tenant_id: int, user_ids: Sequence[int]) -> HeldAccess:
        """The users' memberships, what they hold and its organization nodes."""
        held = self.held_by(tenant_id, user_ids)
        ids = sorted({i for g, _ in held if (i := _root_id(g.scope_path)) is not None})
        organizations = self._uow.scopes.get_many(tenant_id, ids) if ids else []
        return HeldAccess(
            memberships=tuple(self._uow.memberships.with_groups(tenant_id, user_ids)),
            held=tuple(held),
            organizations=tuple(n for n in organizations if n.parent_id is None),
        )


def _root_id(path: str) -> int | None:
    """The organization id of a well-formed scope path, else None."""
    try:
        return organization_id(validate_path(path))
    except (InvalidInputError, ValueError):
        return None


class NamedRepository(DjangoRepository[E]):
    """Roles and groups: unique by name within a tenant."""

    def get_by_name(self, tenant_id: int, name: str) -> E | None:
        """The record called *name*, or None."""
        found = self._read(self._tenant(tenant_id).filter(name=name))
        return found[0] if found else None


class MailQueueRepository(DjangoRepository[QueuedMail]):
    """Composed mail waiting to be sent."""

    def due(self, now: dt.datetime, limit: int) -> list[QueuedMail]:
        """Pending messages whose next attempt is due, oldest first."""
        if limit <= 0:
            return []
        return self._read(
            self._objects()
            .filter(sent_at__isnull=True, failed_at__isnull=True,
                    next_attempt_at__lte=to_db(now))
            .order_by("id")[:limit]
        )

    def claim(self, mail: QueuedMail, *, until: dt.datetime) -> bool:
        """Take *mail* for one attempt; one conditional update, so one drainer wins."""
        with self._uow.writing():
            claimed = int(
                self._objects()
                .filter(id=mail.id, attempts=mail.attempts, sent_at__isnull=True,
                        failed_at__isnull=True)
                .update(attempts=mail.attempts + 1, next_attempt_at=to_db(until))
            )
        return claimed == 1


class OutboxRepository(DjangoRepository[OutboxEvent]):
    """Events waiting for the host."""

    def pending(self, limit: int) -> list[OutboxEvent]:
        """Undelivered events of every tenant, oldest first."""
        if limit <= 0:
            return []
        return self._read(
            self._objects().filter(delivered_at__isnull=True).order_by("id")[:limit]
        )

    def mark_delivered(self, ids: Sequence[int], at: dt.datetime) -> int:
        """Acknowledge events; returns how many were still pending."""
        if not ids:
            return 0
        with self._uow.writing():
            return int(
                self._objects()
                .filter(id__in=set(ids), delivered_at__isnull=True)
                .update(delivered_at=to_db(at))
            )


_settings_converter = make_converter()


class TenantRepository:
    """The tenants of this installation; settings are stored as one JSON document."""

    def __init__(self, uow: DjangoUnitOfWork) -> None:
        self._uow = uow

    def _objects(self) -> models.QuerySet[Any]:
        objects: models.QuerySet[Any] = m.TenantModel._base_manager.using(self._uow.alias)
        return objects

    def _read(self, queryset: models.QuerySet[Any]) -> list[Tenant]:
        with self._uow.reading():
            rows = list(queryset.values_list("id", "slug", "name", "settings"))
        return [
            Tenant(
                id=id_,
                slug=slug,
                name=name,
                settings=_settings_converter.structure(settings, TenantSettings),
            )
            for id_, slug, name, settings in rows
        ]

    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; raises ConflictError if the slug is taken."""
        try:
            with self._uow.writing():
                obj = self._objects().create(
                    slug=tenant.slug,
                    name=tenant.name,
                    settings=_settings_converter.unstructure(tenant.settings),
                )
        except ConflictError as exc:
            raise ConflictError("A tenant with this slug exists.") from exc
        return attrs.evolve(tenant, id=obj.pk)

    def get(self, id: int) -> Tenant | None:
        """The tenant with *id*, or None."""
        found = self._read(self._objects().filter(id=id))
        return found[0] if found else None

    def get_by_slug(self, slug: str) -> Tenant | None:
        """The tenant with *slug*, or None."""
        found = self._read(self._objects().filter(slug=slug))
        return found[0] if found else None

    def update(self, tenant: Tenant) -> None:
        """Replace a tenant's slug, name and settings."""
        with self._uow.writing():
            changed = self._objects().filter(id=tenant.id).update(
                slug=tenant.slug,
                name=tenant.name,
                settings=_settings_converter.unstructure(tenant.settings),
            )
        if changed == 0:
            raise NotFoundError()

    def list(self) -> list[Tenant]:
        """Every tenant, by id."""
        return self._read(self._objects().order_by("id"))
