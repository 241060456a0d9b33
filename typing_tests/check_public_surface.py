"""A host annotates with public names only: the services, what they return, the filters."""

from __future__ import annotations

from typing_extensions import assert_type

from portalkit import (
    Ambiguous,
    Asset,
    Document,
    Found,
    NotFound,
    Page,
    Portal,
    PortalRequest,
    SessionSummary,
    User,
)
from portalkit.config import EmailTemplate, PasswordPolicy
from portalkit.filters import Eq, Filter, ScopeUnder, all_of, evaluate
from portalkit.locale import Msg
from portalkit.services import DocumentService, IdentityService, InvitationService


def services(portal: Portal) -> None:
    """The portal's services have public types."""
    assert_type(portal.identity, IdentityService)
    assert_type(portal.documents, DocumentService)
    assert_type(portal.invitations, InvitationService)


def tutorial_pages(req: PortalRequest, plate: str) -> Asset | None:
    """The tutorial's lookup and document list, typed as a host writes them."""
    result = req.assets.resolve(plate)
    assert_type(result, Found | Ambiguous | NotFound)
    page = req.documents.list()
    assert_type(page, Page[Document])
    assert_type(req.user, User | None)
    assert_type(req.sessions(), list[SessionSummary])
    return result.asset if isinstance(result, Found) else None


def rules(document: Document) -> bool:
    """Filters are data, evaluated in Python or compiled by the storage."""
    rule: Filter = all_of(Eq("kind", "invoice"), ScopeUnder("/org:1/"))
    return evaluate(rule, document)


def configuration() -> tuple[EmailTemplate | None, PasswordPolicy, Msg]:
    """Configuration types come from portalkit.config, messages from portalkit.locale."""
    return None, PasswordPolicy(), Msg("myapp.blocked")
