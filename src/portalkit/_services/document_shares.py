"""Document share links: one document for one recipient, every use audited.

Part of :class:`~portalkit._services.documents.DocumentService`; see
:mod:`portalkit.domain.shares` for the link rules.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable

import attrs

from portalkit._services.account_flow import is_staff
from portalkit._services.document_access import _as_id
from portalkit._services.document_downloads import Download, _DocumentDownloads
from portalkit.domain.documents import (
    DocumentKind,
    visibility_filter,
)
from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import FALSE, TRUE, Eq, Filter, ScopeUnder, all_of, any_of
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Document
from portalkit.domain.shares import (
    DEFAULT_LIFETIME,
    SHARE_DOWNLOAD,
    SHARE_VIEW,
    ShareLink,
    hash_secret,
    new_secret,
    normalize_recipient,
    validate_actions,
    validate_lifetime,
)
from portalkit.domain.tenants import require_open
from portalkit.errors import (
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
)
from portalkit.perms import DOCUMENT_SHARE
from portalkit.ports import (
    UnitOfWork,
)


@attrs.frozen
class CreatedShare:
    """A new share link: the stored record and the secret (shown once, never stored)."""

    link: ShareLink
    secret: str


class _DocumentShares(_DocumentDownloads):
    """Share links: create, list, revoke and use them."""

    def _share_filter(self, policy: Policy, link: ShareLink, creator: Principal) -> Filter:
        """What a share link may see: its one document, if it passes the rules now."""
        settings = policy.settings
        if not (settings.portal_enabled and settings.licensed):
            return FALSE
        served: Filter = TRUE
        if settings.served_organization_ids is not None:
            served = any_of(
                *(ScopeUnder(f"/org:{i}/") for i in sorted(settings.served_organization_ids))
            )
        def scope(kind: DocumentKind) -> Filter:
            if link.created_by_staff:
                return served
            # A customer's link lives only as long as the customer still sees it.
            return policy.filter_for(creator, kind.permission)

        rule = visibility_filter(self.kinds, settings.disabled_features, scope)
        return all_of(Eq("id", link.document_id), rule)

    def _shareable(
        self, uow: UnitOfWork, policy: Policy, principal: Principal, document_id: int
    ) -> tuple[Document, bool]:
        """The document and whether the principal is staff; raise if they may not share it."""
        if principal.kind is not PrincipalKind.USER or principal.user_id is None:
            raise PermissionDeniedError()
        staff = is_staff(uow, principal)
        if staff:
            found = uow.documents.find(
                principal.tenant_id,
                all_of(Eq("id", document_id), visibility_filter(
                    self.kinds, policy.settings.disabled_features, lambda _k: TRUE
                )),
                limit=1,
            )
            document = found[0] if found else None
        else:
            document = self._visible_one(uow, policy, principal, document_id)
        if document is None:
            raise NotFoundError()
        if not staff and not policy.decide(principal, DOCUMENT_SHARE, document).allowed:
            raise PermissionDeniedError()
        return document, staff

    def share(
        self,
        principal: Principal,
        document_id: int,
        *,
        recipient: str,
        actions: Iterable[str] = (SHARE_VIEW, SHARE_DOWNLOAD),
        expires_in: dt.timedelta = DEFAULT_LIFETIME,
        client_key: str | None = None,
    ) -> CreatedShare:
        """Share one document with one recipient; returns the link's secret once.

        Staff may share any document that passes the visibility rules; a
        customer needs :data:`~portalkit.perms.DOCUMENT_SHARE` at the
        document's scope and must see the document.

        Raises:
            InvalidInputError: bad recipient, actions or lifetime.
            NotFoundError: the document is not visible to *principal*.
            PermissionDeniedError: visible, but *principal* may not share it.
        """
        document_id = _as_id(document_id)
        email = normalize_recipient(recipient)
        allowed = validate_actions(actions)
        lifetime = validate_lifetime(expires_in)
        secret = new_secret()
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            policy = self._policies(uow, principal)
            document, staff = self._shareable(uow, policy, principal, document_id)
            assert principal.user_id is not None  # checked by _shareable
            link = uow.share_links.add(
                ShareLink(
                    id=0,
                    tenant_id=principal.tenant_id,
                    document_id=document.id,
                    recipient=email,
                    actions=allowed,
                    secret_hash=hash_secret(self._share_keys[0], secret),
                    created_by=principal.user_id,
                    created_by_staff=staff,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            self._audit(
                uow, principal.tenant_id, "document.share", document, document.id,
                actor=principal.user_id, client_key=client_key,
                detail={"share_id": str(link.id), "actions": ",".join(sorted(allowed))},
            )
            uow.commit()
        return CreatedShare(link, secret)

    def shares(self, principal: Principal, document_id: int) -> builtins.list[ShareLink]:
        """The share links of one document: all of them for staff, one's own for a customer.

        Raises:
            NotFoundError: the document is not visible to *principal*.
        """
        document_id = _as_id(document_id)
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = self._policies(uow, principal)
            document, staff = self._shareable(uow, policy, principal, document_id)
            where: Filter = Eq("document_id", document.id)
            if not staff:
                where = all_of(where, Eq("created_by", principal.user_id))
            return uow.share_links.find(principal.tenant_id, where, order_by=("-created_at",))

    def revoke_share(
        self, principal: Principal, share_id: int, *, client_key: str | None = None
    ) -> ShareLink:
        """Revoke a link (staff: any link; a customer: their own). Idempotent.

        Raises:
            NotFoundError: no such link, or not *principal*'s to revoke.
        """
        share_id = _as_id(share_id)
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            link = uow.share_links.get(principal.tenant_id, share_id)
            if link is None or principal.kind is not PrincipalKind.USER:
                raise NotFoundError()
            if link.created_by != principal.user_id and not is_staff(uow, principal):
                raise NotFoundError()
            if link.revoked_at is None:
                link = attrs.evolve(link, revoked_at=now)
                uow.share_links.update(link)
                uow.audit.add(
                    AuditEntry(
                        id=0, tenant_id=link.tenant_id, at=now, action="document.share.revoke",
                        outcome="success", actor_user_id=principal.user_id,
                        target=f"document:{link.document_id}", client_key=client_key,
                        detail={"share_id": str(link.id)},
                    )
                )
                uow.commit()
        return link

    def _find_link(self, uow: UnitOfWork, tenant_id: int, secret: object) -> ShareLink | None:
        if not isinstance(secret, str) or not 16 <= len(secret) <= 64 or not secret.isascii():
            return None
        for key in self._share_keys:
            link = uow.share_links.get_by_secret_hash(tenant_id, hash_secret(key, secret))
            if link is not None:
                return link
        return None

    def _use_share(
        self, tenant_id: int, secret: str, action: str, client_key: str | None
    ) -> Document:
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                raise InvalidTokenError()
            require_open(tenant)
            link = self._find_link(uow, tenant_id, secret)
            if link is None:
                raise InvalidTokenError()
            document: Document | None = None
            expired = now >= link.expires_at
            # A link lives only as long as its creator's account is enabled,
            # staff included (a staff link does not depend on grants).
            author = uow.users.get(tenant_id, link.created_by)
            if link.allows(action, now) and author is not None and author.is_active:
                creator = Principal(
                    tenant_id=tenant_id, kind=PrincipalKind.USER, user_id=link.created_by
                )
                policy = self._policies(uow, creator)
                found = uow.documents.find(
                    tenant_id, self._share_filter(policy, link, creator), limit=1
                )
                document = found[0] if found else None
            self._audit(
                uow, tenant_id, f"document.share.{action}", document, link.document_id,
                actor=None, client_key=client_key,
                detail={"share_id": str(link.id), "recipient": link.recipient},
            )
            uow.commit()
        if link.revoked_at is not None:
            raise InvalidTokenError()
        if expired:
            raise TokenExpiredError()
        if action not in link.actions:
            raise PermissionDeniedError()
        if document is None:
            raise NotFoundError()
        return document

    def open_share(
        self, tenant_id: int, secret: str, *, client_key: str | None = None
    ) -> Document:
        """The shared document, viewed through its link (audited).

        Raises:
            InvalidTokenError: unknown or revoked link.
            TokenExpiredError: the link has expired.
            PermissionDeniedError: the link does not allow viewing.
            NotFoundError: the document no longer passes the visibility rules.
        """
        return self._use_share(tenant_id, secret, SHARE_VIEW, client_key)

    def download_shared(
        self, tenant_id: int, secret: str, *, client_key: str | None = None
    ) -> Download:
        """The shared document's file, through its link (audited); errors as :meth:`open_share`."""
        return self._file(self._use_share(tenant_id, secret, SHARE_DOWNLOAD, client_key))
