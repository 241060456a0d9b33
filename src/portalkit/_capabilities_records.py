"""The record capabilities: ``req.assets``, ``req.documents`` and ``req.jobs``.

:mod:`portalkit.capabilities` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable
from typing import Any

from portalkit._capabilities_base import _Bound
from portalkit._capabilities_second_factors import require_step_up
from portalkit._services.assets import AssetService
from portalkit._services.documents import CreatedShare, DocumentService, Download
from portalkit._services.jobs import JobService
from portalkit.domain.pagination import Page
from portalkit.domain.policy import NoAccess, Sections
from portalkit.domain.records import Asset, Document, Job
from portalkit.domain.resolver import Resolution
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.shares import ShareLink

_WEEK = dt.timedelta(days=7)


class RequestAssets(_Bound[AssetService]):
    """Find assets by number or plate and build the asset page. For this request: no tenant,
    principal, policy or client key to pass.
    """

    def resolve(
        self,
        text: str,
        *,
        organization: str | int | ScopeNode | None = None,
        region: str | None = None,
    ) -> Resolution:
        """Find the asset whose number or plate is *text*, among those the principal may see."""
        return self._service.resolve(
            self._req.principal,
            text,
            organization=organization,
            region=region,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def get(self, asset_id: int) -> Asset:
        """The asset with *asset_id* if the principal may see it; NotFoundError otherwise."""
        return self._service.get(self._req.principal, asset_id, policy=self._req.policy)

    def sections(self, asset: Asset) -> Sections | NoAccess:
        """The asset page's sections the principal may see, or NoAccess (seed 000)."""
        return self._service.sections(self._req.principal, asset, policy=self._req.policy)

    def fields(self, asset: Asset) -> builtins.list[tuple[str, Any]]:
        """The asset's fields the principal may see, as (label, value) in display order.

        The tenant shows the field (seed 002) and, for identification fields,
        the principal may view the asset's identification (seed 000).
        """
        return self._service.fields(self._req.principal, asset, policy=self._req.policy)


class RequestDocuments(_Bound[DocumentService]):
    """Use cases on documents for one portal (see the module docstring). For this request: no
    tenant, principal, policy or client key to pass.
    """

    def list(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        sort: str = "-issued_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Document]:
        """A page of the documents *principal* may see, newest first by default."""
        return self._service.list(
            self._req.principal,
            kind=kind,
            status=status,
            number=number,
            issued_from=issued_from,
            issued_to=issued_to,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    search = list  # the services' name for a list with criteria

    def count(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
    ) -> int:
        """How many documents *principal* may see (one SQL statement)."""
        return self._service.count(
            self._req.principal,
            kind=kind,
            status=status,
            issued_from=issued_from,
            issued_to=issued_to,
            policy=self._req.policy,
        )

    def latest(
        self, *, kind: str | Iterable[str] | None = None, limit: int = 5
    ) -> builtins.list[Document]:
        """The newest documents *principal* may see, for a "latest" widget (<= 20)."""
        return self._service.latest(
            self._req.principal, kind=kind, limit=limit, policy=self._req.policy
        )

    def get(self, document_id: int) -> Document:
        """The document if *principal* may see it (exactly when it is in their list)."""
        return self._service.get(self._req.principal, document_id, policy=self._req.policy)

    def download(self, document_id: int) -> Download:
        """The document's file, if the principal may see it now (audited); no token.

        Answer a page's "Download" POST with it: no token in any URL.
        """
        return self._service.download(
            self._req.principal, document_id, client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def download_token(self, document_id: int) -> str:
        """A signed token that lets this principal, in this session, download the document once."""
        return self._service.download_token(
            self._req.principal, document_id, session=self._req.session_binding,
            policy=self._req.policy,
        )

    def open_download(self, token: str) -> Download:
        """The file behind a download token, once, if it is still visible to the principal now."""
        return self._service.open_download(
            self._req.principal, token, session=self._req.session_binding,
            client_key=self._req.client_key, policy=self._req.policy,
        )

    def share(
        self,
        document_id: int,
        *,
        recipient: str,
        actions: Iterable[str] = ("view", "download"),
        expires_in: dt.timedelta = _WEEK,
    ) -> CreatedShare:
        """Share one document with one recipient; returns the link's secret once.

        A sensitive action (``share.create``): may raise ReauthenticationRequired.
        """
        require_step_up(self._req, "share.create")
        return self._service.share(
            self._req.principal,
            document_id,
            recipient=recipient,
            actions=actions,
            expires_in=expires_in,
            client_key=self._req.client_key,
        )

    def shares(self, document_id: int) -> builtins.list[ShareLink]:
        """The share links of one document: all of them for staff, one's own for a customer."""
        return self._service.shares(self._req.principal, document_id)

    def revoke_share(self, share_id: int) -> ShareLink:
        """Revoke a link (staff: any link; a customer: their own). Idempotent."""
        return self._service.revoke_share(
            self._req.principal, share_id, client_key=self._req.client_key
        )


class RequestJobs(_Bound[JobService]):
    """Use cases on jobs for one portal. For this request: no tenant, principal, policy or client
    key to pass.
    """

    def project(self, jobs: Iterable[Job]) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *jobs* with only the fields the tenant shows (plus ``id``)."""
        return self._service.project(self._req.principal, jobs, policy=self._req.policy)

    def list(
        self,
        *,
        scheduled_from: dt.date | None = None,
        scheduled_to: dt.date | None = None,
        site: int | None = None,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        sort: str = "-scheduled_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Job]:
        """A page of the jobs *principal* may see, matching the search."""
        return self._service.list(
            self._req.principal,
            scheduled_from=scheduled_from,
            scheduled_to=scheduled_to,
            site=site,
            asset=asset,
            status=status,
            number=number,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    search = list  # the services' name for a list with criteria

    def get(self, job_id: int) -> Job:
        """The job if *principal* may see it (exactly when it is in their list)."""
        return self._service.get(self._req.principal, job_id, policy=self._req.policy)
