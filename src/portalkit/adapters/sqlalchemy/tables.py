"""The schema: one typed declarative model per portalkit entity.

portalkit keeps to its own :class:`Base` with its own ``MetaData`` (and a
naming convention, so Alembic can name and later drop every constraint), and
every table is called ``portalkit_<name>``: a host can share its database
without a clash. Repositories use these tables through SQLAlchemy Core; the
models exist for the schema, for Alembic and for hosts that want to join.

String columns compare in the "C" collation on PostgreSQL (see
:func:`~portalkit.adapters.sqlalchemy.types.c_string`), so sorting and scope
range scans give the same order as Python and SQLite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from portalkit.adapters.sqlalchemy.types import EnumAsString, JsonFrozenSet, UtcDateTime, c_string
from portalkit.domain.scopes import ScopeKind

__all__ = [
    "AssetRow",
    "AuditRow",
    "Base",
    "CustomerRow",
    "DocumentRow",
    "GrantRow",
    "GroupRow",
    "JobRow",
    "MailQueueRow",
    "MembershipRow",
    "OutboxRow",
    "RoleRow",
    "ScopeRow",
    "TenantRow",
    "UserRow",
    "id_column",
    "optional_ref_column",
    "ref_column",
    "tenant_column",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Identity columns: BIGINT on PostgreSQL, SQLite's INTEGER rowid alias there.
ID_TYPE: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """portalkit's own declarative base (never the host's)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it from the class)
        str: c_string(),
        int: BigInteger(),
        bool: Boolean(),
        dt.date: Date(),
        dt.datetime: UtcDateTime(),
        frozenset[str]: JsonFrozenSet(),
        dict[str, Any]: JSON().with_variant(JSONB(), "postgresql"),
    }


def id_column() -> Mapped[int]:
    """The identity column (BIGINT, SQLite's rowid alias there)."""
    return mapped_column(ID_TYPE, primary_key=True, autoincrement=True)


def tenant_column() -> Mapped[int]:
    """The owning tenant, deleted with it."""
    return mapped_column(
        ID_TYPE, ForeignKey("portalkit_tenants.id", ondelete="CASCADE"), nullable=False
    )


def ref_column() -> Mapped[int]:
    """A required reference to another portalkit record (unenforced, as in memory)."""
    return mapped_column(ID_TYPE, nullable=False)


def optional_ref_column() -> Mapped[int | None]:
    """An optional reference to another portalkit record."""
    return mapped_column(ID_TYPE, nullable=True)


class TenantRow(Base):
    """A tenant; its settings are one JSON document."""

    __tablename__ = "portalkit_tenants"

    id: Mapped[int] = id_column()
    slug: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    settings: Mapped[dict[str, Any]]


