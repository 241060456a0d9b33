"""The example's one rule for what a user may not use.

- A **section** (a menu page: jobs, a document kind, the account, messages,
  invitations) the user holds no permission for answers the 403 page, on every
  page alike: :func:`portalkit.contrib.flask.require` for fixed sections,
  :func:`require_section` where the section is chosen in the URL.
- A **record** (an asset, a job, a document, an appointment) the user may not
  see answers the 404 page, exactly like one that does not exist: the
  services raise ``NotFoundError`` for both.
- An asset the user may find but none of whose sections they may see shows
  the asset's no-access page (403, seed 000).

Both pages come from the integration's one error mapping, so no view writes a
status of its own for a permission.
"""

from __future__ import annotations

from portalkit.contrib import flask as pk
from portalkit.errors import PermissionDeniedError

__all__ = ["may_use", "require_section"]


def may_use(permission: str) -> bool:
    """Whether this request's principal holds *permission* anywhere (a menu entry shows)."""
    req = pk.request_from()
    if req.must_sign_in:
        return False
    return bool(req.policy.granted_paths(req.principal, permission))


def require_section(*permissions: str) -> None:
    """Refuse the page (403) unless the principal holds one of *permissions* somewhere.

    The same test and message as ``pk.require(permission)``, for a view whose
    permission depends on its URL or that any of several permissions opens.
    """
    if not any(may_use(permission) for permission in permissions):
        raise PermissionDeniedError("You do not have access to this page.")
