"""How a request's services share its one unit of work.

The portal's services open their units through :class:`RequestRouting`: with
no active request (a context variable) it passes the call to the real
storage; inside :meth:`Portal.request <portalkit.Portal.request>` it hands
out a :class:`_JoinedUnit`, a view of the request's one unit that runs each
writing service call in a savepoint. Throttle counters and repeated reads of
the same record get the same treatment (:class:`_RequestThrottle`,
:class:`_RememberedGets`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from portalkit.domain.identity import ThrottleRule, ThrottleState
from portalkit.errors import StorageError
from portalkit.ports import HeldAccess, Savepoint, Storage, Throttle, UnitOfWork

if TYPE_CHECKING:
    from portalkit._request import PortalRequest

__all__ = ["RequestRouting"]


class RequestRouting:
    """The storage the portal's services use: the active request's unit, or a new one.

    Outside a request every call is passed to the real storage. It is an
    implementation detail of :class:`~portalkit.Portal`; hosts use
    :attr:`Portal.storage <portalkit.Portal.storage>`, the real one.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.active: contextvars.ContextVar[PortalRequest | None] = contextvars.ContextVar(
            "portalkit_request", default=None
        )

    def unit_of_work(self, *, read_only: bool = False, wait: bool = True) -> UnitOfWork:
        """The active request's unit (read-only or writing), else a new unit."""
        request = self.active.get()
        if request is None:
            if wait:
                return self.storage.unit_of_work(read_only=read_only)
            return self.storage.unit_of_work(read_only=read_only, wait=False)
        return _JoinedUnit(request, read_only=read_only)

    def upgrade(self) -> None:
        """Create or migrate the schema."""
        self.storage.upgrade()

    def check(self) -> None:
        """Raise unless the storage is usable."""
        self.storage.check()

    def close(self) -> None:
        """Release connections."""
        self.storage.close()

    def throttle(self) -> Throttle:
        """The storage's throttle counters; inside a request that writes, joined to it if needed."""
        return _RequestThrottle(self, self.storage.throttle())


class _RequestThrottle:
    """Throttle counters that do not wait for the active request's own write lock.

    Counters commit on their own. Only when the active request already holds
    the database's write lock and the database has one writer (SQLite) do
    they join the request's transaction (:meth:`~portalkit.ports.Throttle.within`).
    """

    def __init__(self, routing: RequestRouting, throttle: Throttle) -> None:
        self._routing = routing
        self._throttle = throttle

    def _current(self) -> Throttle:
        request = self._routing.active.get()
        if request is None or not request._writes or request._uow is None:
            return self._throttle
        return self._throttle.within(request._uow)

    def acquire(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Count one attempt against *key* (ThrottledError if blocked)."""
        self._current().acquire(key, rule, now)

    def acquire_many(self, limits: Sequence[tuple[str, ThrottleRule]], now: dt.datetime) -> None:
        """Count one attempt against every key, or against none."""
        self._current().acquire_many(limits, now)

    def settle(
        self,
        *,
        reset: Sequence[str] = (),
        forgive: Sequence[tuple[str, ThrottleRule]] = (),
        now: dt.datetime,
    ) -> None:
        """After a success: forget *reset*, take one count back on *forgive*."""
        self._current().settle(reset=reset, forgive=forgive, now=now)

    def forgive(self, key: str, rule: ThrottleRule, now: dt.datetime) -> None:
        """Take back one counted attempt."""
        self._current().forgive(key, rule, now)

    def reset(self, key: str) -> None:
        """Forget every failure of *key*."""
        self._current().reset(key)

    def state(self, key: str) -> ThrottleState:
        """The stored state of *key*."""
        return self._current().state(key)

    def within(self, uow: UnitOfWork) -> Throttle:
        """The underlying throttle's :meth:`~portalkit.ports.Throttle.within`."""
        return self._throttle.within(uow)


class _JoinedUnit:
    """A service's unit of work inside a request: a view of the request's one unit.

    A writing view runs in a savepoint: ``commit()`` keeps its writes (they
    become permanent when the request ends), leaving without it or with an
    exception discards them, as a unit of its own would.
    """

    def __init__(self, request: PortalRequest, *, read_only: bool) -> None:
        self._request = request
        self._read_only = read_only
        self._uow: UnitOfWork | None = None
        self._savepoint: Savepoint | None = None

    def __enter__(self) -> _JoinedUnit:
        self._uow = self._request._unit(writes=not self._read_only)
        if not self._read_only:
            self._savepoint = self._uow.savepoint()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        savepoint, self._savepoint = self._savepoint, None
        self._uow = None
        if savepoint is not None:
            savepoint.rollback()  # a no-op after commit() released it

    def __getattr__(self, name: str) -> Any:
        if self._uow is None:
            raise StorageError("A unit of work must be used inside a `with` block.")
        repository = getattr(self._uow, name)
        if self._request._writes:
            return repository
        if name in _REMEMBERED:
            return _RememberedGets(repository, self._request._remembered.setdefault(name, {}))
        if name == "actions":
            return _RememberedSettings(repository, self._request._remembered)
        if name == "grants":
            return _RememberedAccess(repository, self._request._remembered)
        return repository

    def commit(self) -> None:
        """Keep this unit's writes; they commit with the request."""
        if self._read_only or self._uow is None:
            raise StorageError("A read-only unit of work cannot commit; call begin_writes() first.")
        if self._savepoint is not None:
            self._savepoint.release()
        self._savepoint = self._uow.savepoint()

    def rollback(self) -> None:
        """Discard this unit's writes since it began (or last committed)."""
        if self._savepoint is not None and self._uow is not None:
            self._savepoint.rollback()
            self._savepoint = self._uow.savepoint()

    def begin_writes(self) -> None:
        """Let this view write (the request's unit starts writing)."""
        if self._read_only:
            self._read_only = False
            self._uow = self._request._unit(writes=True)
            self._savepoint = self._uow.savepoint()

    def savepoint(self) -> Savepoint:
        """A savepoint in the request's transaction."""
        if self._uow is None:
            raise StorageError("A unit of work must be used inside a `with` block.")
        return self._uow.savepoint()


#: Repositories whose ``get`` a request answers from what it already read, until it writes.
_REMEMBERED = frozenset({"tenants", "users", "scopes", "assets", "documents", "jobs"})


class _RememberedGets:
    """A repository whose ``get`` returns what this request already read.

    A request's pages ask for the same record again and again (the asset page
    checks its asset in each section's service). Records are immutable and,
    until the request writes, nothing of the request changes them, so the
    first answer stands. Everything but ``get`` goes to the repository.
    """

    __slots__ = ("_known", "_repository")

    def __init__(self, repository: Any, known: dict[tuple[int, ...], Any]) -> None:
        self._repository = repository
        self._known = known

    def get(self, *key: int) -> Any:
        """The record, read once per request."""
        if key not in self._known:
            self._known[key] = self._repository.get(*key)
        return self._known[key]

    def get_many(self, tenant_id: int, ids: Sequence[int]) -> list[Any]:
        """The records with these ids, in the order asked; read only if one is not known."""
        known = self._known
        if any((tenant_id, i) not in known for i in ids):
            for record in self._repository.get_many(tenant_id, ids):
                known[(tenant_id, record.id)] = record
            found = [known.get((tenant_id, i)) for i in dict.fromkeys(ids)]
            return [record for record in found if record is not None]
        return [r for i in dict.fromkeys(ids) if (r := known[(tenant_id, i)]) is not None]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)


