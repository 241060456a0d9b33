"""The base of every capability: a service bound to one request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from portalkit._boundary import guard_inputs

if TYPE_CHECKING:
    from portalkit._request import PortalRequest

S = TypeVar("S")


class _Bound(Generic[S]):
    """A service bound to one request; every public method checks its arguments first."""

    __slots__ = ("_req", "_service")

    def __init__(self, service: S, request: PortalRequest) -> None:
        self._service = service
        self._req = request

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard_inputs(cls)
