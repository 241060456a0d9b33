"""Initial schema: every portalkit table, named portalkit_<name>.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does. Strings compare in the "C" collation on
PostgreSQL; datetimes are naive UTC; JSON is JSONB on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:42:51.005602
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("portalkit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "portalkit_tenants",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("slug", STR, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_portalkit_tenants_slug")),
    )
    op.create_table(
        "portalkit_assets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("number", STR, nullable=False),
        sa.Column("number_key", STR, nullable=False),
        sa.Column("plate", STR, nullable=True),
        sa.Column("plate_key", STR, nullable=True),
        sa.Column("region", STR, nullable=True),
        sa.Column("external_key", STR, nullable=True),
        sa.Column("asset_type", STR, nullable=False),
        sa.Column("description", STR, nullable=False),
        sa.Column("model", STR, nullable=False),
        sa.Column("serial", STR, nullable=False),
        sa.Column("customer_ref", STR, nullable=False),
        sa.Column("last_test_number", STR, nullable=True),
        sa.Column("last_test_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_assets_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_assets")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_assets_tenant_id_external_key")
        ),
    )
    op.create_index(
        op.f("ix_portalkit_assets_tenant_id_number_key"),
        "portalkit_assets",
        ["tenant_id", "number_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_assets_tenant_id_plate_key"),
        "portalkit_assets",
        ["tenant_id", "plate_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_assets_tenant_id_scope_path"),
        "portalkit_assets",
        ["tenant_id", "scope_path"],
        unique=False,
    )
    op.create_table(
        "portalkit_audit",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", STR, nullable=False),
        sa.Column("outcome", STR, nullable=False),
        sa.Column("actor_user_id", ID, nullable=True),
        sa.Column("target", STR, nullable=True),
        sa.Column("scope_path", STR, nullable=True),
        sa.Column("client_key", STR, nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_audit_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_audit")),
    )
    op.create_index(
        op.f("ix_portalkit_audit_tenant_id_at"),
        "portalkit_audit",
        ["tenant_id", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_audit_tenant_id_scope_path"),
        "portalkit_audit",
        ["tenant_id", "scope_path"],
        unique=False,
    )
    op.create_table(
        "portalkit_customers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("external_key", STR, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("phone", STR, nullable=True),
        sa.Column("email", STR, nullable=True),
        sa.Column("postal_code", STR, nullable=True),
        sa.Column("country", STR, nullable=False),
        sa.Column("portal_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_account", sa.Boolean(), nullable=False),
        sa.Column("contract_count", sa.BigInteger(), nullable=False),
        sa.Column("quote_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_customers_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_customers")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_customers_tenant_id_external_key")
        ),
    )
    op.create_index(
        op.f("ix_portalkit_customers_tenant_id_organization_id"),
        "portalkit_customers",
        ["tenant_id", "organization_id"],
        unique=False,
    )
    op.create_table(
        "portalkit_documents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("kind", STR, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("number", STR, nullable=False),
        sa.Column("title", STR, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("total_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", STR, nullable=True),
        sa.Column("filename", STR, nullable=True),
        sa.Column("content_type", STR, nullable=False),
        sa.Column("external_key", STR, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_documents_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_documents")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_documents_tenant_id_external_key")
        ),
    )
    op.create_index(
        op.f("ix_portalkit_documents_tenant_id_scope_path"),
        "portalkit_documents",
        ["tenant_id", "scope_path"],
        unique=False,
    )
    op.create_table(
        "portalkit_grants",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("role_id", ID, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_grants_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_grants")),
    )
    op.create_index(
        op.f("ix_portalkit_grants_tenant_id_group_id"),
        "portalkit_grants",
        ["tenant_id", "group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_grants_tenant_id_scope_path"),
        "portalkit_grants",
        ["tenant_id", "scope_path"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_grants_tenant_id_user_id"),
        "portalkit_grants",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "portalkit_groups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("kpi_keys", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_groups_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_groups")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_portalkit_groups_tenant_id_name")),
    )
    op.create_table(
        "portalkit_jobs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("number", STR, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("job_type", STR, nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("site_address", STR, nullable=False),
        sa.Column("notes", STR, nullable=False),
        sa.Column("po_number", STR, nullable=False),
        sa.Column("asset_id", ID, nullable=True),
        sa.Column("external_key", STR, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_jobs_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_jobs")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_jobs_tenant_id_external_key")
        ),
    )
    op.create_index(
        op.f("ix_portalkit_jobs_tenant_id_scope_path"),
        "portalkit_jobs",
        ["tenant_id", "scope_path"],
        unique=False,
    )
    op.create_table(
        "portalkit_memberships",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_memberships_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_memberships")),
        sa.UniqueConstraint(
            "tenant_id",
            "group_id",
            "user_id",
            name=op.f("uq_portalkit_memberships_tenant_id_group_id_user_id"),
        ),
    )
    op.create_index(
        op.f("ix_portalkit_memberships_tenant_id_user_id"),
        "portalkit_memberships",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "portalkit_outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("topic", STR, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_outbox_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_outbox")),
    )
    op.create_index(
        op.f("ix_portalkit_outbox_delivered_at_id"),
        "portalkit_outbox",
        ["delivered_at", "id"],
        unique=False,
    )
    op.create_table(
        "portalkit_roles",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("permissions", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_roles_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_roles")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_portalkit_roles_tenant_id_name")),
    )
    op.create_table(
        "portalkit_scopes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("kind", STR, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("path", STR, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("external_key", STR, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_scopes_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_scopes")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_scopes_tenant_id_external_key")
        ),
    )
    op.create_index(
        op.f("ix_portalkit_scopes_tenant_id_parent_id"),
        "portalkit_scopes",
        ["tenant_id", "parent_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portalkit_scopes_tenant_id_path"),
        "portalkit_scopes",
        ["tenant_id", "path"],
        unique=False,
    )
    op.create_table(
        "portalkit_users",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("email", STR, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("username", STR, nullable=True),
        sa.Column("phone", STR, nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("password_hash", STR, nullable=True),
        sa.Column("security_stamp", STR, nullable=False),
        sa.Column("external_key", STR, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_users_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_portalkit_users_tenant_id_email")),
        sa.UniqueConstraint(
            "tenant_id", "external_key", name=op.f("uq_portalkit_users_tenant_id_external_key")
        ),
        sa.UniqueConstraint(
            "tenant_id", "username", name=op.f("uq_portalkit_users_tenant_id_username")
        ),
    )


def downgrade() -> None:
    """Revert this revision: drop every portalkit table (their indexes go with them)."""
    for table in (
        "portalkit_outbox",
        "portalkit_audit",
        "portalkit_customers",
        "portalkit_jobs",
        "portalkit_documents",
        "portalkit_assets",
        "portalkit_grants",
        "portalkit_memberships",
        "portalkit_groups",
        "portalkit_roles",
        "portalkit_users",
        "portalkit_scopes",
        "portalkit_tenants",
    ):
        op.drop_table(table)
