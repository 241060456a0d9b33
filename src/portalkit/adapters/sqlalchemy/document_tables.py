"""Tables of the documents capability: share links, the account ledger default, defects.

They use :class:`~portalkit.adapters.sqlalchemy.tables.Base` (portalkit's own
metadata) and are created by migration ``0004_documents``. The account tables
are the SQL-backed default behind the :class:`~portalkit.ports.AccountSource`
port (a host whose ERP owns the ledger implements the port instead); items on
rent are the customer-actions capability's rental items (``uow.actions.rentals``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import Mapped

from portalkit.adapters.sqlalchemy.tables import Base, id_column, ref_column, tenant_column

__all__ = ["AccountBalanceRow", "ContractRow", "DefectRow", "ShareLinkRow"]


class ShareLinkRow(Base):
    """A share link; the secret is stored only as its keyed hash."""

    __tablename__ = "portalkit_share_links"
    __table_args__ = (
        UniqueConstraint("secret_hash"),
        Index(None, "tenant_id", "document_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    document_id: Mapped[int] = ref_column()
    recipient: Mapped[str]
    actions: Mapped[frozenset[str]]
    secret_hash: Mapped[str]
    created_by: Mapped[int] = ref_column()
    created_by_staff: Mapped[bool]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class AccountBalanceRow(Base):
    """An organization's balance and last payment (the default ledger)."""

    __tablename__ = "portalkit_account_balances"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    organization_id: Mapped[int] = ref_column()
    balance_cents: Mapped[int]
    currency: Mapped[str]
    last_payment_cents: Mapped[int | None]
    last_payment_on: Mapped[dt.date | None]
    as_of: Mapped[dt.date | None]


class ContractRow(Base):
    """A rental contract (the default ledger)."""

    __tablename__ = "portalkit_contracts"
    __table_args__ = (
        Index(None, "tenant_id", "organization_id"),
        Index(None, "tenant_id", "scope_path"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    organization_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    number: Mapped[str]
    status: Mapped[str]
    items_out: Mapped[int]
    started_on: Mapped[dt.date | None]
    external_key: Mapped[str | None]


class DefectRow(Base):
    """A defect on an asset."""

    __tablename__ = "portalkit_defects"
    __table_args__ = (
        Index(None, "tenant_id", "asset_id"),
        Index(None, "tenant_id", "scope_path"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    asset_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    number: Mapped[str]
    description: Mapped[str]
    severity: Mapped[str]
    status: Mapped[str]
    reported_on: Mapped[dt.date | None]
    external_key: Mapped[str | None]
