"""The account capabilities: ``req.accounts`` and ``req.messages``.

:mod:`portalkit.capabilities` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable
from typing import Any

from portalkit._capabilities_base import _Bound
from portalkit._services.accounts import AccountService
from portalkit._services.messages import MessageService, MessageView
from portalkit.domain.accounts import AccountSummary, Contract, Defect, ItemOut, KpiTile
from portalkit.domain.pagination import Page
from portalkit.domain.records import Asset, Document


class RequestAccounts(_Bound[AccountService]):
    """Use cases behind the account pages, the asset list and the KPI tiles. For this request: no
    tenant, principal, policy or client key to pass.
    """

    def project_assets(self, assets: Iterable[Asset]) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *assets* with only the fields the tenant shows (plus ``id``)."""
        return self._service.project_assets(self._req.principal, assets, policy=self._req.policy)

    def summary(self, *, organization: int | None = None) -> AccountSummary:
        """Balance and last payment of an organization the principal may see."""
        return self._service.summary(
            self._req.principal, organization=organization, policy=self._req.policy
        )

    def assets(
        self,
        *,
        number: str | None = None,
        asset_type: str | None = None,
        sort: str = "number",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Asset]:
        """A page of the assets *principal* may see (one query); *number* is normalized."""
        return self._service.assets(
            self._req.principal,
            number=number,
            asset_type=asset_type,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    def contracts(self, *, organization: int | None = None) -> builtins.list[Contract]:
        """Contracts (number, status, items out) the principal may see, by number."""
        return self._service.contracts(
            self._req.principal, organization=organization, policy=self._req.policy
        )

    def items_out(
        self, *, organization: int | None = None, contract_number: str | None = None
    ) -> builtins.list[ItemOut]:
        """Items on rent the principal may see, optionally of one contract."""
        return self._service.items_out(
            self._req.principal,
            organization=organization,
            contract_number=contract_number,
            policy=self._req.policy,
        )

    def statements(
        self,
        *,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        size: int = 50,
        cursor: str | None = None,
    ) -> Page[Document]:
        """The statements *principal* may see, newest first, optionally by date range."""
        return self._service.statements(
            self._req.principal,
            issued_from=issued_from,
            issued_to=issued_to,
            size=size,
            cursor=cursor,
            policy=self._req.policy,
        )

    def statement_for(self, on: dt.date) -> Document:
        """The statement for a chosen date: the latest one issued on or before *on*."""
        return self._service.statement_for(self._req.principal, on, policy=self._req.policy)

    def kpi_tiles(
        self,
    ) -> builtins.list[KpiTile]:
        """The KPI tiles of the principal's groups, with values from the host, by key."""
        return self._service.kpi_tiles(self._req.principal, policy=self._req.policy)

    def defects(
        self,
        *,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        reported_from: dt.date | None = None,
        reported_to: dt.date | None = None,
        sort: str = "-reported_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Defect]:
        """A page of the defects *principal* may see, searchable by asset (one query)."""
        return self._service.defects(
            self._req.principal,
            asset=asset,
            status=status,
            reported_from=reported_from,
            reported_to=reported_to,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )


class RequestMessages(_Bound[MessageService]):
    """Broadcast messages of every tenant. For this request: no tenant, principal, policy or client
    key to pass.
    """

    def inbox(
        self,
    ) -> builtins.list[MessageView]:
        """The messages that apply to *principal* now, newest first, with read state."""
        return self._service.inbox(self._req.principal, policy=self._req.policy)

    def unread_count(
        self,
    ) -> int:
        """How many of the principal's current messages are unread."""
        return self._service.unread_count(self._req.principal, policy=self._req.policy)

    def mark_read(self, message_id: int) -> MessageView:
        """Mark a message read for this user (again is harmless)."""
        return self._service.mark_read(self._req.principal, message_id, policy=self._req.policy)
