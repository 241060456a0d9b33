"""Sessions: one row per sign-in, found by the hash of its token.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0007_sessions
Revises: 0006_asset_lookup
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0007_sessions"
down_revision: str | None = "0006_asset_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "portalkit_sessions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("token_hash", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("label", STR, nullable=False),
        sa.Column("security_stamp", STR, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_sessions_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portalkit_users.id"],
            name=op.f("fk_portalkit_sessions_user_id_portalkit_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portalkit_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_portalkit_sessions_tenant_id_user_id"),
        "portalkit_sessions",
        ["tenant_id", "user_id"],
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_portalkit_sessions_tenant_id_user_id"), table_name="portalkit_sessions")
    op.drop_table("portalkit_sessions")
