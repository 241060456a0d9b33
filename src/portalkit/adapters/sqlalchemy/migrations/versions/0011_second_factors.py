"""Second factors: authenticator apps (TOTP, secret sealed) and recovery codes (digests).

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0011_second_factors
Revises: 0010_audit_actor_index
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0011_second_factors"
down_revision: str | None = "0010_audit_actor_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portalkit_users.id"],
            name=op.f(f"fk_{table}_user_id_portalkit_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "portalkit_totp_factors",
        *_owner("portalkit_totp_factors"),
        sa.Column("secret", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_portalkit_totp_factors_tenant_id_user_id")
        ),
    )
    op.create_table(
        "portalkit_recovery_codes",
        *_owner("portalkit_recovery_codes"),
        sa.Column("digest", STR, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index(
        op.f("ix_portalkit_recovery_codes_tenant_id_user_id"),
        "portalkit_recovery_codes",
        ["tenant_id", "user_id"],
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(
        op.f("ix_portalkit_recovery_codes_tenant_id_user_id"),
        table_name="portalkit_recovery_codes",
    )
    op.drop_table("portalkit_recovery_codes")
    op.drop_table("portalkit_totp_factors")
