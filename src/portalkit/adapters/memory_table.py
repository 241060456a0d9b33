"""The in-memory table every memory repository is built on: filter, order, page, upsert.

Records are kept per tenant and id; filters are the domain's specifications
evaluated in Python, with their field names checked against the record type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import attrs

from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.events import AuditEntry, OutboxEvent
from portalkit.domain.filters import TRUE, Filter, evaluate, fields_of
from portalkit.domain.invitations import Invitation
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.messages import BroadcastMessage, MessageRead
from portalkit.domain.principals import Grant, Group, Membership, Role, User
from portalkit.domain.records import Asset, CustomerRecord, Document, Job
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.shares import ShareLink
from portalkit.errors import (
    ConflictError,
    DuplicateKeyError,
    InvalidInputError,
    NotFoundError,
)
from portalkit.ports import UpsertCounts

if TYPE_CHECKING:
    from portalkit.adapters.memory import MemoryUnitOfWork


class _Record(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


E = TypeVar("E", bound=_Record)


def _evolve(entity: E, **changes: Any) -> E:
    evolved: E = attrs.evolve(cast(Any, entity), **changes)
    return evolved


def _key(entity: object) -> Any:
    return getattr(entity, "external_key")  # noqa: B009 (records share the field, not a type)


_Tables = dict[str, dict[int, Any]]


def _sort_key(fields: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A key that sorts like the SQL adapter: NULLs last in either direction."""

    def key(entity: Any) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name in fields:
            value = getattr(entity, name.lstrip("-"))
            parts.append((value is None, value if value is not None else 0))
        return tuple(parts)

    return key


def _ordered(items: list[E], order_by: Sequence[str]) -> list[E]:
    keys = [*order_by, "id"] if "id" not in {f.lstrip("-") for f in order_by} else list(order_by)
    # Sort by the last key first; Python's sort is stable.
    for name in reversed(keys):
        descending = name.startswith("-")
        if descending:
            nonnull = [e for e in items if getattr(e, name[1:]) is not None]
            nulls = [e for e in items if getattr(e, name[1:]) is None]
            nonnull.sort(key=_sort_key([name[1:]]), reverse=True)
            items = nonnull + nulls
        else:
            items = sorted(items, key=_sort_key([name]))
    return items


_ENTITY_TYPES: dict[str, type[Any]] = {
    "scopes": ScopeNode,
    "users": User,
    "roles": Role,
    "groups": Group,
    "memberships": Membership,
    "grants": Grant,
    "assets": Asset,
    "documents": Document,
    "jobs": Job,
    "customers": CustomerRecord,
    "audit": AuditEntry,
    "outbox": OutboxEvent,
    "mail_queue": QueuedMail,
    "invitations": Invitation,
    "messages": BroadcastMessage,
    "message_reads": MessageRead,
    "share_links": ShareLink,
    "account_balances": AccountBalance,
    "contracts": Contract,
    "defects": Defect,
}


def _check_fields(table: str, where: Filter, order_by: Sequence[str] = ()) -> None:
    """Raise InvalidInputError for a filter or sort field the record type lacks."""
    known = attrs.fields_dict(_ENTITY_TYPES[table])
    for name in sorted(fields_of(where) | {f.lstrip("-") for f in order_by}):
        if name not in known:
            raise InvalidInputError(f"Unknown field {name!r}.", fields={name: "Unknown field."})


def _check_upsert_keys(keys: Sequence[Any]) -> None:
    """Raise unless every key is present and unique within one batch."""
    if any(k is None for k in keys):
        raise InvalidInputError.for_field("external_key", "Every record needs an external key.")
    if len(set(keys)) != len(keys):
        counts = Counter(keys)
        raise DuplicateKeyError(sorted(str(k) for k, n in counts.items() if n > 1))


class _Table(Generic[E]):
    """A generic repository over one dict of records in a unit's working copy."""

    name: str = ""
    unique: tuple[tuple[str, ...], ...] = ()
    path_field: str | None = None

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _rows(self) -> dict[int, E]:
        rows: dict[int, E] = self._uow._tables.setdefault(self.name, {})
        return rows

    def _check_unique(self, entity: E) -> None:
        for fields in self.unique:
            values = tuple(getattr(entity, f) for f in fields)
            if any(v is None for v in values):
                continue
            for other in self._rows.values():
                if other.id != entity.id and all(
                    getattr(other, f) == v for f, v in zip(fields, values, strict=True)
                ):
                    raise ConflictError(f"A record with this {', '.join(fields[1:])} exists.")

    def add(self, entity: E) -> E:
        stored = _evolve(entity, id=self._uow._storage._next_id())
        self._check_unique(stored)
        self._rows[stored.id] = stored
        return stored

    def get(self, tenant_id: int, id: int) -> E | None:
        entity = self._rows.get(id)
        return entity if entity is not None and entity.tenant_id == tenant_id else None

    def update(self, entity: E) -> None:
        if self.get(entity.tenant_id, entity.id) is None:
            raise NotFoundError()
        self._check_unique(entity)
        self._rows[entity.id] = entity

    def delete(self, tenant_id: int, id: int) -> bool:
        if self.get(tenant_id, id) is None:
            return False
        del self._rows[id]
        return True

    def _matching(self, tenant_id: int, where: Filter) -> Iterator[E]:
        for entity in self._rows.values():
            if entity.tenant_id == tenant_id and evaluate(where, entity):
                yield entity

    def find(
        self,
        tenant_id: int,
        where: Filter = TRUE,
        *,
        order_by: Sequence[str] = ("id",),
        limit: int | None = None,
    ) -> list[E]:
        _check_fields(self.name, where, order_by)
        found = _ordered(list(self._matching(tenant_id, where)), order_by)
        return found if limit is None else found[:limit]

    def count(self, tenant_id: int, where: Filter = TRUE) -> int:
        _check_fields(self.name, where)
        return sum(1 for _ in self._matching(tenant_id, where))

    # Keyed records ---------------------------------------------------------
    def get_by_external_key(self, tenant_id: int, external_key: str) -> E | None:
        for entity in self._rows.values():
            if entity.tenant_id == tenant_id and _key(entity) == external_key:
                return entity
        return None

    def upsert_many(self, tenant_id: int, entities: Sequence[E]) -> UpsertCounts:
        _check_upsert_keys([_key(e) for e in entities])
        by_key = {
            _key(e): e
            for e in self._rows.values()
            if e.tenant_id == tenant_id
        }
        inserted = updated = 0
        for entity in entities:
            existing = by_key.get(_key(entity))
            if existing is None:
                by_key[_key(entity)] = self.add(entity)
                inserted += 1
            else:
                replacement = _evolve(entity, id=existing.id)
                self.update(replacement)
                by_key[_key(entity)] = replacement
                updated += 1
        return UpsertCounts(inserted, updated)

    # Scoped records --------------------------------------------------------
    def rewrite_scope_prefix(self, tenant_id: int, old: str, new: str) -> int:
        field = self.path_field or "scope_path"
        changed = 0
        for id_, entity in list(self._rows.items()):
            path = getattr(entity, field)
            if entity.tenant_id == tenant_id and path.startswith(old):
                self._rows[id_] = _evolve(entity, **{field: new + path[len(old):]})
                changed += 1
        return changed
