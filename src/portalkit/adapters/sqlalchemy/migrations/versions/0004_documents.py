"""Documents capability: share links, the default account ledger, defects.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 14:10:00
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

revision: str = "0004"
down_revision: str | None = "0001"
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


def _unique_key(table: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(
        "tenant_id", "external_key", name=op.f(f"uq_{table}_tenant_id_external_key")
    )


def upgrade() -> None:
    """Apply this revision."""
    t = "portalkit_share_links"
    op.create_table(
        t,
        *_common(t),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("recipient", STR, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("secret_hash", STR, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_by_staff", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("secret_hash", name=op.f(f"uq_{t}_secret_hash")),
    )
    _index(t, "tenant_id", "document_id")

    t = "portalkit_account_balances"
    op.create_table(
        t,
        *_common(t),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", STR, nullable=False),
        sa.Column("last_payment_cents", sa.BigInteger(), nullable=True),
        sa.Column("last_payment_on", sa.Date(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.UniqueConstraint(
            "tenant_id", "organization_id", name=op.f(f"uq_{t}_tenant_id_organization_id")
        ),
    )

    t = "portalkit_contracts"
    op.create_table(
        t,
        *_common(t),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("number", STR, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("items_out", sa.BigInteger(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("external_key", STR, nullable=True),
        _unique_key(t),
    )
    _index(t, "tenant_id", "organization_id")
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_defects"
    op.create_table(
        t,
        *_common(t),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("number", STR, nullable=False),
        sa.Column("description", STR, nullable=False),
        sa.Column("severity", STR, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("external_key", STR, nullable=True),
        _unique_key(t),
    )
    _index(t, "tenant_id", "asset_id")
    _index(t, "tenant_id", "scope_path")


def downgrade() -> None:
    """Revert this revision."""
    for table in (
        "portalkit_defects",
        "portalkit_contracts",
        "portalkit_account_balances",
        "portalkit_share_links",
    ):
        op.drop_table(table)
