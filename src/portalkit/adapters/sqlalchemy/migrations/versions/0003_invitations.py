"""Invitations and broadcast messages: invitations, messages, message_reads.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0003_invitations
Revises: 0002_identity
Create Date: 2026-11-26 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0003_invitations"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    """Apply this revision."""
    t = "portalkit_invitations"
    op.create_table(
        t,
        *_common(t),
        sa.Column("kind", STR, nullable=False),
        sa.Column("email", STR, nullable=False),
        sa.Column("contact_name", STR, nullable=False),
        sa.Column("contact_key", STR, nullable=True),
        sa.Column("scope_id", ID, nullable=True),
        sa.Column("scope_path", STR, nullable=True),
        sa.Column("role_id", ID, nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("invited_by_user_id", ID, nullable=True),
        sa.Column("values", JSON, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("nonce", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("unsent", sa.Boolean(), nullable=False),
        sa.Column("last_error", STR, nullable=True),
        sa.Column("send_attempts", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    _index(t, "tenant_id", "email")
    _index(t, "tenant_id", "status", "unsent")

    t = "portalkit_messages"
    op.create_table(
        t,
        *_common(t),
        sa.Column("title", STR, nullable=False),
        sa.Column("body", STR, nullable=False),
        sa.Column("to_everyone", sa.Boolean(), nullable=False),
        sa.Column("group_ids", JSON, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_user_id", ID, nullable=True),
    )
    _index(t, "tenant_id", "starts_at")

    t = "portalkit_message_reads"
    op.create_table(
        t,
        *_common(t),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["portalkit_messages.id"],
            name=op.f(f"fk_{t}_message_id_portalkit_messages"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "tenant_id", "message_id", "user_id", name=op.f(f"uq_{t}_tenant_id_message_id_user_id")
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in ("portalkit_message_reads", "portalkit_messages", "portalkit_invitations"):
        op.drop_table(table)
