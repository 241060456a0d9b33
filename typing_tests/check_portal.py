"""The facade as a host application uses it."""

from __future__ import annotations

from typing_extensions import assert_type

import portalkit
from portalkit import AdminSession, Portal, ScopeNode


def build(secret: str) -> Portal:
    """``from_url`` returns a Portal; the staff API is a context manager."""
    portal = Portal.from_url("sqlite:///portal.db", secret_key=secret)
    assert_type(portal, Portal)
    portal.upgrade()
    with portal.admin() as admin:
        assert_type(admin, AdminSession)
        org = admin.add_organization("City Fleet")
        assert_type(org, ScopeNode)
    Portal.from_url("sqlite:///portal.db")  # type: ignore[call-arg]
    return portal


def version() -> str:
    """The version is a string."""
    return portalkit.__version__
