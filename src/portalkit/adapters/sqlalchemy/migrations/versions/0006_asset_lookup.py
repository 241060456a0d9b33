"""Asset lookup: the folded plate key (O/0, I/L/1) and its index.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0006_asset_lookup
Revises: 0005_actions
Create Date: 2026-11-26 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0006_asset_lookup"
down_revision: str | None = "0005_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing plate keys get their folded form in SQL; the same translation as
# portalkit.domain.assets.fold_similar (keys are already lowercase).
_FOLD = "replace(replace(replace(plate_key, 'o', '0'), 'i', '1'), 'l', '1')"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("portalkit_assets") as batch:
        batch.add_column(sa.Column("plate_fold", STR, nullable=True))
        batch.create_index(
            op.f("ix_portalkit_assets_tenant_id_plate_fold"), ["tenant_id", "plate_fold"]
        )
    op.execute(f"UPDATE portalkit_assets SET plate_fold = {_FOLD} WHERE plate_key IS NOT NULL")  # noqa: S608


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("portalkit_assets") as batch:
        batch.drop_index(op.f("ix_portalkit_assets_tenant_id_plate_fold"))
        batch.drop_column("plate_fold")
