"""Identity: one-time codes (password reset, email proof) and shared throttle counters.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0002_identity
Revises: 0004 (the head when this was committed; the line must stay single)
Create Date: 2026-11-26 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0002_identity"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "portalkit_one_time_codes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("purpose", STR, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("digest", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("failures_since", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_one_time_codes_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_one_time_codes")),
        sa.UniqueConstraint(
            "tenant_id",
            "purpose",
            "subject_id",
            name=op.f("uq_portalkit_one_time_codes_tenant_id_purpose_subject_id"),
        ),
    )
    op.create_table(
        "portalkit_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("last_failure", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_portalkit_throttle")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("portalkit_throttle")
    op.drop_table("portalkit_one_time_codes")
