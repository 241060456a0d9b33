"""Guard class-based views: ``class JobList(PortalPermissionMixin, View)``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from portalkit.contrib.django.decorators import check_access

__all__ = ["PortalPermissionMixin"]


class PortalPermissionMixin:
    """Require a principal holding :attr:`portal_permission` before dispatching.

    Put it first among the bases. ``portal_permission = None`` only requires
    a principal (a signed-in user, or the guest where no login is required).
    """

    portal_permission: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Stop the request (sign-in redirect or 403) or hand it to the view."""
        stop = check_access(request, self.portal_permission)
        if stop is not None:
            return stop
        response: HttpResponseBase = super().dispatch(  # type: ignore[misc]
            request, *args, **kwargs
        )
        return response
