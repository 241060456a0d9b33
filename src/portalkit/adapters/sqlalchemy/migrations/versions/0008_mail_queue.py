"""The mail queue: composed messages stored with their request, sent by a drainer.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0008_mail_queue
Revises: 0007_sessions
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0008_mail_queue"
down_revision: str | None = "0007_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "portalkit_mail_queue",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("message", STR, nullable=False),
        sa.Column("to", STR, nullable=False),
        sa.Column("message_id", STR, nullable=False),
        sa.Column("subject", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", STR, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f("fk_portalkit_mail_queue_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portalkit_mail_queue")),
    )
    op.create_index(
        op.f("ix_portalkit_mail_queue_sent_at_failed_at_next_attempt_at"),
        "portalkit_mail_queue",
        ["sent_at", "failed_at", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(
        op.f("ix_portalkit_mail_queue_sent_at_failed_at_next_attempt_at"),
        table_name="portalkit_mail_queue",
    )
    op.drop_table("portalkit_mail_queue")