class ScopeRow(Base):
    """A scope node with its materialized path."""

    __tablename__ = "portalkit_scopes"
    __table_args__ = (
        Index(None, "tenant_id", "path"),
        Index(None, "tenant_id", "parent_id"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    kind: Mapped[ScopeKind] = mapped_column(EnumAsString(ScopeKind))
    name: Mapped[str]
    path: Mapped[str]
    parent_id: Mapped[int | None] = optional_ref_column()
    external_key: Mapped[str | None]


class UserRow(Base):
    """A portal user."""

    __tablename__ = "portalkit_users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "username"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    email: Mapped[str]
    name: Mapped[str]
    username: Mapped[str | None]
    phone: Mapped[str | None]
    is_active: Mapped[bool]
    is_staff: Mapped[bool]
    password_hash: Mapped[str | None]
    security_stamp: Mapped[str]
    external_key: Mapped[str | None]
    created_at: Mapped[dt.datetime | None]


class RoleRow(Base):
    """A role: a named set of permissions (a JSON array)."""

    __tablename__ = "portalkit_roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    name: Mapped[str]
    permissions: Mapped[frozenset[str]]


class GroupRow(Base):
    """A user group with the KPI tiles it may see (a JSON array)."""

    __tablename__ = "portalkit_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    name: Mapped[str]
    kpi_keys: Mapped[frozenset[str]]


class MembershipRow(Base):
    """A user's membership of a group."""

    __tablename__ = "portalkit_memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "group_id", "user_id"),
        Index(None, "tenant_id", "user_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    group_id: Mapped[int] = ref_column()
    user_id: Mapped[int] = ref_column()


class GrantRow(Base):
    """A role held by a user or a group at a scope node."""

    __tablename__ = "portalkit_grants"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        Index(None, "tenant_id", "user_id"),
        Index(None, "tenant_id", "group_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    role_id: Mapped[int] = ref_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    user_id: Mapped[int | None] = optional_ref_column()
    group_id: Mapped[int | None] = optional_ref_column()


class AssetRow(Base):
    """An asset, looked up by its normalized number or plate."""

    __tablename__ = "portalkit_assets"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        Index(None, "tenant_id", "number_key"),
        Index(None, "tenant_id", "plate_key"),
        Index(None, "tenant_id", "plate_fold"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    number: Mapped[str]
    number_key: Mapped[str]
    plate: Mapped[str | None]
    plate_key: Mapped[str | None]
    plate_fold: Mapped[str | None]
    region: Mapped[str | None]
    external_key: Mapped[str | None]
    asset_type: Mapped[str]
    description: Mapped[str]
    model: Mapped[str]
    serial: Mapped[str]
    customer_ref: Mapped[str]
    last_test_number: Mapped[str | None]
    last_test_date: Mapped[dt.date | None]


class DocumentRow(Base):
    """A document (quote, invoice, report …)."""

    __tablename__ = "portalkit_documents"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    number: Mapped[str]
    title: Mapped[str]
    issued_on: Mapped[dt.date | None]
    total_cents: Mapped[int | None]
    currency: Mapped[str | None]
    filename: Mapped[str | None]
    content_type: Mapped[str]
    external_key: Mapped[str | None]
    created_at: Mapped[dt.datetime | None]


class JobRow(Base):
    """A job or work order at a site."""

    __tablename__ = "portalkit_jobs"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        UniqueConstraint("tenant_id", "external_key"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    scope_id: Mapped[int] = ref_column()
    scope_path: Mapped[str]
    number: Mapped[str]
    status: Mapped[str]
    job_type: Mapped[str]
    scheduled_on: Mapped[dt.date | None]
    site_address: Mapped[str]
    notes: Mapped[str]
    po_number: Mapped[str]
    asset_id: Mapped[int | None] = optional_ref_column()
    external_key: Mapped[str | None]
    created_at: Mapped[dt.datetime | None]


class CustomerRow(Base):
    """The host's customer account behind an organization."""

    __tablename__ = "portalkit_customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_key"),
        Index(None, "tenant_id", "organization_id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    organization_id: Mapped[int] = ref_column()
    external_key: Mapped[str]
    name: Mapped[str]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    postal_code: Mapped[str | None]
    country: Mapped[str]
    portal_enabled: Mapped[bool]
    is_account: Mapped[bool]
    contract_count: Mapped[int]
    quote_count: Mapped[int]


class AuditRow(Base):
    """One audit entry."""

    __tablename__ = "portalkit_audit"
    __table_args__ = (
        Index(None, "tenant_id", "scope_path"),
        Index(None, "tenant_id", "at"),
        # A user's latest entries of an action (the last sign-in of the people page).
        Index(None, "tenant_id", "actor_user_id", "action", "id"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    at: Mapped[dt.datetime]
    action: Mapped[str]
    outcome: Mapped[str]
    actor_user_id: Mapped[int | None] = optional_ref_column()
    target: Mapped[str | None]
    scope_path: Mapped[str | None]
    client_key: Mapped[str | None]
    detail: Mapped[dict[str, Any]]


class OutboxRow(Base):
    """An event waiting for the host."""

    __tablename__ = "portalkit_outbox"
    __table_args__ = (Index(None, "delivered_at", "id"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    topic: Mapped[str]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]


class MailQueueRow(Base):
    """A composed message waiting to be sent (portalkit.domain.mail_queue)."""

    __tablename__ = "portalkit_mail_queue"
    __table_args__ = (Index(None, "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    message: Mapped[str]
    to: Mapped[str]
    message_id: Mapped[str]
    subject: Mapped[str]
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    attempts: Mapped[int]
    sent_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