class _RememberedSettings:
    """The action repositories, whose tenant settings this request reads once.

    Every action service of a page (appointment slots, the maintenance
    schedule …) starts from the tenant's action settings; until the request
    writes, the first read stands, as for :class:`_RememberedGets`.
    """

    __slots__ = ("_known", "_repositories")

    def __init__(self, repositories: Any, known: dict[str, dict[tuple[int, ...], Any]]) -> None:
        self._repositories = repositories
        self._known = known

    @property
    def settings(self) -> _RememberedFind:
        """The settings repository, its ``find`` answered once per request."""
        return _RememberedFind(
            self._repositories.settings, self._known.setdefault("action_settings", {})
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repositories, name)


class _RememberedFind:
    """A repository whose ``find(tenant_id, limit=n)`` returns what this request already read."""

    __slots__ = ("_known", "_repository")

    def __init__(self, repository: Any, known: dict[tuple[int, ...], Any]) -> None:
        self._repository = repository
        self._known = known

    def find(self, tenant_id: int, *args: Any, **kwargs: Any) -> list[Any]:
        """The records; a plain ``find(tenant_id, limit=n)`` is read once per request."""
        if args or set(kwargs) - {"limit"}:
            return list(self._repository.find(tenant_id, *args, **kwargs))
        key = (tenant_id, kwargs.get("limit") or 0)
        if key not in self._known:
            self._known[key] = list(self._repository.find(tenant_id, **kwargs))
        return list(self._known[key])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)


class _RememberedAccess:
    """The grants repository: the organization nodes a policy load read are remembered.

    A page that shows an organization's name (an asset's customer) then finds
    the node the request's policy already read.
    """

    __slots__ = ("_known", "_repository")

    def __init__(self, repository: Any, known: dict[str, dict[tuple[int, ...], Any]]) -> None:
        self._repository = repository
        self._known = known

    def access_of(self, tenant_id: int, user_ids: Sequence[int]) -> HeldAccess:
        """:meth:`~portalkit.ports.GrantRepository.access_of`, its organizations remembered."""
        access: HeldAccess = self._repository.access_of(tenant_id, user_ids)
        scopes = self._known.setdefault("scopes", {})
        for node in access.organizations:
            scopes[(node.tenant_id, node.id)] = node
        return access

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)
